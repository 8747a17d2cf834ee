"""A submission's state follows its scoring job.

The scoring job can stop for reasons that are not the model's: a bug, a database hiccup, a worker
killed mid-score. The job machinery (``yizhi.jobs``) then retries the job, fails it, or — for a
worker that died — puts it back in the queue once its heartbeat is stale. This module keeps the
submission in step:

* the handler calls :func:`note_crash` before re-raising: the submission goes back to ``queued``
  (with the last attempt's reason) while the job has attempts left, else to ``failed`` with a
  readable reason (code ``scoring_error``);
* :func:`sync_with_job` mends what no handler could write — a worker killed mid-score (the job is
  requeued, the submission still says ``running``), a job retried or failed from the jobs page —
  and is called wherever one submission is read;
* :func:`retry_submission` re-scores a submission that failed for such a reason.

The reason shown to the submitter names the kind of error only; the traceback stays in the job
(visible to the commission), since an exception's text may quote hidden data.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.db import session_scope
from yizhi.errors import N_, Conflict, YizhiError
from yizhi.evaluation.models import Submission, SubmissionState
from yizhi.jobs.models import Job, JobState

SCORING_ERROR = "scoring_error"
INTERNAL = N_("scoring stopped on an internal error (%(error)s); the evaluation center can retry it")
LOST = N_("the scoring job ended without a result (job %(job)s is %(state)s); the evaluation center can retry it")
ACTIVE = (SubmissionState.queued, SubmissionState.running)


def reason_of(exc: BaseException) -> dict:
    """A readable, translatable reason: a platform error's own message, else the kind of error only."""
    if isinstance(exc, YizhiError):
        return {"template": exc.template, "params": dict(exc.params or {})}
    return {"template": INTERNAL, "params": {"error": type(exc).__name__}}


def note_crash(submission_id: int, job_id: int, exc: BaseException) -> str:
    """Record a crash of the scoring job on the submission; returns the state it is left in."""
    with session_scope() as session:
        submission = session.get(Submission, submission_id)
        job = session.get(Job, job_id)
        if submission is None:
            return "missing"
        retries_left = job is not None and job.attempts < job.max_attempts
        submission.state = SubmissionState.queued if retries_left else SubmissionState.failed
        submission.error_code, submission.error = SCORING_ERROR, reason_of(exc)
        if not retries_left:
            ledger.record(session, "evaluation.submission_failed", f"submission:{submission.id}",
                          {"submission_id": submission.id, "code": SCORING_ERROR, "job_id": job_id},
                          org=submission.organization.slug)
        return submission.state.value


def sync_with_job(session: Session, submission: Submission) -> bool:
    """Bring the submission's state in line with its job's; True when it changed (caller commits)."""
    job = session.get(Job, submission.job_id) if submission.job_id else None
    if job is None:
        return False
    if submission.state in ACTIVE:
        return _follow_active(session, submission, job)
    if submission.state == SubmissionState.failed and submission.error_code == SCORING_ERROR \
            and job.state in (JobState.queued, JobState.running):
        submission.state = SubmissionState.queued    # retried from the jobs page
        return True
    return False


def _follow_active(session: Session, submission: Submission, job: Job) -> bool:
    if job.state == JobState.queued and submission.state == SubmissionState.running:
        submission.state = SubmissionState.queued    # its worker died; the job waits for another
        return True
    if job.state in (JobState.failed, JobState.succeeded):
        # the job is over and the handler never wrote the outcome
        submission.state = SubmissionState.failed
        submission.error_code = SCORING_ERROR
        submission.error = {"template": LOST, "params": {"job": job.id, "state": job.state.value}}
        ledger.record(session, "evaluation.submission_failed", f"submission:{submission.id}",
                      {"submission_id": submission.id, "code": SCORING_ERROR, "job_id": job.id},
                      org=submission.organization.slug)
        return True
    return False


def retryable(submission: Submission) -> bool:
    return submission.state == SubmissionState.failed and submission.error_code == SCORING_ERROR


def retry_submission(session: Session, submission: Submission, actor=None) -> Submission:
    """Score a submission again after a failure that was not the model's (same job when it failed)."""
    from yizhi.jobs import service as jobs

    sync_with_job(session, submission)
    if not retryable(submission):
        raise Conflict(N_("submission %(id)s is %(state)s; only a submission whose scoring stopped on an internal "
                          "error can be retried"), params={"id": submission.id, "state": submission.state.value},
                       code="not_retryable")
    job = session.get(Job, submission.job_id) if submission.job_id else None
    if job is not None and job.state == JobState.failed:
        jobs.retry(session, job)
    else:
        job = jobs.enqueue(session, "evaluation.score", {"submission_id": submission.id},
                           created_by_id=actor.id if actor else None, organization_id=submission.organization_id,
                           max_attempts=2)
        submission.job_id = job.id
    submission.state = SubmissionState.queued
    submission.error_code = submission.error = None
    ledger.record(session, "evaluation.submission_retried", f"submission:{submission.id}",
                  {"submission_id": submission.id, "job_id": job.id}, actor=str(actor.id) if actor else None,
                  org=submission.organization.slug)
    session.flush()
    return submission
