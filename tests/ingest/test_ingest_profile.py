"""The profile: a safe default without one, errors that name the line and the key."""

from __future__ import annotations

import pytest

from yizhi.errors import ValidationFailed
from yizhi.ingest.profile import load_profile

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def test_no_profile_is_the_safe_default():
    profile = load_profile(None)
    assert profile.text_policy == "surrogate" and profile.postcode_digits == 3 and profile.max_age == 89
    assert profile.dicom.options == ["retain-long-modified-dates", "clean-descriptors"]
    assert load_profile("  \n") == profile


def test_the_issue_column_map_reads_exactly():
    profile = load_profile("""
tables:
  labs.csv:
    patient_id: patient_id
    direct_identifiers: [patient_name]
    quasi_identifiers: []
    dates: [collected_date]
    free_text: [comment]
""")
    labs = profile.tables["labs.csv"]
    assert (labs.patient_id, labs.direct_identifiers, labs.dates, labs.free_text) == (
        "patient_id", ["patient_name"], ["collected_date"], ["comment"])


@pytest.mark.parametrize(("text", "expected"), [
    ("tables:\n  labs.csv:\n    patient_id: id\n    dates: [a\n", "line"),
    ("text_policy: surrogate\nk: 1\n", "profile line 2, key k"),
    ("tables:\n  labs.csv:\n    patient_id: id\n    colour: red\n", "profile line 4, key tables.labs.csv.colour: unknown setting"),
    ("tables:\n  labs.csv:\n    dates: [d]\n", "key tables.labs.csv.patient_id"),
    ("dicom:\n  options: [retain-everything]\n", "profile line 2, key dicom.options"),
    ("- just\n- a list\n", "must be a mapping"),
])
def test_bad_profiles_name_line_and_key(text, expected):
    with pytest.raises(ValidationFailed) as caught:
        load_profile(text)
    assert expected in caught.value.message
    assert caught.value.field == "profile"
