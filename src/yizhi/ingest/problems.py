"""Skipped rows and resources, listed for the uploader, with a cap so a broken file cannot flood it.

A problem names the source file, where (line, row, resource id, zip member), the field and the
reason. Reasons are fixed English texts with their values apart; they never quote cell values, so
a problem list holds no identifier beyond the location the uploader already knows. The first
``MAX_PER_KIND`` problems of each (source, field, reason) are listed; the rest are counted.
"""

from __future__ import annotations

from collections import Counter

MAX_PER_KIND = 50


class ProblemLog:
    def __init__(self, source: str, family: str = "") -> None:
        self.source = source
        self.family = family  # prefixes kinds in the quality report: "notes", "table", "dicom", "fhir"
        self.listed: list[dict] = []
        self.counts: Counter = Counter()
        self._listed_per_group: Counter = Counter()

    def add(self, where: str, field: str, reason: str, kind: str | None = None) -> None:
        """Record one problem; ``kind`` groups problems for the quality report (default: reason)."""
        group = (field, reason)
        self.counts[kind or (f"{self.family}:{reason}" if self.family else reason)] += 1
        self._listed_per_group[group] += 1
        if self._listed_per_group[group] <= MAX_PER_KIND:
            self.listed.append({"source": self.source, "where": str(where), "field": field, "reason": reason})

    def as_plain(self) -> dict:
        """For a worker's result: the listed problems and the counts by kind."""
        return {"listed": self.listed, "counts": dict(self.counts)}


def merge(results: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """All listed problems (in order), and their counts by kind, over workers' results."""
    listed: list[dict] = []
    counts: Counter = Counter()
    for result in results:
        listed += result.get("listed", [])
        counts.update(result.get("counts", {}))
    return listed, dict(sorted(counts.items()))
