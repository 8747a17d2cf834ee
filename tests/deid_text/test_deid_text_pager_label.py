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


_NOTE = ("NSG NOTE 0700-1900: pt alert, oriented x3. HR 88 SR, BP 110/60. lungs clear, sats 96% on 2L NC. "
         "{} Will continue to monitor, pain controlled w/ morphine 2mg iv.")


@pytest.mark.parametrize("sentence, expected", [
    # issue 16's own example: a pager number that counts up is still a pager number after its label
    ("Pager: #12345 if questions.", [("12345", "PHONE")]),
    ("covering MD beeper 12345.", [("12345", "PHONE")]),
    # the label after a name is cut off the name
    ("Resident Dr. Lee, Pager: #12345.", [("Lee", "NAME"), ("12345", "PHONE")]),
])
def test_a_pager_number_in_a_nursing_note(sentence, expected):
    text = _NOTE.format(sentence)
    assert [(text[s.start:s.end], s.type) for s in detect(text, lang="en")] == expected


def test_a_counting_stand_in_without_a_pager_label_still_goes():
    text = _NOTE.format("Foley catheter serial #12345 placed.")
    assert "12345" not in [text[s.start:s.end] for s in detect(text, lang="en")]
