"""Burned-in text goes to quarantine; broken files are reported and the run goes on; the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pydicom
import pytest
from deid_dicom_helpers import CORPUS_ROOTS, tree_hashes
from typer.testing import CliRunner

from yizhi.cli import app
from yizhi.deid.dicom.batch import TreeError, deidentify_tree
from yizhi.deid.dicom.cli import SafePrivateError, read_safe_private

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
KEY = b"q" * 32


def _lines(output: Path) -> dict[str, dict]:
    return {line["path"]: line for line in map(json.loads, (output / "deid-report.jsonl").read_text().splitlines())}


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    """Real files plus the kinds of trouble a hospital export has."""
    folder = tmp_path / "in"
    (folder / "ct").mkdir(parents=True)
    shutil.copy(CT, folder / "ct" / "plain.dcm")
    flagged = pydicom.dcmread(CT)
    flagged.BurnedInAnnotation = "YES"
    flagged.save_as(folder / "ct" / "flagged.dcm")
    declared_clean = pydicom.dcmread(CT)
    declared_clean.Modality = "US"
    declared_clean.BurnedInAnnotation = "NO"
    declared_clean.save_as(folder / "us_declared_clean.dcm")
    (folder / "notes.txt").write_text("not an image")
    (folder / "truncated.dcm").write_bytes(CT.read_bytes()[:1000])
    (folder / "empty.dcm").write_bytes(b"")
    deid = CORPUS_ROOTS.get("deid-data")
    if deid is not None:
        shutil.copytree(deid / "ultrasounds", folder / "us", ignore=shutil.ignore_patterns("*.zip"))
    return folder


def test_burned_in_files_go_to_quarantine_never_to_the_released_tree(mixed_folder, tmp_path):
    output = tmp_path / "out"
    deidentify_tree(mixed_folder, output, KEY)
    lines = _lines(output)
    assert lines["ct/plain.dcm"]["status"] == "ok" and (output / "ct" / "plain.dcm").exists()
    assert lines["ct/flagged.dcm"] == {"path": "ct/flagged.dcm", "status": "quarantined",
                                       "reason": "BurnedInAnnotation is YES", "output": "quarantine/ct/flagged.dcm"}
    assert (output / "quarantine" / "ct" / "flagged.dcm").exists()
    assert not (output / "ct" / "flagged.dcm").exists()
    assert lines["us_declared_clean.dcm"]["status"] == "ok"
    quarantined = pydicom.dcmread(output / "quarantine" / "ct" / "flagged.dcm")
    assert quarantined.PatientIdentityRemoved == "YES"  # reviewers see de-identified metadata
    if CORPUS_ROOTS.get("deid-data") is not None:
        assert lines["us/GREYSCALE_IMAGE.dcm"]["reason"] == "BurnedInAnnotation is YES"
        assert lines["us/RGB_IMAGE.dcm"]["status"] == "quarantined"  # US without the attribute
        assert "modality US" in lines["us/RGB_IMAGE.dcm"]["reason"]
        released = {p.relative_to(output).as_posix() for p in output.rglob("*.dcm")}
        assert not any(name.startswith("us/") for name in released)


def test_broken_and_foreign_files_are_error_lines_and_the_run_goes_on(mixed_folder, tmp_path):
    before = tree_hashes(mixed_folder)
    summary = deidentify_tree(mixed_folder, tmp_path / "out", KEY)
    lines = _lines(tmp_path / "out")
    assert set(lines) == set(before)
    for name in ("notes.txt", "truncated.dcm", "empty.dcm"):
        assert lines[name]["status"] == "error", lines[name]
        assert lines[name]["reason"] and "\n" not in lines[name]["reason"]
        assert "Traceback" not in lines[name]["reason"]
        assert not (tmp_path / "out" / name).exists()
    assert "truncated DICOM file" in lines["truncated.dcm"]["reason"]
    assert summary.error == 3 and summary.ok >= 2
    assert tree_hashes(mixed_folder) == before


def test_cli_exit_code_two_when_some_files_failed_and_report_on_stderr(mixed_folder, tmp_path):
    key_file = tmp_path / "k.key"
    key_file.write_text("f" * 64)
    result = CliRunner().invoke(app, ["deid", "dicom", str(mixed_folder), str(tmp_path / "out"),
                                      "--key-file", str(key_file), "--workers", "2",
                                      "--option", "retain-patient-chars"])
    assert result.exit_code == 2, result.output
    assert "3 failed" in result.stderr
    assert (tmp_path / "out" / "deid-report.jsonl").exists()
    written = pydicom.dcmread(tmp_path / "out" / "ct" / "plain.dcm")
    assert written.PatientSex == pydicom.dcmread(CT).PatientSex


def test_cli_exit_zero_on_a_clean_folder_and_same_key_file_same_uids(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CT, folder / "a.dcm")
    key_file = tmp_path / "k.key"
    key_file.write_text("0" * 64)
    runner = CliRunner()
    for run in ("one", "two"):
        result = runner.invoke(app, ["deid", "dicom", str(folder), str(tmp_path / run), "--key-file", str(key_file)])
        assert result.exit_code == 0, result.output
        assert "1 de-identified" in result.stdout
    assert (tmp_path / "one" / "a.dcm").read_bytes() == (tmp_path / "two" / "a.dcm").read_bytes()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--option", "retain-nothing"], "unknown option 'retain-nothing'"),
        (["--key-file", "/nonexistent/key"], "cannot read key file /nonexistent/key"),
    ],
)
def test_cli_bad_arguments_get_a_clear_error(tmp_path, arguments, message):
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(app, ["deid", "dicom", str(tmp_path / "in"), str(tmp_path / "out"), *arguments])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_refuses_output_inside_input_and_a_missing_input(tmp_path):
    key_file = tmp_path / "k.key"
    key_file.write_text("0" * 64)
    (tmp_path / "in").mkdir()
    inside = CliRunner().invoke(app, ["deid", "dicom", str(tmp_path / "in"), str(tmp_path / "in" / "out"),
                                      "--key-file", str(key_file)])
    assert inside.exit_code == 1 and "is inside input folder" in inside.stderr
    missing = CliRunner().invoke(app, ["deid", "dicom", str(tmp_path / "nope"), str(tmp_path / "out"),
                                       "--key-file", str(key_file)])
    assert missing.exit_code == 1 and "does not exist" in missing.stderr


def test_input_with_a_top_level_quarantine_folder_is_refused(tmp_path):
    (tmp_path / "in" / "quarantine").mkdir(parents=True)
    with pytest.raises(TreeError, match="top-level 'quarantine'"):
        deidentify_tree(tmp_path / "in", tmp_path / "out", KEY)


def test_safe_private_list_file_errors_say_which_line(tmp_path):
    good = tmp_path / "safe.csv"
    good.write_text("# creator,group,element\nGEMS_PARM_01,0043,27\n")
    assert read_safe_private(good) == frozenset({("GEMS_PARM_01", 0x0043, 0x27)})
    bad = tmp_path / "bad.csv"
    bad.write_text("GEMS_PARM_01,0043,27\nSIEMENS,0028,10\n")
    with pytest.raises(SafePrivateError, match="line 2: group 0028 is not private"):
        read_safe_private(bad)
    bad.write_text("GEMS_PARM_01,zz,27\n")
    with pytest.raises(SafePrivateError, match="line 1: group and element must be hexadecimal"):
        read_safe_private(bad)


def test_rename_paths_hides_names_consistently_and_the_report_maps_them(tmp_path):
    folder = tmp_path / "in" / "WANG_FANG_12345678"
    folder.mkdir(parents=True)
    shutil.copy(CT, folder / "WANG_FANG.dcm")
    key_file = tmp_path / "k.key"
    key_file.write_text("1" * 64)
    for run in ("one", "two"):
        result = CliRunner().invoke(app, ["deid", "dicom", str(tmp_path / "in"), str(tmp_path / run),
                                          "--key-file", str(key_file), "--rename-paths"])
        assert result.exit_code == 0, result.output
    written = [p.relative_to(tmp_path / "one").as_posix() for p in (tmp_path / "one").rglob("*.dcm")]
    assert len(written) == 1 and "WANG" not in written[0] and "12345678" not in written[0]
    assert (tmp_path / "two" / written[0]).exists()  # same key, same names
    (line,) = _lines(tmp_path / "one").values()
    assert line["path"] == "WANG_FANG_12345678/WANG_FANG.dcm" and line["output"] == written[0]


def test_a_non_empty_output_folder_is_refused_and_left_alone(tmp_path):
    (tmp_path / "in").mkdir()
    shutil.copy(CT, tmp_path / "in" / "a.dcm")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.dcm").write_bytes(b"from an earlier run")
    with pytest.raises(TreeError, match="is not empty"):
        deidentify_tree(tmp_path / "in", tmp_path / "out", KEY)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.dcm"]
