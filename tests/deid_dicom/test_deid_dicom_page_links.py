"""The DICOM page shows only the links its reader may open (commission staff saw download links
that answered 403), job states in the reader's language, and refreshes itself while jobs run."""

from yizhi.jobs import service
from yizhi.jobs.models import JobState


def _succeeded_job(db, cast):
    from yizhi.accounts.models import Organization

    hospital = db.query(Organization).filter_by(slug="hospital").one()
    job = service.enqueue(db, "deid.dicom", {"input": "0" * 64, "input_name": "study.zip"},
                          created_by_id=cast.owner.id, organization_id=hospital.id)
    job.state, job.result = JobState.succeeded, {"output": "0" * 64, "report_file": "0" * 64, "quarantine": None,
                                                 "counts": {"ok": 1, "quarantined": 0, "error": 0}}
    db.commit()
    return job


def test_commission_staff_see_the_job_but_no_download_link(web, cast, db):
    job = _succeeded_job(db, cast)
    admin_page = web(cast.admin).get("/deid/dicom").text
    assert f"/jobs/{job.id}" in admin_page
    assert f"/api/v1/deid/dicom/{job.id}/output" not in admin_page
    owner_page = web(cast.owner).get("/deid/dicom").text
    assert f"/api/v1/deid/dicom/{job.id}/output" in owner_page
    assert "成功" in owner_page or "已完成" in owner_page  # the state in Chinese, not "succeeded"


def test_the_job_list_polls_while_a_job_runs(web, cast, db):
    from yizhi.accounts.models import Organization

    hospital = db.query(Organization).filter_by(slug="hospital").one()
    service.enqueue(db, "deid.dicom", {"input": "0" * 64}, created_by_id=cast.owner.id, organization_id=hospital.id)
    db.commit()
    page = web(cast.owner).get("/deid/dicom").text
    assert 'hx-trigger="every 3s"' in page


def test_the_job_page_offers_downloads_only_to_those_who_may_open_them(web, cast, db):
    job = _succeeded_job(db, cast)
    owner_page = web(cast.owner).get(f"/deid/dicom/jobs/{job.id}").text
    assert f"/api/v1/deid/dicom/{job.id}/output" in owner_page and 'id="dicom-job-downloads"' in owner_page
    admin = web(cast.admin)
    admin_page = admin.get(f"/deid/dicom/jobs/{job.id}").text
    assert 'id="dicom-job-counts"' in admin_page and 'id="dicom-job-no-downloads"' in admin_page
    assert "/api/v1/deid/dicom/" not in admin_page
    assert admin.get(f"/api/v1/deid/dicom/{job.id}/output").status_code == 403  # the link it is not shown
    assert web(cast.outsider).get(f"/deid/dicom/jobs/{job.id}").status_code == 404
    assert web(cast.company).get(f"/deid/dicom/jobs/{job.id}").status_code == 404


def test_a_partly_bad_upload_lists_each_failed_file_in_the_readers_language(web, cast, db):
    job = _succeeded_job(db, cast)
    job.result = {**job.result, "counts": {"ok": 1, "quarantined": 0, "error": 1},
                  "file_errors": [{"file": "#2", "reason": "not a DICOM file", "detail": "no DICM prefix"}]}
    db.commit()
    zh = web(cast.owner).get(f"/deid/dicom/jobs/{job.id}").text
    assert "#2：不是 DICOM 文件（no DICM prefix）" in zh
    en = web(cast.owner).get(f"/deid/dicom/jobs/{job.id}?lang=en").text
    assert "#2: not a DICOM file (no DICM prefix)" in en


def test_a_running_job_page_refreshes_itself(web, cast, db):
    from yizhi.accounts.models import Organization

    hospital = db.query(Organization).filter_by(slug="hospital").one()
    job = service.enqueue(db, "deid.dicom", {"input": "0" * 64, "input_name": "a.zip"},
                          created_by_id=cast.owner.id, organization_id=hospital.id)
    db.commit()
    page = web(cast.owner).get(f"/deid/dicom/jobs/{job.id}").text
    assert f'hx-get="/deid/dicom/jobs/{job.id}"' in page and 'hx-trigger="every 2s"' in page
    other = service.enqueue(db, "catalog.purge_raw", {}, created_by_id=cast.owner.id, organization_id=hospital.id)
    db.commit()
    assert web(cast.owner).get(f"/deid/dicom/jobs/{other.id}").status_code == 404  # not a DICOM job
