"""A pager's label is no name and no street address; the number after it is the identifier."""

from __future__ import annotations

import pytest

from yizhi.deid.text import detect

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("text, number", [
    ("Pager: #48213", "48213"),
    ("Beeper 48213", "48213"),
    ("Pgr: 48213", "48213"),
    ("Resident paged. Pager: #48213.", "48213"),
])
def test_the_label_goes_and_the_number_stays(text, number):
    found = [(text[s.start:s.end], s.type) for s in detect(text, lang="en")]
    assert found == [(number, "PHONE")], found


@pytest.mark.parametrize("text, name", [("Seen by Dr. Page today.", "Page"), ("Dr. Pagerman called.", "Pagerman")])
def test_names_that_begin_like_the_label_stay(text, name):
    assert (name, "NAME") in [(text[s.start:s.end], s.type) for s in detect(text, lang="en")]
