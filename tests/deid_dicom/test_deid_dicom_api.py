"""POST /api/v1/deid/dicom and result downloads: the hospital's people only; the outsider is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pydicom
import pytest

from yizhi.jobs import service as jobs

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ct/a.dcm", CT.read_bytes())
    return buffer.getvalue()


def _start(client, **form) -> dict:
    response = client.post(
        "/api/v1/deid/dicom",
        files={"file": ("study.zip", _zip(), "application/zip")},
        data={"org": "hospital", **form},
    )
    assert response.status_code == 202, response.text
    return response.json()


@pytest.fixture
def finished_job(api, cast) -> int:
    job = _start(api(cast.owner), option=["retain-patient-chars"])
    assert job["kind"] == "deid.dicom" and job["state"] == "queued"
    assert job["params"]["options"] == ["retain-patient-chars"]
    jobs.run_job(job["id"])
    return job["id"]


def test_owner_uploads_and_downloads_the_released_zip_and_report(api, cast, finished_job):
    client = api(cast.owner)
    status = client.get(f"/api/v1/jobs/{finished_job}").json()
    assert status["state"] == "succeeded", status["error"]
    assert status["result"]["counts"] == {"ok": 1, "quarantined": 0, "error": 0}
    released = client.get(f"/api/v1/deid/dicom/{finished_job}/output")
    assert released.status_code == 200
    assert released.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(released.content))
    (name,) = archive.namelist()
    assert "ct" not in name and name.endswith(".dcm")  # folder and file names are keyed stand-ins
    written = pydicom.dcmread(io.BytesIO(archive.read(name)))
    original = pydicom.dcmread(CT)
    assert written.PatientIdentityRemoved == "YES" and written.PatientID != original.PatientID
    assert written.PatientSex == original.PatientSex
    report = client.get(f"/api/v1/deid/dicom/{finished_job}/report")
    assert report.status_code == 200 and b'"status": "ok"' in report.content
    assert f'"output": "{name}"'.encode() in report.content and b'"path": "ct/a.dcm"' in report.content
    missing = client.get(f"/api/v1/deid/dicom/{finished_job}/quarantine")
    assert missing.status_code == 404 and "nothing was quarantined" in missing.json()["error"]["message"]


def test_colleague_of_the_hospital_may_download(api, cast, finished_job):
    assert api(cast.colleague).get(f"/api/v1/deid/dicom/{finished_job}/output").status_code == 200


@pytest.mark.parametrize("who", ["outsider", "company"])
def test_other_organisations_never_see_the_results(api, cast, finished_job, who):
    client = api(getattr(cast, who))
    for part in ("output", "quarantine", "report"):
        assert client.get(f"/api/v1/deid/dicom/{finished_job}/{part}").status_code == 404


def test_outsider_cannot_upload_for_another_hospital(api, cast):
    response = api(cast.outsider).post(
        "/api/v1/deid/dicom", files={"file": ("x.zip", _zip(), "application/zip")}, data={"org": "hospital"}
    )
    assert response.status_code in (403, 404)


def test_bad_option_is_a_clear_error_and_nothing_is_queued(api, cast, db):
    response = api(cast.owner).post(
        "/api/v1/deid/dicom",
        files={"file": ("x.zip", _zip(), "application/zip")},
        data={"org": "hospital", "option": "retain-everything"},
    )
    assert response.status_code in (400, 422)
    assert "unknown option 'retain-everything'" in response.json()["error"]["message"]
    from sqlalchemy import func, select

    from yizhi.jobs.models import Job

    assert db.scalar(select(func.count()).select_from(Job)) == 0


def test_results_are_refused_until_the_job_succeeded(api, cast):
    job = _start(api(cast.owner))
    response = api(cast.owner).get(f"/api/v1/deid/dicom/{job['id']}/output")
    assert response.status_code == 409
