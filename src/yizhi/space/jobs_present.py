"""Tier B jobs and outputs as JSON-ready dicts (the API, the CLI and the pages show the same)."""

from __future__ import annotations

from collections.abc import Callable

from yizhi.accounts.models import Person
from yizhi.space.checks import Check
from yizhi.space.jobs_models import ReviewState, SpaceJob, SpaceJobOutput
from yizhi.space.jobs_permissions import is_grantee, may_check
from yizhi.space.jobs_service import display_state

Gettext = Callable[[str], str]


def _identity(text: str) -> str:
    return text


def error_text(job: SpaceJob, gettext: Gettext = _identity) -> str | None:
    if not job.error_template:
        return None
    return Check("error", "fail", job.error_template, dict(job.error_params or {})).text(gettext)


def check_public(check: dict, gettext: Gettext = _identity) -> dict:
    text = Check(check["check"], check["status"], check.get("message") or "", check.get("params") or {}).text(gettext)
    return {"check": check["check"], "status": check["status"], "message": text if check.get("message") else "",
            "params": check.get("params") or {}}


def output_public(output: SpaceJobOutput, person: Person | None, gettext: Gettext = _identity) -> dict:
    released = output.review_state in (ReviewState.approved, ReviewState.not_needed)
    readable = person is not None and (may_check(person, output.job) or (is_grantee(person, output.job) and released))
    return {
        "name": output.name, "kind": output.kind, "size": output.size, "sha256": output.digest,
        "auto_status": output.auto_status.value, "review_state": output.review_state.value,
        "checks": [check_public(c, gettext) for c in output.checks],
        "reviews": [{"decision": r.decision.value, "comment": r.comment, "checker_id": r.checker_id,
                     "checker": r.checker.display_name, "at": r.created_at.isoformat()} for r in output.reviews],
        "downloadable": readable,
    }


def job_public(job: SpaceJob, person: Person | None, gettext: Gettext = _identity, *,
               queue_state: str | None = None, progress: float | None = None, note: str = "") -> dict:
    return {
        "id": job.id, "grant_id": job.grant_id, "dataset": job.version.ref, "dummy": job.dummy,
        "state": display_state(job, queue_state), "queue_job_id": job.queue_job_id,
        "progress": progress, "progress_note": note,
        "error_code": job.error_code, "error": error_text(job, gettext), "exit_code": job.exit_code,
        "project": job.project, "project_sha256": job.project_digest,
        "metering": {"cpu_seconds": job.cpu_seconds, "peak_memory_bytes": job.peak_memory_bytes,
                     "wall_seconds": job.wall_seconds, "output_bytes": job.output_bytes, "view_rows": job.view_rows},
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "outputs": [{"name": o.name, "kind": o.kind, "auto_status": o.auto_status.value,
                     "review_state": o.review_state.value} for o in job.outputs],
    }


def queue_facts(session, job: SpaceJob) -> dict:
    """State, progress and note of the job's queue entry (for following a running job)."""
    from yizhi.jobs.models import Job

    queued = session.get(Job, job.queue_job_id) if job.queue_job_id else None
    if queued is None:
        return {"queue_state": None, "progress": None, "note": ""}
    return {"queue_state": queued.state.value, "progress": queued.progress, "note": queued.progress_note}
