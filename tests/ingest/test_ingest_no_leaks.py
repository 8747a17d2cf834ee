"""Identifiers planted in FHIR, notes, a table and DICOM, for the same patients, never reach the
version; the patient's pseudonym and date shift agree across every modality."""

from __future__ import annotations

import datetime as dt

import ingest_cohort as cohort
import pyarrow.parquet as pq
import pydicom
from ingest_scan import find_planted

from yizhi.ingest.identity import Identity

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _rows(out, table):
    return pq.read_table(out / "tables" / f"{table}.parquet").to_pylist()


def test_no_planted_identifier_reaches_any_output_file(cohort_build):
    out, result = cohort_build
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "manifest.json" in files and "quality.json" in files
    assert any(f.startswith("dicom/") for f in files)
    assert find_planted(out, cohort.planted_values()) == []


def test_the_scan_would_see_a_planted_value(tmp_path):
    """The scanner itself finds values in Parquet cells (compressed) and DICOM elements."""
    import pyarrow as pa

    pq.write_table(pa.table({"x": ["… Walter Henderson …"]}), tmp_path / "t.parquet", compression="zstd")
    assert find_planted(tmp_path, ["Walter Henderson"]) == [("t.parquet", "Walter Henderson")]


def test_every_modality_is_present(cohort_build):
    out, result = cohort_build
    assert {"patient", "encounter", "observation", "imaging_study", "document_reference", "notes", "labs",
            "dicom_index"} <= set(result.tables)
    assert result.stats["modalities"] == ["dicom", "fhir", "notes", "tables"]
    assert result.stats["individuals"] == 2
    assert result.stats["dicom_series"] == {"CT": 1, "MR": 1}
    assert [q["reason"][:22] for q in result.quarantine] == ["BurnedInAnnotation is "]
    assert result.quarantine[0]["member"] == "burned/screen.dcm"
    # the README in the zip is listed, not fatal
    assert any(p["where"] == "README.txt" for p in result.problems)


def test_pseudonyms_agree_across_modalities(cohort_build):
    out, _ = cohort_build
    identity = Identity(cohort.KEY)
    expected = {identity.pseudonym(p["mrn"]) for p in cohort.PATIENTS.values()}
    assert {r["patient"] for r in _rows(out, "patient")} == expected
    assert {r["patient"] for r in _rows(out, "notes")} == expected
    assert {r["patient"] for r in _rows(out, "labs")} == expected
    assert {r["patient"] for r in _rows(out, "dicom_index")} == expected
    assert {r["patient"] for r in _rows(out, "encounter")} == expected  # NDJSON and the Bundle's urn:uuid refs
    for row in _rows(out, "dicom_index"):
        ds = pydicom.dcmread(out / row["path"])
        assert ds.PatientID == row["patient"] and str(ds.PatientName) == row["patient"]


def test_another_key_gives_other_pseudonyms():
    first, other = Identity(cohort.KEY), Identity(b"another-dataset-key-0123456789ab")
    assert first.pseudonym("40213377") != other.pseudonym("40213377")
    assert first.pseudonym("40213377") == Identity(cohort.KEY).pseudonym(" 40213377 ")


def test_one_date_shift_per_patient_across_modalities(cohort_build):
    out, _ = cohort_build
    identity = Identity(cohort.KEY)
    for p in cohort.PATIENTS.values():
        pseudonym = identity.pseudonym(p["mrn"])
        shift = identity.shift_days(pseudonym)
        assert shift != 0
        day = (dt.date.fromisoformat(p["day"]) + dt.timedelta(days=shift)).isoformat()
        assert [r["start"][:10] for r in _rows(out, "encounter") if r["patient"] == pseudonym] == [day]
        assert [r["started"][:10] for r in _rows(out, "imaging_study") if r["patient"] == pseudonym] == [day]
        assert [r["date"] for r in _rows(out, "notes") if r["patient"] == pseudonym] == [day]
        assert [r["采样日期"] for r in _rows(out, "labs") if r["patient"] == pseudonym] == [day]
        assert [r["study_date"] for r in _rows(out, "dicom_index") if r["patient"] == pseudonym] == [day]
        # the date written inside the note's text moved by the same shift
        assert all(day in r["text"] for r in _rows(out, "notes") if r["patient"] == pseudonym)
        # birth date: the shifted year only (the Chinese patient is over 89: top-coded)
        birth = [r["birth_date"] for r in _rows(out, "patient") if r["patient"] == pseudonym]
        assert birth and len(birth[0]) == 4


def test_ages_over_89_are_top_coded(cohort_build):
    out, result = cohort_build
    years = sorted(int(r["birth_date"]) for r in _rows(out, "patient"))
    assert years[0] == 2025 - 90  # born 1931: 94 at the reference year, written as 90
    assert result.stats["age_range"][1] == 90


def test_postcodes_are_cut_and_address_lines_gone(cohort_build):
    out, _ = cohort_build
    assert sorted(r["postal_code"] for r in _rows(out, "patient")) == ["100", "627"]
    assert sorted(r["邮编"] for r in _rows(out, "labs")) == ["100", "627"]
    assert "姓名" not in _rows(out, "labs")[0] and "电话" not in _rows(out, "labs")[0]
