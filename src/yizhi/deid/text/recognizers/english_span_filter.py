"""A learned filter over the English spans the guessing rules predicted (issue 16, point 4).

Why a model: four rounds of hand rules took the false-positive share of the MTSamples reports they were
written from to 0.01-0.02, but on fresh reports it stayed near 0.09 — each round's rules fixed the
phrases they were read from (a product here, an eponym there) and the long tail of clinical words that a
capital letter made a name or a place goes on. A linear model weighs the same evidence the rules read
(the span's shape, the word lists its words are in, the words around it, the section heading, device
nouns nearby, the recognizers that found it) all at once instead of one phrase at a time.

What it reads: only spans that a guess produced — a capitalised run, a place or organisation guessed from
its words (``en_capitalised``, ``en_residence``, ``en_legal_form``...), never a pattern's span, a name after a
title or relation word (``en_context`` names), a cue's span (``en_cue``), a span after "Dr."/"Mr."... or a
shouted run of three words or more (the fourth round's rules judge those, and keep one holding a place).
Those are kept whatever the model says.

How it was trained (``scripts/train_en_span_filter.py``, offline): logistic regression (scikit-learn) on
the predicted spans of the reviewed unannotated MTSamples samples TUNE and CHECK (every span labelled
identifier or not by hand) and of the annotated dev sets (MTSamples dev, planted dev, English nursing dev
to dev5): a span is an identifier when it overlaps a gold or hand-marked identifier. CHECK2, MTSamples dev2
and nursing dev6 were held out to measure it. The threshold was chosen on out-of-fold scores of the
training spans so that no identifier of the training nursing notes is dropped. Only the coefficients ship
(``data/en_span_filter.json``: feature name -> weight; no pickle); inference is a sum of weights and a
logistic function, in plain Python.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache

from yizhi.deid.text.spans import Span

_GUESSED_KINDS = frozenset(("NAME", "LOCATION", "ORGANIZATION", "ADDRESS"))
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
_TITLE_BEFORE = re.compile(r"(?i:\b(?:dr|mr|mrs|ms|miss|prof|rabbi|rev|fr|sister|father)\.?[ ]+)$")
_HEADING = re.compile(r"(?m)^[ \t]*([A-Z][A-Z /&-]{2,40})[ \t]*:")
_DEVICE = re.compile(
    r"\b(?:clamps?|catheters?|tubes?|retractors?|scissors|needles?|forceps|drains?|stents?|sutures?|wires?|"
    r"blades?|devices?|implants?|valves?|screws?|plates?|pins?|nails?|lens|mesh|system|kit|pumps?|probe|"
    r"scopes?|trocars?|sheath|balloons?|machine|monitor|questionnaire|inventory|scale|score|test|"
    r"procedure|technique|brand|model|instrument(?:ation)?|dressing|tape|gel|cream|solution)\b", re.I)


def eligible(text: str, span: Span) -> bool:
    """Does ``span`` rest on a guess only (see the module's docstring)?"""
    recognizer = span.recognizer
    if span.type not in _GUESSED_KINDS or "patterns" in recognizer or "en_cue" in recognizer:
        return False
    if span.type == "NAME" and "en_context" in recognizer:
        return False  # (a name after a title or a relation word)
    if span.text.isupper() and span.text.count(" ") >= 2:
        return False  # (shouted runs are the fourth round's rules' to judge: "FROM CAPE COD HOSP" stays)
    return _TITLE_BEFORE.search(text, max(0, span.start - 10), span.start) is None


def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if word.isupper():
        return "X" if len(word) == 1 else "XX"
    if word.islower():
        return "x"
    if word[0].isupper() and word[1:].islower():
        return "Xx"
    return "mix"


@lru_cache(maxsize=1)
def _lexicons() -> dict[str, frozenset[str]]:
    from yizhi.deid.text.recognizers.english_clean import drug_words
    from yizhi.deid.text.recognizers.english_words import (clinical_lexicon, common_words, first_name_words,
                                                           name_words, place_words, very_common_words)

    return {"first": first_name_words(), "name": name_words(), "clin": clinical_lexicon(), "common": common_words(),
            "vcommon": very_common_words(), "drug": drug_words(), "place": place_words()}


def _bucket(count: int, total: int) -> str:
    if count == 0:
        return "0"
    return "all" if count == total else "some"


def features(text: str, span: Span, clinical: bool) -> list[str]:
    """The binary features of a span (names as in the shipped weights)."""
    words = _WORD.findall(span.text) or [span.text]
    lex = _lexicons()
    out = [f"type={span.type}", f"clinical={clinical}", f"nw={min(len(words), 4)}",
           f"type_nw={span.type}:{min(len(words), 4)}"]
    out.extend(f"rec={part}" for part in sorted(set(span.recognizer.split("+"))))
    shapes = [_shape(word) for word in words]
    out.append("shapes=" + "_".join(shapes[:3]))
    out.append(f"first_shape={shapes[0]}")
    lowered = [word.lower().strip("'’-") for word in words]
    for name, words_of in lex.items():
        hits = sum(word in words_of for word in lowered)
        out.append(f"lex_{name}={_bucket(hits, len(lowered))}")
        out.append(f"first_{name}={lowered[0] in words_of}")
        out.append(f"last_{name}={lowered[-1] in words_of}")
    out.extend(f"w={word}" for word in lowered)
    # (word endings carry over to products and names never seen in training: "-ex", "-ol", "-son", "-ez")
    out.extend(f"suf={word[-3:]}" for word in lowered if len(word) > 4)
    before = text[max(0, span.start - 60):span.start]
    after = text[span.end:span.end + 60]
    prev_words = _WORD.findall(before)[-2:]
    next_words = _WORD.findall(after)[:2]
    out.append("p1=" + (prev_words[-1].lower() if prev_words else "<s>"))
    out.append("p2=" + (prev_words[0].lower() if len(prev_words) == 2 else "<s>"))
    out.append("n1=" + (next_words[0].lower() if next_words else "</s>"))
    out.append("n1_shape=" + (_shape(next_words[0]) if next_words else "none"))
    out.append("p1_shape=" + (_shape(prev_words[-1]) if prev_words else "none"))
    stripped_before, stripped_after = before.rstrip(" \t"), after.lstrip(" \t")
    out.append("pchar=" + (stripped_before[-1] if stripped_before and not stripped_before[-1].isalnum() else
                           ("a" if stripped_before else "^")))
    out.append("nchar=" + (stripped_after[0] if stripped_after and not stripped_after[0].isalnum() else
                           ("a" if stripped_after else "$")))
    out.append(f"line_start={not stripped_before or stripped_before.endswith(chr(10))}")
    out.append(f"dev_after={_DEVICE.search(after[:40]) is not None}")
    out.append(f"dev_before={_DEVICE.search(before[-30:]) is not None}")
    out.append(f"possessive={after[:2] in (chr(39) + 's', '’s')}")
    heading = None
    for heading in _HEADING.finditer(text, max(0, span.start - 3000), span.start):
        pass
    out.append("head=" + (heading.group(1).strip().lower() if heading is not None else "<none>"))
    return out


@lru_cache(maxsize=1)
def model() -> dict:
    """The shipped coefficients: {"bias", "threshold", "weights": {feature: weight}, ...}."""
    from importlib.resources import files

    return json.loads(files("yizhi.deid.text.recognizers").joinpath("data/en_span_filter.json").read_text(encoding="utf-8"))


def probability(text: str, span: Span, clinical: bool) -> float:
    """The model's probability that ``span`` is an identifier."""
    shipped = model()
    weights = shipped["weights"]
    score = shipped["bias"] + sum(weights.get(name, 0.0) for name in features(text, span, clinical))
    return 1.0 / (1.0 + math.exp(-score))


def filter_guessed(text: str, spans: list[Span]) -> list[Span]:
    """``spans`` less the guessed ones the model scores below its threshold (clinical notes only: the model
    was trained on clinical text, and general English keeps its own rules)."""
    from yizhi.deid.text.recognizers.english_words import clinical_context

    if not any(span.type in _GUESSED_KINDS for span in spans) or not clinical_context(text):
        return spans
    threshold = model()["threshold"]
    return [span for span in spans if not eligible(text, span) or probability(text, span, True) >= threshold]
