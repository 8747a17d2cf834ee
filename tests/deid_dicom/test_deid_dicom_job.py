"""The `deid.dicom` job: a stored zip in; released zip, quarantine zip and report out; ledger event."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pydicom
import pytest
from sqlalchemy import select

from yizhi import storage
from yizhi.db import session_scope
from yizhi.deid.dicom import tasks  # noqa: F401  (registers the handler)
from yizhi.jobs.models import JobState
from yizhi.ledger.models import LedgerEntry

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))


def _zip(members: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return storage.put_bytes(buffer.getvalue())


def _flagged_ct() -> bytes:
    ds = pydicom.dcmread(CT)
    ds.BurnedInAnnotation = "YES"
    buffer = io.BytesIO()
    ds.save_as(buffer)
    return buffer.getvalue()


def test_job_releases_clean_files_quarantines_burned_in_and_reports_every_file(run_job):
    upload = _zip({"study/ct1.dcm": CT.read_bytes(), "study/flagged.dcm": _flagged_ct(), "notes.txt": b"hello"})
    job = run_job("deid.dicom", {"input": upload, "input_name": "study.zip", "options": ["retain-patient-chars"], "rename_paths": False})
    assert job.state == JobState.succeeded, job.error
    assert job.result["counts"] == {"ok": 1, "quarantined": 1, "error": 1}
    with storage.open_file(job.result["output"]) as handle:
        released = zipfile.ZipFile(io.BytesIO(handle.read()))
    assert released.namelist() == ["study/ct1.dcm"]
    written = pydicom.dcmread(io.BytesIO(released.read("study/ct1.dcm")))
    original = pydicom.dcmread(CT)
    assert written.PatientIdentityRemoved == "YES"
    assert str(written.PatientName) != str(original.PatientName)
    assert written.PatientSex == original.PatientSex  # the option was applied
    assert written.PixelData == original.PixelData
    with storage.open_file(job.result["quarantine"]) as handle:
        assert zipfile.ZipFile(io.BytesIO(handle.read())).namelist() == ["study/flagged.dcm"]
    lines = {line["path"]: line["status"] for line in tasks.report_lines(job.result["report_file"])}
    assert lines == {"study/ct1.dcm": "ok", "study/flagged.dcm": "quarantined", "notes.txt": "error"}
    assert job.result["output_name"] == "study-deid.zip"
    with session_scope() as session:
        entry = session.scalars(select(LedgerEntry).where(LedgerEntry.subject == f"job:{job.id}")).one()
    assert entry.kind == "deid.dicom.completed"
    assert job.result["output"] in entry.leaf and upload in entry.leaf
    assert str(original.PatientName) not in entry.leaf and original.PatientID not in entry.leaf


def test_job_accepts_a_single_dicom_file(run_job):
    job = run_job("deid.dicom", {"input": storage.put_bytes(CT.read_bytes()), "input_name": "ct.dcm"})
    assert job.state == JobState.succeeded, job.error
    assert job.result["counts"]["ok"] == 1 and job.result["quarantine"] is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"options": ["retain-everything"]}, "unknown option 'retain-everything'"),
        ({"input_name": "../x.zip"}, "plain file name"),
        ({"zip_member": "../../etc/evil.dcm"}, "points outside the upload"),
        ({"zip_member": "/abs/evil.dcm"}, "points outside the upload"),
        ({"input": "0" * 64}, "invalid input"),
    ],
)
def test_bad_params_and_hostile_zips_fail_at_once_with_a_clear_message(params, message, run_job):
    member = params.pop("zip_member", "ok.dcm")
    base = {"input": _zip({member: CT.read_bytes()}), "input_name": "up.zip"}
    base.update(params)
    job = run_job("deid.dicom", base)
    assert job.state == JobState.failed  # permanent: not put back in the queue
    assert message in job.error.splitlines()[0]


def test_job_replaces_folder_and_file_names_by_default(run_job):
    upload = _zip({"ZHANG_SAN_0012345/CT/ZHANG_SAN.dcm": CT.read_bytes()})
    job = run_job("deid.dicom", {"input": upload, "input_name": "study.zip"})
    assert job.state == JobState.succeeded, job.error
    with storage.open_file(job.result["output"]) as handle:
        (name,) = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert "ZHANG" not in name and "0012345" not in name and name.count("/") == 2
    (line,) = tasks.report_lines(job.result["report_file"])
    assert line["path"] == "ZHANG_SAN_0012345/CT/ZHANG_SAN.dcm" and line["output"] == name
    again = run_job("deid.dicom", {"input": upload, "input_name": "study.zip"})  # same key: same stand-in names
    with storage.open_file(again.result["output"]) as handle:
        assert zipfile.ZipFile(io.BytesIO(handle.read())).namelist() == [name]
