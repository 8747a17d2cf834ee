"""One line of a nursing note, de-identified after a clinical, telegraphic header: what the nursing
rounds' regression tests ask of it (is a value removed whole? which texts are removed?)."""

from __future__ import annotations

from yizhi.deid.text import detect

NOTE = "NURSING PROGRESS NOTE\nPt in MICU, afebrile, on lasix prn.\n"  # clinical and telegraphic


def spans(line: str, header: str = NOTE) -> list:
    """The spans found in ``line`` (after ``header``)."""
    text = header + line
    return [span for span in detect(text, "en") if span.start >= len(header)]


def covered(line: str, value: str, header: str = NOTE) -> bool:
    """Is every non-blank character of ``value`` (in ``line``) inside some detected span?"""
    text = header + line
    start = text.index(value, len(header))
    cover = {index for span in detect(text, "en") for index in range(span.start, span.end)}
    return all(index in cover for index in range(start, start + len(value)) if not text[index].isspace())


def removed(line: str, header: str = NOTE) -> set[str]:
    """The text of every span found in ``line``."""
    return {span.text for span in spans(line, header)}
