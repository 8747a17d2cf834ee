"""NMPA registration and filing numbers: format against the declared class, and validity."""

from __future__ import annotations

from datetime import date

import pytest

from yizhi.errors import ValidationFailed
from yizhi.market import nmpa

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize("number, klass, authority, code", [
    ("国械注准20233210123", "III", "国", "21"),    # domestic class III: the NMPA
    ("国械注进20223210045", "III", "国", "21"),    # imported class III
    ("京械注准20212210456", "II", "京", "21"),     # domestic class II: the province
    ("粤械注准２０２４２２１０００１", "II", "粤", "21"),  # full-width digits are normalised
    ("国械注许20202210002", "II", "国", "21"),     # Hong Kong / Macao / Taiwan, class II
    ("国械注准 2019 3 16 0088", "III", "国", "16"),  # spaces removed
])
def test_registration_numbers_that_parse(number, klass, authority, code):
    found = nmpa.parse(number, klass, TODAY)
    assert (found.device_class, found.authority, found.category_code, found.filing) == (klass, authority, code, False)


def test_class_i_filing():
    found = nmpa.parse("京海械备20200012号", "I", TODAY)
    assert found.filing and found.authority == "京海" and found.year == 2020


@pytest.mark.parametrize("number, klass, fragment", [
    ("国械注准20233210123", "II", "registered as class 3"),
    ("京械注准20233210123", "III", "registered by the NMPA"),
    ("京械注进20222210045", "II", "registered by the NMPA"),
    ("国械注准20222210456", "II", "by a province"),
    ("X械注准20212210456", "II", "by a province"),
    ("国械注准20233990123", "III", "classification catalogue"),
    ("国械注准20303210123", "III", "between 2014 and this year"),
    ("国械注准20103210123", "III", "between 2014 and this year"),
    ("国食药监械(准)字2013第3210123号", "III", "before the 2014 rules"),
    ("京海械备20200012号", "II", "class I filing number"),
    ("国械注准2023321012", "III", "not an NMPA registration number"),
    ("", "III", "give the NMPA"),
    ("国械注准20233210123", "IV", "must be I, II or III"),
    ("国械注准20233210123" * 3, "III", "longer than"),
    ("SELECT * FROM x", "III", "not an NMPA registration number"),
])
def test_bad_numbers_are_refused_saying_why(number, klass, fragment):
    with pytest.raises(ValidationFailed) as refused:
        nmpa.parse(number, klass, TODAY)
    assert fragment in refused.value.message


def test_validity():
    found = nmpa.parse("国械注准20233210123", "III", TODAY)
    nmpa.check_validity(found, date(2023, 3, 1), date(2028, 2, 28), TODAY)
    cases = [((date(2021, 1, 1), date(2026, 1, 1)), "expired on 2026-01-01", "nmpa_expired"),
             ((date(2023, 3, 1), date(2029, 3, 2)), "at most 5 years", "nmpa_invalid"),
             ((date(2022, 3, 1), date(2027, 3, 1)), "first registered in 2023", "nmpa_invalid"),
             ((date(2024, 3, 1), date(2024, 3, 1)), "end after it starts", "nmpa_invalid"),
             ((None, date(2027, 3, 1)), "validity", "nmpa_invalid")]
    for (start, end), fragment, code in cases:
        with pytest.raises(ValidationFailed) as refused:
            nmpa.check_validity(found, start, end, TODAY)
        assert fragment in refused.value.message and refused.value.code == code


def test_a_filing_has_no_expiry_unless_given():
    filing = nmpa.parse("沪械备20190001号", "I", TODAY)
    nmpa.check_validity(filing, None, None, TODAY)
    with pytest.raises(ValidationFailed):
        nmpa.check_validity(filing, None, date(2025, 1, 1), TODAY)
