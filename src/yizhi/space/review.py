"""The checkers' side of the airlock: two different people of the data holder approve each output.

An output is released (downloadable by the grantee) once two different checkers approved it and
none rejected it; one rejection rejects it. An output an automatic check blocked cannot be approved.
A checker decides an output once. Every decision and every download is on the ledger.
"""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import ledger, storage
from yizhi.accounts.models import Person
from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, Conflict, ValidationFailed
from yizhi.space import jobs_permissions as _rules  # noqa: F401  (registers the rules)
from yizhi.space.jobs_models import (
    AutoStatus,
    Decision,
    ReviewState,
    SpaceJob,
    SpaceJobOutput,
    SpaceJobReview,
    SpaceJobState,
)
from yizhi.space.jobs_permissions import may_check

APPROVALS_NEEDED = 2
MAX_COMMENT = 4000


def review(session: Session, person: Person, output: SpaceJobOutput, decision: str, comment: str) -> SpaceJobOutput:
    """Record one checker's decision (flushes; the caller commits)."""
    authorize(person, "space.job.review", output.job)
    try:
        choice = Decision(decision)
    except ValueError:
        raise ValidationFailed(N_("decision must be approve or reject"), field="decision") from None
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(N_("say why in a comment"), field="comment")
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(N_("the comment is longer than %(max)s characters"), params={"max": MAX_COMMENT},
                               field="comment")
    if output.review_state != ReviewState.pending:
        raise Conflict(N_("output %(name)s is already %(state)s"), params={"name": output.name,
                                                                         "state": output.review_state.value})
    if any(r.checker_id == person.id for r in output.reviews):
        raise Conflict(N_("you have already decided on %(name)s; a second checker must decide"),
                       params={"name": output.name})
    if choice == Decision.approve and output.auto_status == AutoStatus.blocked:
        raise Conflict(N_("%(name)s was blocked by an automatic check and cannot be approved"),
                       params={"name": output.name})
    output.reviews.append(SpaceJobReview(checker_id=person.id, decision=choice, comment=comment))
    output.review_state = _state_after(output)
    session.flush()
    job = output.job
    ledger.record(session, "space.output_reviewed", f"space_job:{job.id}", {
        "job_id": job.id, "output": output.name, "sha256": output.digest, "decision": choice.value,
        "review_state": output.review_state.value}, actor=str(person.id),
        org=job.version.dataset.organization.slug)
    return output


def _state_after(output: SpaceJobOutput) -> ReviewState:
    if any(r.decision == Decision.reject for r in output.reviews):
        return ReviewState.rejected
    approvers = {r.checker_id for r in output.reviews if r.decision == Decision.approve}
    return ReviewState.approved if len(approvers) >= APPROVALS_NEEDED else ReviewState.pending


def open_output(session: Session, person: Person, output: SpaceJobOutput) -> BinaryIO:
    """The output's bytes for a checker (held) or the grantee (released only); the read is on the ledger."""
    authorize(person, "space.output.read", output)
    if output.digest is None:
        raise Conflict(N_("output %(name)s was not kept"), params={"name": output.name})
    handle = storage.open_file(output.digest)
    job = output.job
    ledger.record(session, "space.output_downloaded", f"space_job:{job.id}", {
        "job_id": job.id, "output": output.name, "sha256": output.digest,
        "as": "checker" if may_check(person, job) else "grantee"}, actor=str(person.id),
        org=job.grant.organization.slug)
    return handle


def review_queue(session: Session, person: Person, limit: int = 200) -> list[SpaceJobOutput]:
    """Held outputs this person may decide on and has not yet decided."""
    query = (select(SpaceJobOutput).join(SpaceJob).where(
        SpaceJobOutput.review_state == ReviewState.pending, SpaceJob.dummy.is_(False),
        SpaceJob.state.in_((SpaceJobState.succeeded, SpaceJobState.failed))).order_by(SpaceJobOutput.id))
    out = []
    for output in session.scalars(query):
        if may_check(person, output.job) and all(r.checker_id != person.id for r in output.reviews):
            out.append(output)
            if len(out) >= limit:
                break
    return out
