"""The Basic Profile on the real files shipped by pydicom, pydicom-data and deid-data."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import dictionary_VR
from deid_dicom_helpers import CORPUS_ROOTS, identifying_tags, identifying_tokens, leaks, tree_hashes

from yizhi.deid.dicom.profile_table import PROFILE

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _report(output):
    return [json.loads(line) for line in (output / "deid-report.jsonl").read_text().splitlines()]


def _written(output, line):
    folder = output / "quarantine" if line["status"] == "quarantined" else output
    return folder / line["path"]


def _walk_tags(ds, path=""):
    for elem in ds:
        yield f"{path}({elem.tag:08X})", elem
        if elem.VR == "SQ":
            for index, item in enumerate(elem.value or []):
                yield from _walk_tags(item, f"{path}({elem.tag:08X})[{index}]")


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_every_input_file_has_one_report_line(basic_runs, corpus):
    root, output, summary, _ = basic_runs[corpus]
    lines = _report(output)
    inputs = sorted(tree_hashes(root)) + sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file() and "__pycache__" in path.parts
    )
    assert sorted(line["path"] for line in lines) == sorted(inputs)
    assert {line["status"] for line in lines} <= {"ok", "quarantined", "error"}
    assert summary.ok + summary.quarantined > 0.6 * len(lines)
    for line in lines:
        written = (output / line["path"]).exists() or (output / "quarantine" / line["path"]).exists()
        assert written == (line["status"] != "error"), line


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_input_files_are_never_modified(basic_runs, corpus):
    root, _, _, before = basic_runs[corpus]
    assert tree_hashes(root) == before


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_no_identifying_value_of_the_input_appears_in_the_output(basic_runs, corpus):
    root, output, _, _ = basic_runs[corpus]
    identifying = identifying_tags()
    checked_tokens = 0
    problems = []
    for line in _report(output):
        if line["status"] == "error":
            continue
        checked_tokens += len(identifying_tokens(root / line["path"], identifying))
        problems += [f"{line['path']} {leak}" for leak in leaks(root / line["path"], _written(output, line), identifying)]
    assert checked_tokens > 50  # the corpus really holds identifying values
    assert problems == []


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_output_holds_no_private_curve_overlay_or_removed_attribute(basic_runs, corpus):
    root, output, _, _ = basic_runs[corpus]
    always_removed = {tag for tag, actions in PROFILE.items() if actions[0] == "X"}
    for line in _report(output):
        if line["status"] == "error":
            continue
        ds = pydicom.dcmread(_written(output, line), force=True)
        for where, elem in _walk_tags(ds):
            group = elem.tag >> 16
            assert not group & 1, f"{line['path']} private {where}"
            assert not (0x5000 <= group <= 0x501E or 0x6000 <= group <= 0x601E), f"{line['path']} {where}"
            assert elem.tag not in always_removed, f"{line['path']} {where} should be removed"
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert ds.LongitudinalTemporalInformationModified == "REMOVED"


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_pixel_data_is_unchanged(basic_runs, corpus):
    root, output, _, _ = basic_runs[corpus]
    compared = 0
    for line in _report(output):
        if line["status"] == "error":
            continue
        original = pydicom.dcmread(root / line["path"], force=True)
        if "PixelData" not in original:
            continue
        written = pydicom.dcmread(_written(output, line), force=True)
        assert written.PixelData == original.PixelData, line["path"]
        if "TransferSyntaxUID" in original.file_meta:
            assert written.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
        compared += 1
    assert compared >= 10


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_replaced_uids_are_keyed_2_25_values_and_meta_matches(basic_runs, corpus):
    root, output, _, _ = basic_runs[corpus]
    for line in _report(output):
        if line["status"] == "error":
            continue
        original = pydicom.dcmread(root / line["path"], force=True)
        written = pydicom.dcmread(_written(output, line), force=True)
        if "SOPInstanceUID" in original:
            assert written.SOPInstanceUID.startswith("2.25.")
            assert written.SOPInstanceUID != original.SOPInstanceUID
            assert len(written.SOPInstanceUID) <= 64
            meta_uid = original.file_meta.get("MediaStorageSOPInstanceUID")
            if meta_uid == original.SOPInstanceUID:  # some test files disagree with themselves
                assert written.file_meta.MediaStorageSOPInstanceUID == written.SOPInstanceUID
        if "SOPClassUID" in original:
            assert written.SOPClassUID == original.SOPClassUID  # a well-known UID, not an identity


def _kept_values(ds, path="") -> dict[str, object]:
    """path -> value for every attribute the profile does not touch (all depths)."""
    values = {}
    for elem in ds:
        tag = elem.tag
        group = tag >> 16
        if group & 1 or 0x5000 <= group <= 0x501E or 0x6000 <= group <= 0x601E:
            continue
        if tag in MARKS or tag & 0xFFFF == 0:  # our marks; group lengths (retired, not written)
            continue
        where = f"{path}({tag:08X})"
        actions = PROFILE.get(tag)
        if elem.VR == "SQ":
            if actions is not None and (actions[0] in ("X", "Z") or "/" in actions[0]):  # may be gone
                continue
            for index, item in enumerate(elem.value or []):
                values.update(_kept_values(item, f"{where}[{index}]"))
        elif actions is None:
            values[where] = elem.value
    return values


MARKS = {0x00120062, 0x00120063, 0x00120064, 0x00280303}


@pytest.mark.parametrize("corpus", sorted(CORPUS_ROOTS))
def test_attributes_the_profile_keeps_are_written_back_unchanged(basic_runs, corpus):
    root, output, _, _ = basic_runs[corpus]
    compared = 0
    for line in _report(output):
        if line["status"] == "error":
            continue
        original = _kept_values(pydicom.dcmread(root / line["path"], force=True))
        written = _kept_values(pydicom.dcmread(_written(output, line), force=True))
        assert written == original, line["path"]
        compared += len(original)
    assert compared > 200


def test_large_pixel_data_is_never_loaded_and_is_copied_byte_for_byte(tmp_path):
    from yizhi.deid.dicom import fastio
    from yizhi.deid.dicom.batch import deidentify_file, read_dataset
    from yizhi.deid.dicom.engine import Deidentifier

    big = [p for root in CORPUS_ROOTS.values() for p in root.rglob("*.dcm") if p.stat().st_size > 500_000]
    if not big:
        pytest.skip("no DICOM file over 500 kB in the installed corpora (pydicom-data missing)")
    deidentifier = Deidentifier(b"p" * 32)
    for path in big[:5]:
        ds = read_dataset(path)
        deidentifier.deidentify(ds)
        raw = ds.get_item(0x7FE00010, keep_deferred=True)
        assert raw is not None and raw.value is None, path.name  # still on disk, not in memory
        line = deidentify_file(path, path.name, tmp_path, deidentifier)
        written = tmp_path / ("quarantine" if line["status"] == "quarantined" else "") / path.name
        assert pydicom.dcmread(written).PixelData == pydicom.dcmread(path).PixelData
    assert fastio.DEFER_BYTES < 500_000


@pytest.mark.parametrize(
    "option_names",
    [["retain-long-modified-dates", "retain-device-id"], ["retain-patient-chars", "retain-institution-id"]],
)
def test_with_options_only_what_the_options_keep_can_appear(tmp_path, option_names):
    from yizhi.deid.dicom.batch import deidentify_tree
    from yizhi.deid.dicom.options import OPTION_INFO, parse_options

    root = CORPUS_ROOTS["pydicom"]
    options = parse_options(option_names)
    deidentify_tree(root, tmp_path, b"o" * 32, options)
    identifying = identifying_tags(tuple(OPTION_INFO[option].table_field for option in options))
    if "retain-long-modified-dates" in option_names:  # the option keeps times (TM), shifts dates
        identifying = {tag for tag in identifying if dictionary_VR(tag) != "TM"}
    problems = []
    for line in _report(tmp_path):
        if line["status"] != "error":
            problems += [f"{line['path']} {leak}" for leak in leaks(root / line["path"], _written(tmp_path, line), identifying)]
    assert problems == []


# Every pydicom test file that is not a usable DICOM instance, and why; all others must pass.
PYDICOM_NOT_RELEASABLE = {
    "MR_truncated.dcm": "truncated DICOM file",
    "rtplan_truncated.dcm": "truncated DICOM file",
    "SC_rgb_jpeg.dcm": "TypeError",  # says explicit VR, is implicit VR: pydicom cannot write it either
    "no_meta.dcm": "not a DICOM file",  # a bare dataset pydicom only reads when told its encoding
    **dict.fromkeys(["README.txt", "crayons.icc", "rtplan.dump", "rtstruct.dump", "test1.json",
                     "test_PN.json", "zipMR.gz", "dicomdirtests/README.txt", "dicomdirtests/TINY_ALPHA/README"],
                    "not a DICOM file"),
    **dict.fromkeys(["dicomdirtests/DICOMDIR", "dicomdirtests/DICOMDIR-bigEnd", "dicomdirtests/DICOMDIR-empty.dcm",
                     "dicomdirtests/DICOMDIR-implicit", "dicomdirtests/DICOMDIR-nooffset",
                     "dicomdirtests/DICOMDIR-nopatient", "dicomdirtests/DICOMDIR-reordered",
                     "dicomdirtests/TINY_ALPHA/DICOMDIR"], "DICOMDIR"),
}


def test_only_broken_or_foreign_pydicom_files_fail(basic_runs):
    root, output, _, _ = basic_runs["pydicom"]
    errors = {line["path"]: line["reason"] for line in _report(output) if line["status"] == "error"}
    assert set(errors) == set(PYDICOM_NOT_RELEASABLE)
    for path, reason in errors.items():
        assert PYDICOM_NOT_RELEASABLE[path] in reason, (path, reason)
    other_corpora_errors = [
        (name, line["path"]) for name, (_, out, _, _) in basic_runs.items() if name != "pydicom"
        for line in _report(out) if line["status"] == "error" and line["path"].endswith(".dcm")
    ]
    assert other_corpora_errors == []
