"""Hostile and broken inputs: a clear error naming file and place, or the bad part skipped and
listed; never a file written outside ``out_dir``, never a half-built version left behind."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import ingest_cohort as cohort
import pytest

from yizhi.errors import ValidationFailed
from yizhi.ingest import Source, build_version, load_profile

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

GOOD_PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female"}


def _build(tmp_path: Path, files: dict[str, bytes | Path], profile: str | None = None):
    inputs = tmp_path / "in"
    inputs.mkdir(exist_ok=True)
    sources = []
    for name, content in files.items():
        path = content if isinstance(content, Path) else inputs / name.replace("/", "_")
        if not isinstance(content, Path):
            path.write_bytes(content)
        sources.append(Source(name, path))
    out = tmp_path / "out"
    out.mkdir()
    return out, build_version(sources, out, profile=load_profile(profile), key=cohort.KEY)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _refused(tmp_path: Path, files: dict, profile: str | None = None) -> ValidationFailed:
    before = _tree(tmp_path)
    with pytest.raises(ValidationFailed) as caught:
        _build(tmp_path, files, profile)
    out = tmp_path / "out"
    assert list(out.iterdir()) == []  # nothing half-built left behind
    assert _tree(tmp_path) - before - {"out"} <= {"in"} | {f"in/{n.replace('/', '_')}" for n in files}
    return caught.value


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


def test_zip_slip_member_is_refused_and_nothing_escapes(tmp_path):
    archive = _zip(tmp_path / "evil.zip", {"../../escaped.dcm": b"DICM" * 10, "ok.dcm": b"x"})
    error = _refused(tmp_path, {"evil.zip": archive})
    assert "evil.zip" in error.message and "zip slip" in error.message and "../../escaped.dcm" in error.message
    assert not list(tmp_path.parent.rglob("escaped.dcm"))


def test_absolute_member_name_is_refused(tmp_path):
    archive = _zip(tmp_path / "abs.zip", {"/etc/cron.d/x": b"x"})
    assert "zip slip" in _refused(tmp_path, {"abs.zip": archive}).message


def test_zip_bomb_total_size_is_refused_before_extraction(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", {f"f{i}.dcm": b"\0" * 200_000 for i in range(3)}, zipfile.ZIP_STORED)
    profile = "limits: {max_expanded_bytes: 500000}"
    error = _refused(tmp_path, {"bomb.zip": archive}, profile)
    assert "expands to more than 500000 bytes" in error.message


def test_ratio_bomb_is_refused(tmp_path):
    archive = _zip(tmp_path / "ratio.zip", {"zeros.dcm": b"\0" * 5_000_000})
    error = _refused(tmp_path, {"ratio.zip": archive})
    assert "zeros.dcm" in error.message and "zip bomb" in error.message


def test_huge_ndjson_line_is_skipped_in_bounded_memory(tmp_path):
    lines = [json.dumps(GOOD_PATIENT), '{"resourceType": "Patient", "id": "' + "x" * 3_000_000 + '"}',
             json.dumps({**GOOD_PATIENT, "id": "p2"})]
    out, result = _build(tmp_path, {"big.ndjson": "\n".join(lines).encode()}, "limits: {max_line_bytes: 100000}")
    assert result.tables["patient"]["rows"] == 2
    assert [(p["where"], p["reason"]) for p in result.problems] == [("line 2", "line longer than 100000 bytes; skipped")]


def test_invalid_resource_among_good_ones_is_listed_by_line_and_id(tmp_path):
    bad = {"resourceType": "Observation", "id": "obs-bad", "status": "final"}  # code is required
    unknown = {"resourceType": "Spaceship", "id": "s1"}
    text = "\n".join(json.dumps(r) for r in [GOOD_PATIENT, bad, unknown, {**GOOD_PATIENT, "id": "p2"}]) + "\n{broken"
    out, result = _build(tmp_path, {"mixed.ndjson": text.encode()})
    assert result.tables["patient"]["rows"] == 2
    where = {(p["where"], p["field"]) for p in result.problems}
    assert ("line 2 (Observation/obs-bad)", "code") in where
    assert ("line 3 (Spaceship/s1)", "resourceType") in where
    assert ("line 5", "") in where
    assert result.quality["problems_by_kind"] == {"fhir:invalid_json": 1, "fhir:missing": 1,
                                                   "fhir:unknown_resource_type": 1}


def test_a_bundle_that_is_not_a_bundle(tmp_path):
    error = _refused(tmp_path, {"b.json": json.dumps({"resourceType": "Bundle", "entry": {"x": 1}}).encode()})
    assert "b.json" in error.message and "Bundle.entry must be a list" in error.message
    error = _refused(tmp_path / "2" if (tmp_path / "2").mkdir() is None else tmp_path,
                     {"c.json": json.dumps([{"resourceType": "Patient"}]).encode()})
    assert "c.json" in error.message and "not a FHIR resource or Bundle" in error.message


def test_json_that_is_not_json(tmp_path):
    error = _refused(tmp_path, {"x.json": b'{"resourceType": "Bundle", "entry": [\n  {oops'})
    assert "x.json" in error.message and "not valid JSON" in error.message


def test_binary_junk_named_csv(tmp_path):
    error = _refused(tmp_path, {"labs.csv": bytes(range(256)) * 50})
    assert "labs.csv" in error.message and "not a text file" in error.message


def test_bad_encoding_midway_is_refused_with_the_file(tmp_path):
    good = "patient_id,note\n" + "".join(f"p{i},血糖正常\n" for i in range(20))
    data = good.encode() + b"p99,\xff\xfe\xfa broken\n"
    error = _refused(tmp_path, {"labs.csv": data})
    assert "labs.csv, line 22" in error.message and "not UTF-8" in error.message


def test_profile_naming_a_missing_column(tmp_path):
    profile = "tables:\n  labs.csv:\n    patient_id: patient_id\n    dates: [taken_on]\n"
    error = _refused(tmp_path, {"labs.csv": b"patient_id,value\np1,3\n"}, profile)
    assert "labs.csv has no column taken_on" in error.message and error.field == "tables.labs.csv.dates"


def test_table_without_a_patient_column_says_how_to_map_it(tmp_path):
    error = _refused(tmp_path, {"labs.csv": b"who,value\np1,3\n"})
    assert "labs.csv" in error.message and "patient_id" in error.message


def test_non_dicom_members_are_listed_not_fatal(tmp_path):
    archive = _zip(tmp_path / "mixed.zip", {"notes.txt": b"hello", "nested/readme.md": b"# hi"})
    out, result = _build(tmp_path, {"mixed.zip": archive})
    assert {p["where"] for p in result.problems} == {"notes.txt", "nested/readme.md"}
    assert not (out / "dicom").exists()


def test_a_single_upload_that_is_not_dicom(tmp_path):
    error = _refused(tmp_path, {"scan.dcm": b"not dicom at all" * 20})
    assert "scan.dcm" in error.message and "not a DICOM file" in error.message


def test_out_dir_must_be_empty(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("x")
    with pytest.raises(ValidationFailed) as caught:
        build_version([Source("n.jsonl", tmp_path / "n.jsonl")], out, profile=load_profile(None), key=cohort.KEY)
    assert "not empty" in caught.value.message
    assert (out / "old.txt").exists()


def test_bad_note_lines_are_skipped_and_listed(tmp_path):
    lines = [{"patient_id": "p1", "text": "ok"}, {"patient_id": "", "text": "x"}, {"patient_id": "p1"},
             {"patient_id": "p1", "text": "dated", "date": "not a date"}]
    text = "\n".join(json.dumps(line) for line in lines) + "\n[1, 2]\n"
    out, result = _build(tmp_path, {"notes.jsonl": text.encode()})
    assert result.tables["notes"]["rows"] == 2
    assert [(p["where"], p["field"]) for p in result.problems] == [
        ("line 2", "patient_id"), ("line 3", "text"), ("line 4", "date"), ("line 5", "")]
