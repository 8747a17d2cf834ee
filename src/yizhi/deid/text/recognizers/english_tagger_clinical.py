"""What the clinical English tagger model (``english_tagger.CLINICAL_MODEL_PATH``) must show before its spans
count in a clinical note: the note is telegraphic nursing shorthand, the model is sure of each label, and the span
holds more than clinical words. Trained and measured by ``yizhi.deid.text.train_en_tagger_real`` (its docstring
has the figures); kept apart from ``english_tagger`` so that module stays about its features and model.
"""

from __future__ import annotations

import re

from yizhi.deid.text.recognizers.english_dates import telegraphic


def confident_labels(tagger, labels: list[str], floor: float) -> list[str]:
    """``labels`` (the Viterbi path just tagged) with each entity label whose marginal probability is below
    ``floor`` set to outside: in clinical text a tagger span is kept only where the model is sure."""
    marginal = tagger.marginal
    return [label if label == "O" or marginal(label, index) >= floor else "O" for index, label in enumerate(labels)]


def telegraphic_note(text: str) -> bool:
    """``english_dates.telegraphic``, asked first of the note's first ``_HEAD`` characters: a dictated report
    (MTSamples: 3 KB at the median) almost never shows shorthand there, and reading the head costs a fifth of
    reading the whole (the whole check cost 12% of the pipeline on MTSamples, the head 2.7%). Of the 4,966
    MTSamples reports the same 12 pass either way; of the 253 dev nursing notes the same 233."""
    if len(text) > _HEAD and not telegraphic(text[:_HEAD]):
        return False
    return telegraphic(text)


_HEAD = 600
# Nursing shorthand for a change of dose ("Per MD inc PEEP to 8"): a verb of the note, which the model can read
# as a legal form ("inc") closing an organisation.
_SHORTHAND_VERBS = frozenset(("inc", "incr", "dec", "decr"))
_SPAN_WORD = re.compile(r"[^\W_]+")


def with_clinical_evidence(text: str, start: int, end: int) -> tuple[int, int]:
    """A clinical-model span less what is no identifier in a clinical note (empty when nothing is left): from
    a lower-case word of the clinical lexicon after a capitalised one on ("Pulmonary Associates of Lowell
    faxed PFTs": a verb of the note), shorthand capitals at its end ("fmc taunton MWF"); and nothing when it is
    one capitalised word (a drug or device, as the rules read one: "Senna") or two words of the clinical
    lexicon (a service: "Cardiac Rehab", "Acute Rehab"; three such words are more often a name: "Legal Sea
    Foods", "Partners Home Care")."""
    from yizhi.deid.text.recognizers.english_tagger import _CONNECTORS  # (imports this module: looked up at use)
    from yizhi.deid.text.recognizers.english_words import clinical_lexicon

    lexicon = clinical_lexicon()
    words = list(_SPAN_WORD.finditer(text, start, end))
    found = []
    for match in words:
        word = match.group()
        if (found and word.islower() and (word in lexicon or word in _SHORTHAND_VERBS) and word not in _CONNECTORS
                and any(m.group()[:1].isupper() for m in found)):
            break
        found.append(match)
    while len(found) > 1 and found[-1].group().isupper() and len(found[-1].group()) <= 3:
        found.pop()
    if not found:
        return start, start
    single = found[0].group()
    if len(found) == 1 and single[:1].isupper() and not single.isupper():
        return start, start
    if len(found) <= 2 and all(match.group().lower() in lexicon for match in found):
        return start, start
    return start, (end if len(found) == len(words) else found[-1].end())  # (a whole span keeps its "Inc.")
