"""Character- and entity-level recall/precision of predicted spans against gold spans.

Type-agnostic, as de-identification is judged (Philter, i2b2 "binary token" scoring): a gold character
counts as found if ANY predicted span covers it, whatever type was predicted, because it is removed
either way. Per-type figures are reported by gold type (recall) and predicted type (precision).
Whitespace characters are not counted: "Suite 501" and "Suite  501" should score the same.
Written here rather than taken from presidio-evaluator because that package scores tokens from its
own tokenizer (and pulls spaCy models); scoring characters directly needs no tokenizer at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Counts:
    gold_chars: int = 0
    found_chars: int = 0  # gold chars covered by a prediction
    pred_chars: int = 0
    correct_chars: int = 0  # predicted chars inside gold
    gold_entities: int = 0
    found_entities: int = 0  # gold spans fully covered
    pred_entities: int = 0
    correct_entities: int = 0  # predicted spans overlapping a gold span

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _ratio(num: int, den: int) -> float:
        return num / den if den else 1.0

    def summary(self) -> dict:
        return {
            "char_recall": round(self._ratio(self.found_chars, self.gold_chars), 4),
            "char_precision": round(self._ratio(self.correct_chars, self.pred_chars), 4),
            "entity_recall": round(self._ratio(self.found_entities, self.gold_entities), 4),
            "entity_precision": round(self._ratio(self.correct_entities, self.pred_entities), 4),
            "gold_entities": self.gold_entities,
            "pred_entities": self.pred_entities,
            "gold_chars": self.gold_chars,
        }


@dataclass
class Evaluation:
    overall: Counts = field(default_factory=Counts)
    by_type: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))
    misses: list[dict] = field(default_factory=list)
    false_positives: list[dict] = field(default_factory=list)

    def report(self) -> dict:
        return {
            "overall": self.overall.summary(),
            "by_type": {kind: counts.summary() for kind, counts in sorted(self.by_type.items())},
        }


def _chars(text: str, spans: Iterable[tuple[int, int]]) -> set[int]:
    covered: set[int] = set()
    for start, end in spans:
        covered.update(i for i in range(start, end) if not text[i].isspace())
    return covered


def score_document(text: str, gold: list[dict], predicted: list[dict], evaluation: Evaluation, doc_id: str = "") -> None:
    """Add one document's counts; gold/predicted are dicts with start, end, type."""
    gold_cover = _chars(text, ((g["start"], g["end"]) for g in gold))
    pred_cover = _chars(text, ((p["start"], p["end"]) for p in predicted))
    overall = evaluation.overall
    for span in gold:
        chars = _chars(text, [(span["start"], span["end"])])
        found = chars & pred_cover
        counts = evaluation.by_type[span["type"]]
        for target in (overall, counts):
            target.gold_chars += len(chars)
            target.found_chars += len(found)
            target.gold_entities += 1
            target.found_entities += int(found == chars)
        if found != chars:
            evaluation.misses.append({"id": doc_id, "type": span["type"], "text": text[span["start"] : span["end"]],
                                      "context": text[max(0, span["start"] - 12) : span["end"] + 12]})
    for span in predicted:
        chars = _chars(text, [(span["start"], span["end"])])
        correct = chars & gold_cover
        counts = evaluation.by_type[span["type"]]
        for target in (overall, counts):
            target.pred_chars += len(chars)
            target.correct_chars += len(correct)
            target.pred_entities += 1
            target.correct_entities += int(bool(correct))
        if len(correct) < len(chars):
            evaluation.false_positives.append({"id": doc_id, "type": span["type"], "text": text[span["start"] : span["end"]],
                                               "context": text[max(0, span["start"] - 12) : span["end"] + 12]})
