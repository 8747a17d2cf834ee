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
