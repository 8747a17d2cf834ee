"""Speed-ups that replace a way of computing with a faster one, checked against the plain form:
the 身份证 birth-place table against stdnum's own answer, and the bound trigger searches against
``_trigger_passes``."""

from __future__ import annotations

import random

import pytest
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from yizhi.deid.text.recognizers import base, validators

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _stdnum_knows(region: str, year: str) -> bool:
    try:
        ric.get_birth_place(region + year + "0101")
    except (ValidationError, KeyError):
        return False
    return True


def _regions(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    listed = [code for province in ("11", "32", "44", "51", "65")
              for code in validators._counties_in_province(province)]
    assert listed, "the table lists regions"
    made_up = [f"{rng.randrange(1_000_000):06d}" for _ in range(count)]
    near = [f"{rng.choice(('11', '12', '31', '44', '50', '99', '00'))}{rng.randrange(10_000):04d}" for _ in range(count)]
    return rng.sample(listed, min(count, len(listed))) + made_up + near


@pytest.mark.parametrize("seed", range(3))
def test_birth_place_table_answers_as_stdnum(seed):
    rng = random.Random(seed)
    for region in _regions(seed, 300):
        for year in ("1900", "1949", "1986", "1987", "2010", "2011", f"{rng.randrange(1880, 2030)}"):
            validators._birth_place_known.cache_clear()
            assert validators._birth_place_known(region, year) == _stdnum_knows(region, year), (region, year)


def test_counties_with_dates_answer_as_stdnum():
    """Every listed region whose county entry carries years, at each year around its bounds."""
    for province in ("11", "13", "32", "44", "51", "65"):
        for region, counties in validators._counties_in_province(province).items():
            if counties is None or "[" not in counties:
                continue
            years = {int(y) for y in __import__("re").findall(r"\d{4}", counties)}
            for year in sorted({y + d for y in years for d in (-1, 0, 1)}):
                validators._birth_place_known.cache_clear()
                assert validators._birth_place_known(region, str(year)) == _stdnum_knows(region, str(year)), (region, year)


def _trigger_passes(step, text, lower, foldable):
    """The plain reading: the step's regex trigger searched for, on the lower-cased text when it folds."""
    if step.folded_trigger is not None and foldable:
        return step.folded_trigger.search(lower) is not None
    return step.trigger.search(text) is not None


def _plain_steps(plan, text, lower, foldable, found, longest_digit_run):
    chosen = list(plan.untriggered)
    for word in found:
        chosen += plan.by_trigger_word.get(word, ())
    for needed, indices in plan.by_digit_run:
        if longest_digit_run >= needed:
            chosen += indices
    for step, indices in plan.by_regex_trigger:
        if _trigger_passes(step, text, lower, foldable):
            chosen += indices
    return sorted(set(chosen))


_PIECES = ["123", "4567", "2024-01-02", "12/03/2020", "555-123-4567", "(555) 123 4567", "+44 20 7946 0958",
           "123-45-6789", "a@b.com", "www.example.org", "192.168.0.1", "fe80::1", "AB12", "GB82WEST1234",
           "Mr.", "St.", "MRN", "on 12/", ", CA 90210", "95 yo", "İstanbul", "ſ", "ǅ", "身份证", "电话", " ", ".", "-"]


@pytest.mark.parametrize("seed", range(4))
def test_bound_trigger_searches_choose_the_same_steps(seed):
    rng = random.Random(seed)
    recognizers = [r for lang in ("en", "zh") for r in base.registered(lang) if isinstance(r, base.PatternRecognizer)]
    for _ in range(400):
        text = "".join(rng.choice(_PIECES) + rng.choice(["", " ", "x", "Ab"]) for _ in range(rng.randrange(1, 8)))
        lower, foldable, found, longest = base._read(text)
        for recognizer in recognizers:
            plan = recognizer._plan()
            assert base._steps_to_run(plan, text, lower, foldable, found, longest) == _plain_steps(
                plan, text, lower, foldable, found, longest), (recognizer.name, text)
