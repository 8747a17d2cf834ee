"""Value-swapped and lower-cased copies of the nursing notes, for the clinical tagger's training
(``train_en_tagger_real``; the general model's counterpart is ``train_en_tagger.augmented``).

The hand-written nursing sets fill each context with one value: a model trained on them alone can learn the
value ("Brockton") as much as the context ("dtr lives in"). A copy of each note with its names and towns
swapped for others from the package's own lists (Faker's en_US given names and surnames, the ZIP database's
towns, both read by the rules) and its organisations and addresses swapped among the other notes' ones pairs
each context with other values; a lower-cased copy teaches the notes typed without capitals. Only the nursing
notes are copied: the MTSamples reports are dictated prose the clinical model does not run on.
Deterministic: one generator seeded with ``train_en_tagger.SEED``, lists sorted.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from yizhi.deid.text.train_en_tagger import SEED, with_swapped_values

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def nursing_copies(documents: list[dict], copies: int = 1, lowered: bool = True) -> list[dict]:
    """``copies`` value-swapped copies of each nursing document (``template`` starting "nursing") with an
    entity, and a lower-cased copy of each (of the original and the swapped ones) when ``lowered``."""
    nursing = [doc for doc in documents if str(doc["template"]).startswith("nursing")]
    pools: dict[str, list[str]] = {}
    for doc in nursing:
        for start, end, kind in doc["spans"]:
            if kind in ("ORGANIZATION", "ADDRESS"):
                pools.setdefault(kind, []).append(doc["text"][start:end])
    pools = {kind: sorted(set(values)) for kind, values in pools.items()}
    draw = random.Random(SEED)
    swapped = [with_swapped_values(doc, pools, draw, f"-swap{copy}",
                                   lambda value, kind: _new_value(value, kind, pools, draw))
               for copy in range(copies) for doc in nursing if doc["spans"]]
    out = swapped
    if lowered:
        out = out + [{**doc, "id": doc["id"] + "-lower", "text": doc["text"].lower()} for doc in nursing + swapped]
    return out


def _new_value(value: str, kind: str, pools: dict[str, list[str]], draw: random.Random) -> str:
    if kind == "NAME":
        words = _WORD.findall(value)
        if not words or any(len(word) == 1 for word in words[-1:]):
            return value  # (initials only: kept)
        first, last = _names()
        # the last word a surname, any other word of two letters or more a given name; initials, titles'
        # punctuation and spacing kept ("J. Smith", "Smith, Mary")
        comma = "," in value
        def pick(match: re.Match) -> str:
            word = match.group(0)
            if len(word) == 1:
                return word
            is_last = (match.start() == 0) if comma else (match.end() == len(value.rstrip(". ")))
            return _cased(draw.choice(last if is_last or len(words) == 1 and draw.random() < 0.5 else first), word)
        return _WORD.sub(pick, value)
    if kind == "LOCATION":
        if len(value) <= 3 or value.isupper():
            return value  # (state codes, "US", "NH": kept)
        return _cased(draw.choice(_towns()), value)
    if kind in pools and len(pools[kind]) > 1:
        return draw.choice(pools[kind])
    return value


def _cased(new: str, like: str) -> str:
    """``new`` in the case of ``like`` (lower, upper, else as listed)."""
    if like.islower():
        return new.lower()
    if like.isupper() and len(like) > 1:
        return new.upper()
    return new


@lru_cache(maxsize=1)
def _names() -> tuple[list[str], list[str]]:
    from faker.providers.person.en_US import Provider

    return sorted(set(Provider.first_names)), sorted(set(Provider.last_names))


@lru_cache(maxsize=1)
def _towns() -> list[str]:
    """The ZIP database's town names less those that are common English words ("Reading", "Hope")."""
    import zipcodes

    from yizhi.deid.text.recognizers.english_words import common_words

    common = common_words()
    towns = {record["city"].title() for record in zipcodes.list_all()}
    return sorted(town for town in towns if not all(word.lower() in common for word in town.split()))
