"""Review (accept or return with a comment) and adjudication of disputed items.

A returned answer no longer counts for its item: the slot stays the annotator's, who sees the
comment and answers again. An adjudicator's answer becomes the item's label.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Person
from yizhi.annotation.models import Assignment, AssignmentState, Item, ItemStatus, Project
from yizhi.annotation.queue import context_of
from yizhi.annotation.schema import check_answer
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed

MAX_COMMENT = 2000


def review_queue(session: Session, project: Project, limit: int = 50) -> list[Assignment]:
    """Submitted answers on real items not yet reviewed, oldest first."""
    return list(session.scalars(select(Assignment).join(Item, Item.id == Assignment.item_id).where(
        Assignment.project_id == project.id, Assignment.state == AssignmentState.submitted,
        Assignment.review_state == "", Item.gold == "").order_by(Assignment.submitted_at, Assignment.id).limit(limit)))


def get_assignment(session: Session, project: Project, assignment_id: int) -> Assignment:
    found = session.get(Assignment, assignment_id) if 0 < int(assignment_id) < 2**62 else None
    if found is None or found.project_id != project.id:
        raise NotFound(N_("no assignment %(id)s in this project"), params={"id": assignment_id})
    return found


def review(session: Session, project: Project, reviewer: Person, assignment_id: int, decision: str,
           comment: str = "") -> Assignment:
    """``accept`` or ``return`` (a comment is required to return); flushes."""
    assignment = get_assignment(session, project, assignment_id)
    if decision not in ("accept", "return"):
        raise ValidationFailed(N_("the decision is accept or return"), field="decision")
    if assignment.state != AssignmentState.submitted:
        raise Conflict(N_("only a submitted answer can be reviewed"), code="not_submitted")
    if assignment.annotator_id == reviewer.id:
        raise Conflict(N_("you cannot review your own answer"), code="own_answer")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(N_("a comment has at most %(max)s characters"), params={"max": MAX_COMMENT},
                               field="comment")
    assignment.reviewer_id, assignment.review_comment = reviewer.id, comment
    if decision == "accept":
        assignment.review_state = "accepted"
    else:
        if not comment:
            raise ValidationFailed(N_("say what to change when you return an answer"), field="comment")
        assignment.review_state = "returned"
        assignment.state = AssignmentState.returned
        assignment.locked_until = utcnow() + timedelta(minutes=project.lock_minutes)
        item = assignment.item
        if not item.gold:
            session.execute(update(Item).where(Item.id == item.id, Item.answered > 0).values(answered=Item.answered - 1))
            if item.status in (ItemStatus.complete, ItemStatus.disputed):
                session.execute(update(Item).where(Item.id == item.id).values(
                    status=ItemStatus.full, final_answer=None, final_source=""))
    session.flush()
    ledger.record(session, "annotation.reviewed", f"annotation_assignment:{assignment.id}",
                  {"project": project.slug, "assignment_id": assignment.id, "decision": decision},
                  actor=str(reviewer.id), org=project.organization.slug)
    return assignment


def disputed(session: Session, project: Project, limit: int = 50) -> list[Item]:
    return list(session.scalars(select(Item).where(Item.project_id == project.id, Item.status == ItemStatus.disputed)
                                .order_by(Item.id).limit(limit)))


def answers_of(session: Session, item: Item) -> list[Assignment]:
    return list(session.scalars(select(Assignment).where(
        Assignment.item_id == item.id, Assignment.state == AssignmentState.submitted).order_by(Assignment.id)))


def adjudicate(session: Session, project: Project, adjudicator: Person, key: str, answer=None,
               choose: int | None = None, comment: str = "") -> Item:
    """Decide a disputed item: take one annotator's answer (``choose``: its assignment id) or give one."""
    from yizhi.annotation.service import get_item

    item = get_item(session, project, key)
    if item.status != ItemStatus.disputed:
        raise Conflict(N_("item %(key)s is not waiting for adjudication"), params={"key": key}, code="not_disputed")
    if choose is not None:
        chosen = next((a for a in answers_of(session, item) if a.id == choose), None)
        if chosen is None:
            raise ValidationFailed(N_("answer %(id)s is not one of this item's"), params={"id": choose}, field="choose")
        final = chosen.answer
    else:
        final = check_answer(project.schema, answer, **context_of(project, item))
    item.final_answer, item.final_source, item.status = final, "adjudicated", ItemStatus.resolved
    item.adjudicator_id, item.adjudication_comment = adjudicator.id, (comment or "")[:MAX_COMMENT]
    session.flush()
    ledger.record(session, "annotation.adjudicated", f"annotation_item:{item.id}",
                  {"project": project.slug, "item": item.key}, actor=str(adjudicator.id), org=project.organization.slug)
    return item


def counts(session: Session, project: Project) -> dict:
    to_review = session.scalar(select(func.count()).select_from(Assignment).join(Item, Item.id == Assignment.item_id)
                               .where(Assignment.project_id == project.id, Assignment.state == AssignmentState.submitted,
                                      Assignment.review_state == "", Item.gold == "")) or 0
    to_adjudicate = session.scalar(select(func.count()).select_from(Item).where(
        Item.project_id == project.id, Item.status == ItemStatus.disputed)) or 0
    return {"review": to_review, "adjudicate": to_adjudicate}


