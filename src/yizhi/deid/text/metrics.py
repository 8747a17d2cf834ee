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


# --- presidio-research synth_dataset_v2 labels as Safe Harbor identifiers ------------------------------
# The set labels more than HIPAA Safe Harbor's 18 identifiers; scoring those as misses would reward
# removing text Safe Harbor lets a dataset keep. Not counted (each with its reason):
#   TITLE  occupations and honorifics ("sewer pipe cleaner", "Dr."): not an identifier category;
#   NRP    nationality, religion, politics ("Polish"): not an identifier category;
#   AGE    below 90: Safe Harbor removes only ages over 89 (none in this set is);
#   DATE_TIME that is a year alone ("founded in 1977"): Safe Harbor keeps years;
#   DATE_TIME that is a weekday alone ("meet Monday"): names no date element (day, month).
NOT_SAFE_HARBOR_TYPES = {"TITLE", "NRP"}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def presidio_gold(sample: dict, safe_harbor: bool = True) -> list[dict]:
    """Gold spans of one presidio-research sample; ``safe_harbor`` drops labels that are not PHI."""
    text = sample["full_text"]
    gold = []
    for span in sample["spans"]:
        kind, start, end = span["entity_type"], span["start_position"], span["end_position"]
        value = text[start:end].strip()
        if safe_harbor and (
            kind in NOT_SAFE_HARBOR_TYPES
            or (kind == "AGE" and not (value.isdigit() and int(value) >= 90))
            or (kind == "DATE_TIME" and ((value.isdigit() and len(value) == 4) or value.lower() in _WEEKDAYS))
        ):
            continue
        gold.append({"start": start, "end": end, "type": kind})
    return gold


def presidio_split(template_id: int) -> str:
    """'dev' (even template ids: looked at and tuned on) or 'test' (odd: held out, only scored)."""
    return "dev" if template_id % 2 == 0 else "test"
