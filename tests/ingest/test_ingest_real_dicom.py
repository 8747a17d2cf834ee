"""Real DICOM files (pydicom's own test files, as installed): every readable image is written
de-identified under its patient's pseudonym, or quarantined; no original name or patient id
survives anywhere in the version."""

from __future__ import annotations

import re
from pathlib import Path

import ingest_cohort as cohort
import pydicom
import pytest
from ingest_scan import find_planted

from yizhi.ingest import Source, build_version, load_profile
from yizhi.ingest.identity import Identity

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.db_independent]  # pydicom on odd real-world files


def _corpora() -> dict[str, Path]:
    roots = {"pydicom": Path(pydicom.__file__).parent / "data" / "test_files"}
    for module, folder in (("data_store", "data"), ("deid_data", "data")):  # pydicom-data, deid-data
        try:
            roots[module] = Path(__import__(module).__file__).parent / folder
        except ImportError:
            roots[module] = Path("/nonexistent") / module
    return roots


def _originals(folder: Path) -> tuple[dict[str, str], set[str]]:
    """{file: PatientID} and the identifying strings (names, ids) found in the inputs."""
    ids, values = {}, set()
    for path in sorted(folder.rglob("*.dcm")):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        patient_id = str(ds.get("PatientID", "") or "").strip()
        name = str(ds.get("PatientName", "") or "").strip()
        if patient_id:
            ids[path.relative_to(folder).as_posix()] = patient_id
        for value in (patient_id, name, name.replace("^", " ").strip()):
            # short or generic values ("0", "Anonymized", "Test") also appear in unrelated text
            if len(value) >= 6 and not re.fullmatch(r"[\d.]+|anon\w*|test\w*|patient\w*", value, re.I):
                values.add(value)
    return ids, values


@pytest.mark.slow
@pytest.mark.parametrize(("corpus", "at_least"), [("pydicom", 50), ("data_store", 10), ("deid_data", 1)])
def test_real_dicom_corpora(tmp_path, corpus, at_least):
    root = _corpora()[corpus]
    if not root.is_dir():
        pytest.skip(f"the {corpus} test files are not installed (pip install pydicom-data deid-data)")
    out = tmp_path / "out"
    out.mkdir()
    result = build_version([Source(corpus, root)], out, profile=load_profile(None), key=cohort.KEY)
    ids, values = _originals(root)
    written = list((out / "dicom").rglob("*.dcm"))
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(written) >= at_least and result.tables["dicom_index"]["rows"] == len(written)
    # every input file is written, quarantined or listed (files repeating an instance are written once)
    assert len(written) + len(result.quarantine) + len(result.problems) <= len(files)
    assert len({q["member"] for q in result.quarantine} | {p["where"] for p in result.problems}) == \
        len(result.quarantine) + len(result.problems)
    assert all(q["reason"] and q["member"] for q in result.quarantine)
    identity = Identity(cohort.KEY)
    pseudonyms = {identity.pseudonym(v) for v in ids.values()}
    for path in written:
        ds = pydicom.dcmread(path, force=True)
        assert ds.PatientIdentityRemoved == "YES"
        if ds.get("PatientID"):
            assert re.fullmatch(r"P[0-9A-F]{16}", ds.PatientID)
    assert not ids or pseudonyms & {pydicom.dcmread(p, stop_before_pixels=True, force=True).get("PatientID") for p in written}
    assert find_planted(out, sorted(values)) == []
