"""Enqueue, claim, run and retry durable jobs.

Claiming is a conditional UPDATE (``WHERE state = 'queued'``) whose row count says who won, so
several workers — threads or processes, on SQLite or PostgreSQL — never run the same job twice.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yizhi.db import session_scope, utcnow
from yizhi.errors import (
    N_,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ValidationFailed,
    YizhiError,
)
from yizhi.jobs.models import Job, JobState

log = logging.getLogger("yizhi.jobs")

POISON = N_("the job stopped its worker %(n)s times (out of memory, killed or crashed); it is not "
            "tried again automatically — retry it by hand after fixing the cause")


def stale_after() -> timedelta:
    """A running job whose worker sent no heartbeat for this long lost its worker (YIZHI_JOB_STALE_SECONDS)."""
    from yizhi.config import get_settings

    return timedelta(seconds=get_settings().job_stale_seconds)


@dataclass
class JobContext:
    job_id: int
    params: dict
    created_by_id: int | None
    organization_id: int | None

    def progress(self, fraction: float, note: str = "") -> None:
        """Report progress (0..1) in its own short transaction, visible to pages at once."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        with session_scope() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(
                progress=fraction, progress_note=note[:200], heartbeat_at=utcnow()))


Handler = Callable[[JobContext], dict | None]
_HANDLERS: dict[str, Handler] = {}


_ISOLATED: dict[str, dict] = {}


def handler(kind: str, *, isolated: bool = False, memory_mb: int | None = None,
            cpu_seconds: int | None = None) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind`` (in a domain's ``tasks.py``).

    ``isolated=True`` runs each job in a child process with a memory limit (``memory_mb``, default
    YIZHI_JOB_MEMORY_MB) and a CPU-time limit (``cpu_seconds``, default YIZHI_JOB_CPU_SECONDS): heavy
    work on user input (anonymization, DICOM) that might exhaust the host fails alone, with the reason.
    """

    def decorate(fn: Handler) -> Handler:
        if isolated:
            _ISOLATED[kind] = {"memory_mb": memory_mb, "cpu_seconds": cpu_seconds}
        else:
            _ISOLATED.pop(kind, None)
        _HANDLERS[kind] = fn
        return fn

    return decorate


_PERIODIC: dict[str, Callable[[], float]] = {}


def periodic(kind: str, every_seconds: Callable[[], float]) -> None:
    """Ask workers to enqueue ``kind`` every ``every_seconds()`` seconds (e.g. ledger checkpoints)."""
    _PERIODIC[kind] = every_seconds


def enqueue_due_periodic(session: Session) -> list[str]:
    """Enqueue each periodic job whose interval has passed and that is not already waiting."""
    from sqlalchemy import func

    load_handlers()
    enqueued = []
    now = utcnow()
    for kind, every in _PERIODIC.items():
        pending = session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == kind, Job.state.in_((JobState.queued, JobState.running))))
        if pending:
            continue
        last = session.scalar(select(func.max(Job.created_at)).where(Job.kind == kind))
        if last is None or (now - last).total_seconds() >= every():
            enqueue(session, kind, {}, max_attempts=1)
            enqueued.append(kind)
    return enqueued


def load_handlers() -> dict[str, Handler]:
    from yizhi.registry import domain_modules

    domain_modules("tasks")
    return _HANDLERS


def enqueue(session: Session, kind: str, params: dict | None = None, *, created_by_id: int | None = None,
            organization_id: int | None = None, max_attempts: int = 3) -> Job:
    if kind not in load_handlers():
        raise ValidationFailed(N_("unknown job kind %(kind)s"), params={"kind": kind}, field="kind")
    job = Job(kind=kind, params=params or {}, created_by_id=created_by_id,
              organization_id=organization_id, max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job


def is_stale(job: Job) -> bool:
    return job.state == JobState.running and (job.heartbeat_at is None or job.heartbeat_at < utcnow() - stale_after())


def retry(session: Session, job: Job) -> Job:
    """Queue a failed job again — or a running one whose worker died (no heartbeat)."""
    if job.state != JobState.failed and not is_stale(job):
        raise Conflict(N_("job %(id)s is %(state)s; only failed jobs can be retried"),
                       params={"id": job.id, "state": job.state.value})
    job.state = JobState.queued
    job.crashes, job.worker = 0, None
    job.error = job.error_msgid = job.error_params = job.problems = None
    job.progress = 0.0
    job.progress_note = ""
    job.finished_at = None
    job.max_attempts = max(job.max_attempts, job.attempts + 1)
    return job


def requeue_stale(session: Session) -> int:
    """Jobs whose worker died (no heartbeat for YIZHI_JOB_STALE_SECONDS) go back to the queue — any live
    worker does this, every few seconds. A job that took its worker down YIZHI_JOB_MAX_CRASHES times
    is failed with the reason (a poison job), not run again."""
    from yizhi.config import get_settings

    cutoff = utcnow() - stale_after()
    limit = get_settings().job_max_crashes
    stale = list(session.scalars(select(Job).where(
        Job.state == JobState.running, (Job.heartbeat_at < cutoff) | Job.heartbeat_at.is_(None))))
    for job in stale:
        # Conditional on the heartbeat seen: a worker that just woke up keeps its job.
        crashes = (job.crashes or 0) + 1
        changes = {"crashes": crashes, "worker": None}
        if crashes >= limit:
            changes.update(state=JobState.failed, finished_at=utcnow(), error=POISON % {"n": crashes},
                           error_msgid=POISON, error_params={"n": crashes}, problems=None)
        else:
            changes.update(state=JobState.queued)
        session.execute(update(Job).where(Job.id == job.id, Job.state == JobState.running,
                                          Job.heartbeat_at == job.heartbeat_at).values(**changes))
        log.warning("job %s (%s) lost its worker %s (crash %d of %d)", job.id, job.kind, job.worker, crashes, limit)
    return len(stale)


def claim_next(worker_name: str, kinds: set[str] | None = None) -> int | None:
    """Take the oldest queued job; returns its id, or None when there is nothing to do."""
    with session_scope() as session:
        query = select(Job.id).where(Job.state == JobState.queued).order_by(Job.id).limit(5)
        if kinds is not None:
            query = query.where(Job.kind.in_(kinds))
        for job_id in session.scalars(query).all():
            now = utcnow()
            won = session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.queued).values(
                state=JobState.running, worker=worker_name, started_at=now, heartbeat_at=now,
                attempts=Job.attempts + 1))
            if won.rowcount == 1:
                return job_id
    return None


class Heartbeat:
    """While a job runs, a thread tells the table it is alive every YIZHI_JOB_HEARTBEAT_SECONDS."""

    def __init__(self, job_id: int):
        import threading

        from yizhi.config import get_settings

        self.job_id, self.every = job_id, get_settings().job_heartbeat_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"yizhi-heartbeat-{job_id}")

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with session_scope() as session:
                    session.execute(update(Job).where(Job.id == self.job_id, Job.state == JobState.running)
                                    .values(heartbeat_at=utcnow()))
            except Exception:  # a missed beat is not a failure; the next one may pass
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_job(job_id: int) -> JobState:
    with Heartbeat(job_id):
        return _run_job(job_id)


def _run_job(job_id: int) -> JobState:
    handlers = load_handlers()
    with session_scope() as session:
        job = session.get(Job, job_id)
        context = JobContext(job.id, dict(job.params or {}), job.created_by_id, job.organization_id)
        fn = handlers.get(job.kind)
    try:
        if fn is None:
            raise ValidationFailed(N_("no handler for job kind %(kind)s in this worker"), params={"kind": job.kind})
        if job.kind in _ISOLATED:
            from yizhi.jobs.isolation import run_isolated

            result = run_isolated(fn, context, **_ISOLATED[job.kind])
        else:
            result = fn(context)
    except YizhiError as exc:
        log.warning("job %s (%s) failed: %s", job_id, job.kind, exc.message)
        _finish(job_id, JobState.failed, failure=Failure.of(exc))
        return JobState.failed
    except Exception:  # a job's failure must be recorded, whatever it was; the traceback goes to the log
        log.exception("job %s (%s) failed unexpectedly", job_id, job.kind)
        _finish(job_id, JobState.failed, failure=Failure.unexpected(job_id))
        return JobState.failed
    _finish(job_id, JobState.succeeded, result=result or {})
    return JobState.succeeded


# Input that is wrong stays wrong: these failures are not retried.
PERMANENT_ERRORS = (ValidationFailed, NotFound, PermissionDenied, PayloadTooLarge)
UNEXPECTED = N_("the job failed unexpectedly; the administrators find the details in the server log "
                "(job %(id)s)")


@dataclass
class Failure:
    """Why a job failed, for the reader (msgid + values + problems) — never a traceback."""

    message: str
    msgid: str
    params: dict
    problems: list
    permanent: bool

    @classmethod
    def of(cls, exc: YizhiError) -> Failure:
        return cls(exc.message, exc.template, _json_safe(exc.params), _json_safe(exc.problems),
                   isinstance(exc, PERMANENT_ERRORS))

    @classmethod
    def unexpected(cls, job_id: int) -> Failure:
        return cls(UNEXPECTED % {"id": job_id}, UNEXPECTED, {"id": job_id}, [], False)


def _json_safe(value):
    """Params as JSON (a Path or a Decimal in a message's values becomes its text)."""
    import json

    return json.loads(json.dumps(value, default=str))


def _finish(job_id: int, state: JobState, *, result: dict | None = None, failure: Failure | None = None) -> None:
    with session_scope() as session:
        job = session.get(Job, job_id)
        if failure is not None:
            job.error, job.error_msgid = failure.message[:20000], failure.msgid
            job.error_params, job.problems = failure.params, failure.problems or None
            if job.attempts < job.max_attempts and not failure.permanent:
                job.state = JobState.queued  # transient failures go back to the queue until attempts run out
                return
        job.state = state
        job.result = result
        job.finished_at = utcnow()
        if state == JobState.succeeded:
            job.progress = 1.0
            job.error = job.error_msgid = job.error_params = job.problems = None


def localized_error(job: Job, gettext) -> str | None:
    """The job's failure in the reader's language (older rows: their first line only)."""
    if job.error_msgid:
        return YizhiError(job.error_msgid, params=job.error_params or {}).localized(gettext)
    return job.error.split("\n", 1)[0] if job.error else None


def localized_problems(job: Job, gettext) -> list[str]:
    from yizhi.errors import localize_problem

    return [localize_problem(item, gettext) for item in job.problems or []]


def work_once(worker_name: str | None = None) -> bool:
    """Run one job if there is one; True when a job ran."""
    job_id = claim_next(worker_name or default_worker_name())
    if job_id is None:
        return False
    run_job(job_id)
    return True


def default_worker_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


def visible_jobs(session: Session, person, limit: int = 100) -> list[Job]:
    from yizhi.accounts.permissions import active_orgs, is_platform_admin

    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if not is_platform_admin(person):
        org_ids = [o.id for o in active_orgs(person)]
        query = query.where((Job.created_by_id == person.id) | (Job.organization_id.in_(org_ids)))
    return list(session.scalars(query))
