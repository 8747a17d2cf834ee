"""The /deid/dicom page: upload form, queued job, results listed for the hospital only."""

from __future__ import annotations

from pathlib import Path

import pydicom

from yizhi.jobs import service as jobs

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))


def _upload(client, **data):
    return client.post_form("/deid/dicom", {"org": "hospital", **data},
                            files={"file": ("ct.dcm", CT.read_bytes(), "application/dicom")})


def test_owner_uploads_sees_the_job_and_its_result_links(web, cast):
    client = web(cast.owner)
    page = client.get("/deid/dicom")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    assert 'value="retain-long-modified-dates"' in page.text and "dicom-no-jobs" in page.text
    response = _upload(client, option="retain-patient-chars")
    assert response.status_code == 303 and response.headers["location"].startswith("/deid/dicom/jobs/")
    listed = client.get("/deid/dicom").text
    assert "ct.dcm" in listed and "queued" in listed
    job_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert f'href="/deid/dicom/jobs/{job_id}"' in listed
    jobs.run_job(job_id)
    done = client.get("/deid/dicom").text
    assert f"/api/v1/deid/dicom/{job_id}/output" in done and f"/api/v1/deid/dicom/{job_id}/report" in done
    assert client.get(f"/api/v1/deid/dicom/{job_id}/output").status_code == 200  # the session works


def test_page_in_chinese_by_default_and_english_on_request(web, cast):
    client = web(cast.owner)
    assert "DICOM 脱敏" in client.get("/deid/dicom").text
    english = client.get("/deid/dicom?lang=en").text
    assert "De-identify DICOM" in english and "Upload and de-identify" in english


def test_missing_file_and_bad_option_are_shown_on_the_page(web, cast):
    client = web(cast.owner)
    response = client.post_form("/deid/dicom", {"org": "hospital"})
    assert response.status_code == 422 and "dicom-error" in response.text
    bad = _upload(client, option="retain-everything")
    assert bad.status_code == 422 and "retain-everything" in bad.text


def test_outsider_cannot_upload_for_the_hospital_nor_see_its_jobs(web, cast):
    owner = web(cast.owner)
    _upload(owner)
    outsider = web(cast.outsider)
    assert "ct.dcm" not in outsider.get("/deid/dicom").text
    refused = _upload(outsider)
    assert refused.status_code in (403, 404)


def test_anonymous_is_sent_to_log_in(web):
    response = web().get("/deid/dicom")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
