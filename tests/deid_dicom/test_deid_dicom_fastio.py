"""Our writer against pydicom's as the oracle, and properties of the keyed replacements."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

import pydicom
import pytest
from deid_dicom_helpers import CORPUS_ROOTS
from hypothesis import given
from hypothesis import strategies as st

from yizhi.deid.dicom import fastio
from yizhi.deid.dicom.batch import pseudonymous_path
from yizhi.deid.dicom.engine import Deidentifier, _shift_dates

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _corpus_dicom_files():
    for root in CORPUS_ROOTS.values():
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def test_untouched_files_are_written_exactly_as_pydicom_writes_them():
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in _corpus_dicom_files():
            try:
                expected = io.BytesIO()
                pydicom.dcmread(path).save_as(expected, enforce_file_format=False)
            except Exception:
                continue  # not something pydicom itself can read and write
            ours = io.BytesIO()
            fastio.save(fastio.read(path), ours)
            assert ours.getvalue() == expected.getvalue(), path.name
            compared += 1
    assert compared > 150


@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 12, 31)), st.integers(1, 1095))
def test_date_shift_moves_every_date_by_exactly_the_shift(day, days):
    shift = dt.timedelta(days=-days)
    text = day.strftime("%Y%m%d")
    assert _shift_dates(text, "DA", shift) == (day + shift).strftime("%Y%m%d")
    assert _shift_dates(text + "101530.25+0800", "DT", shift) == (day + shift).strftime("%Y%m%d") + "101530.25+0800"


@pytest.mark.parametrize("value", ["2004", "200401", "2004.01.19", "20041319", "20040119-20040120", "abc"])
def test_dates_that_cannot_be_shifted_exactly_are_refused(value):
    assert _shift_dates(value, "DA", dt.timedelta(days=-3)) is None


@given(st.lists(st.from_regex(r"[1-9][0-9]{0,3}(\.[1-9][0-9]{0,5}){2,8}", fullmatch=True), min_size=2, max_size=30, unique=True))
def test_replacement_uids_are_valid_distinct_and_stable(uids):
    deidentifier = Deidentifier(b"u" * 32)
    mapped = [deidentifier.new_uid(uid) for uid in uids]
    assert all(re.fullmatch(r"2\.25\.(0|[1-9][0-9]*)", uid) and len(uid) <= 64 for uid in mapped)
    assert len(set(mapped)) == len(uids)
    assert mapped == [Deidentifier(b"u" * 32).new_uid(uid) for uid in uids]


def test_pseudonymous_paths_keep_the_tree_shape_and_differ_by_key():
    first = pseudonymous_path(b"a" * 32, "LI_SI/CT/1.dcm")
    assert first.count("/") == 2 and "LI_SI" not in first and first.endswith(".dcm")
    sibling = pseudonymous_path(b"a" * 32, "LI_SI/CT/2.dcm")
    assert sibling.rsplit("/", 1)[0] == first.rsplit("/", 1)[0] and sibling != first
    assert pseudonymous_path(b"b" * 32, "LI_SI/CT/1.dcm") != first
