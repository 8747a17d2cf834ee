"""The page where a hospital member uploads DICOM files for de-identification and collects results."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yizhi.accounts.permissions import active_orgs, can
from yizhi.deid.dicom import service
from yizhi.deid.dicom.options import OPTION_INFO, Option
from yizhi.errors import N_, NotFound, PermissionDenied, ValidationFailed, YizhiError
from yizhi.web.deps import CurrentPerson, DbSession
from yizhi.web.flash import redirect_with_flash
from yizhi.web.forms import FormBody
from yizhi.web.templating import NavItem, render, translator

router = APIRouter(include_in_schema=False)
NAV = [NavItem("/deid/dicom", "De-identify DICOM", order=41,
               visible=lambda person: person is not None and can(person, "deid.dicom.use"))]


def _check(person) -> None:
    if not can(person, "deid.dicom.use"):
        raise PermissionDenied("only people acting for an approved organisation may de-identify DICOM files")


def _context(db, person, error: str | None = None, gettext=None) -> dict:
    from yizhi.jobs import service as jobs_service

    recent = service.recent_jobs(db, person)
    return {
        # Only the links this person may open (commission staff see the jobs, not the files).
        "downloadable": {job.id for job in recent if can(person, "deid.dicom.download", job)},
        "job_error": lambda job: jobs_service.localized_error(job, gettext or (lambda text: text)),
        "options": [(option.value, OPTION_INFO[option].code) for option in Option],
        "orgs": active_orgs(person),
        "jobs": recent,
        "error": error,
        "max_gib": service.MAX_UPLOAD_BYTES // 1024**3,
    }


@router.get("/deid/dicom", response_class=HTMLResponse)
def dicom_page(request: Request, db: DbSession, person: CurrentPerson) -> Response:
    _check(person)
    return render(request, "deid/dicom.html", _context(db, person, gettext=translator(request)))


def file_reasons(job, gettext) -> list[str]:
    """Why each file failed, in the reader's language: the failure's problems, or the files a
    partly good upload left out."""
    from yizhi.jobs import service as jobs_service

    if job.state.value == "failed":
        return jobs_service.localized_problems(job, gettext)
    from yizhi.errors import localize_problem

    return [localize_problem({"message": "%(file)s: %(reason)s (%(detail)s)" if entry.get("detail") else
                              "%(file)s: %(reason)s", "params": entry, "translate": ["reason"]}, gettext)
            for entry in (job.result or {}).get("file_errors", [])]


@router.get("/deid/dicom/jobs/{job_id}", response_class=HTMLResponse)
def dicom_job_page(job_id: int, request: Request, db: DbSession, person: CurrentPerson) -> Response:
    """One job: state and progress (refreshing itself while it runs), figures, each failed file's
    reason, and the downloads only for those who may open them."""
    from yizhi.jobs import service as jobs_service
    from yizhi.jobs.api import get_visible_job

    job = get_visible_job(db, person, job_id)
    if job.kind != service.JOB_KIND:
        raise NotFound(N_("no job %(id)s"), params={"id": job_id})
    gettext = translator(request)
    return render(request, "deid/dicom_job.html", {
        "job": job, "may_download": can(person, "deid.dicom.download", job),
        "job_error": lambda shown: jobs_service.localized_error(shown, gettext),
        "file_reasons": lambda shown: file_reasons(shown, gettext),
    })


@router.post("/deid/dicom", response_class=HTMLResponse,
             max_body_size=service.MAX_UPLOAD_BYTES + service.FORM_OVERHEAD_BYTES)
def dicom_submit(request: Request, db: DbSession, person: CurrentPerson, form: FormBody) -> Response:
    _check(person)
    upload = form.get("file")
    _ = translator(request)
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise ValidationFailed(_("Choose a zip of DICOM files or one DICOM file."), field="file")
        job = service.start(db, person, upload.file, upload.filename, form.getlist("option"),
                            str(form.get("org") or "") or None, keep_names=bool(form.get("keep_names")))
    except YizhiError as exc:
        db.rollback()
        return render(request, "deid/dicom.html", _context(db, person, exc.localized(_), gettext=_),
                      status_code=exc.status)
    db.commit()
    return redirect_with_flash(f"/deid/dicom/jobs/{job.id}",
                               _("Upload stored; de-identification job %(id)s queued.") % {"id": job.id})
