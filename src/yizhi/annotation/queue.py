"""The distribution queue: next item, submit, skip, expired locks, qualification.

Guarantees, whatever the concurrency (threads, processes, either database):

- nobody is given the same item twice — the unique (item, annotator, condition) constraint;
- an item is never given to more annotators than it needs — a conditional UPDATE
  (``taken < required``) claims a slot, so two requests racing for the last slot cannot both win;
- a lock that runs out returns its slot to the queue (checked on every request, no clock job needed).

On PostgreSQL the candidate rows are read ``FOR UPDATE SKIP LOCKED``, so concurrent annotators pass
each other instead of queueing on the same row; on SQLite the claim runs in a ``BEGIN IMMEDIATE``
transaction (one writer at a time; no stale snapshot to upgrade). Each public function here commits
its own short transaction, because a held queue lock must be released at once.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from sqlalchemy import bindparam, case, exists, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from yizhi.accounts.models import Person
from yizhi.annotation.models import (Assignment, AssignmentState, Item, ItemStatus, Project, ProjectKind,
                                     ProjectState, Qualification)
from yizhi.annotation.schema import answers_agree, check_answer
from yizhi.annotation.settings import get_annotation_settings
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed

ATTEMPTS = 8
SPAN_GOLD_F1 = 0.8


def _begin_write(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _retrying(session: Session, work):
    """Run ``work()`` in its own transaction and commit; retry when a race lost (unique violation,
    SQLite busy)."""
    for attempt in range(ATTEMPTS):
        try:
            _begin_write(session)
            result = work()
            session.commit()
            return result
        except (IntegrityError, OperationalError):
            session.rollback()
            if attempt == ATTEMPTS - 1:
                # lost every round of the race (a person racing themself from several tabs, or a busy
                # SQLite): a clear answer to try again, never an internal error
                raise Conflict(N_("the queue is busy; try again in a moment"), code="busy") from None
    return None


_EXPIRY_CHECKED: dict[int, float] = {}
EXPIRY_EVERY_SECONDS = 2.0

_STALE = (select(Assignment.id, Assignment.item_id).where(
    Assignment.project_id == bindparam("p_project"), Assignment.state == AssignmentState.locked,
    Assignment.locked_until < bindparam("p_now")).limit(200))
_EXPIRE = (update(Assignment).where(Assignment.id == bindparam("p_assignment"),
                                    Assignment.state == AssignmentState.locked)
           .values(state=AssignmentState.expired))
_GIVE_BACK = (update(Item).where(Item.id == bindparam("p_item"), Item.taken > 0).values(
    taken=Item.taken - 1, status=case((Item.status == ItemStatus.full, ItemStatus.open.value), else_=Item.status)))
_TAKE = (update(Item).where(Item.id == bindparam("p_item"), Item.status == ItemStatus.open,
                            Item.taken < Item.required).values(
    taken=Item.taken + 1,
    status=case((Item.taken + 1 >= Item.required, ItemStatus.full.value), else_=ItemStatus.open.value)))
_MINE = select(Assignment.id).where(Assignment.item_id == bindparam("p_item"),
                                   Assignment.annotator_id == bindparam("p_me")).limit(1)
# the annotator's held item: a returned one first (its comment waits), else a lock still running
_HELD = (select(Assignment).where(
    Assignment.project_id == bindparam("p_project"), Assignment.annotator_id == bindparam("p_me"),
    (Assignment.state == AssignmentState.returned)
    | ((Assignment.state == AssignmentState.locked) & (Assignment.locked_until >= bindparam("p_now"))))
    .order_by(Assignment.state.desc(), Assignment.id).limit(1))


def _candidates_query(postgres: bool, limit: int):
    mine = exists().where(Assignment.item_id == Item.id, Assignment.annotator_id == bindparam("p_me"))
    query = (select(Item.id).where(
        Item.project_id == bindparam("p_project"), Item.status == ItemStatus.open, Item.gold == bindparam("p_gold"),
        ~mine, Item.assign_org_id.is_(None) | Item.assign_org_id.in_(bindparam("p_orgs", expanding=True)),
        Item.assign_person_id.is_(None) | (Item.assign_person_id == bindparam("p_me")))
        .order_by(Item.priority.desc(), Item.id.desc()).limit(limit))
    return query.with_for_update(skip_locked=True, of=Item) if postgres else query


_CANDIDATES: dict[tuple[bool, int], object] = {}


def release_expired(session: Session, project: Project, *, force: bool = False) -> int:
    """Expire locks that ran out and give their slots back (each exactly once). Checked at most every
    two seconds per project and process, and always when the queue looks empty."""
    now_seconds = time.monotonic()
    if not force and now_seconds - _EXPIRY_CHECKED.get(project.id, -1e9) < EXPIRY_EVERY_SECONDS:
        return 0
    _EXPIRY_CHECKED[project.id] = now_seconds
    released = 0
    for assignment_id, item_id in session.execute(_STALE, {"p_project": project.id, "p_now": utcnow()}).all():
        if session.execute(_EXPIRE, {"p_assignment": assignment_id}).rowcount:
            session.execute(_GIVE_BACK, {"p_item": item_id})
            released += 1
    return released


def _give_back(session: Session, item_id: int) -> None:
    session.execute(_GIVE_BACK, {"p_item": item_id})


def _my_org_ids(person: Person, project: Project) -> list[int]:
    return [m.organization_id for m in person.memberships if m.organization_id in (project.annotator_orgs or [])]


def _candidates(session: Session, project: Project, person: Person, gold: str, limit: int) -> list[int]:
    postgres = session.get_bind().dialect.name == "postgresql"
    key = (postgres, limit)
    if key not in _CANDIDATES:
        _CANDIDATES[key] = _candidates_query(postgres, limit)
    found = list(session.scalars(_CANDIDATES[key], {"p_project": project.id, "p_me": person.id, "p_gold": gold,
                                                    "p_orgs": _my_org_ids(person, project) or [-1]}))
    if not postgres and len(found) > 1:
        # Concurrent annotators read the same head of the queue: after the first (highest priority)
        # candidate the rest of the window is tried in a shuffled order, so losers of the race for the
        # head spread out instead of all racing for the second row too.
        head, rest = found[:1], found[1:]
        random.shuffle(rest)
        found = head + rest
    return found


def _claim(session: Session, project: Project, person: Person, gold: str = "", condition: str = "",
           candidates: list[int] | None = None) -> Assignment | None:
    settings = get_annotation_settings()
    read_before_lock = candidates is not None
    if candidates is None:
        candidates = _candidates(session, project, person, gold, settings.claim_candidates)
    for item_id in candidates:
        # a list read before the write lock may hold an item this same person took meanwhile (another
        # tab; slots remain under overlap): the conditional UPDATE would pass and the INSERT fail, on
        # every retry of the same list — so such items are skipped here, under the lock
        if read_before_lock and session.scalar(_MINE, {"p_item": item_id, "p_me": person.id}) is not None:
            continue
        if not session.execute(_TAKE, {"p_item": item_id}).rowcount:
            continue
        assignment = Assignment(project_id=project.id, item_id=item_id, annotator_id=person.id, condition=condition,
                                state=AssignmentState.locked,
                                locked_until=utcnow() + timedelta(minutes=project.lock_minutes))
        session.add(assignment)
        session.flush()   # a unique violation here means this person raced themself: retried by the caller
        return assignment
    return None


def _held(session: Session, project: Project, person: Person) -> Assignment | None:
    found = session.scalar(_HELD, {"p_project": project.id, "p_me": person.id, "p_now": utcnow()})
    if found is not None and found.state == AssignmentState.returned:
        found.locked_until = utcnow() + timedelta(minutes=project.lock_minutes)
    return found


def _qualification(session: Session, project: Project, person: Person) -> Qualification:
    found = session.scalar(select(Qualification).where(Qualification.project_id == project.id,
                                                       Qualification.person_id == person.id))
    if found is None:
        state = "training" if project.qualification_count else "qualified"
        found = Qualification(project_id=project.id, person_id=person.id, state=state)
        session.add(found)
        session.flush()
    return found


def gold_accuracy(session: Session, project: Project, person_id: int, use: str | None = None) -> tuple[int, int]:
    """(correct, graded) gold answers of one annotator (``use``: qualify or hidden; None for both)."""
    query = select(Assignment.gold_correct).join(Item, Item.id == Assignment.item_id).where(
        Assignment.project_id == project.id, Assignment.annotator_id == person_id,
        Assignment.gold_correct.is_not(None))
    if use:
        query = query.where(Item.gold == use)
    graded = list(session.scalars(query))
    return sum(1 for g in graded if g), len(graded)


def _decide_qualification(session: Session, project: Project, qual: Qualification) -> None:
    correct, graded = gold_accuracy(session, project, qual.person_id, "qualify")
    if graded < project.qualification_count:
        available = session.scalar(select(func.count()).select_from(Item).where(
            Item.project_id == project.id, Item.gold == "qualify")) or 0
        if graded < available:
            return
    qual.state = "qualified" if graded and correct / graded >= project.qualification_min else "failed"
    qual.decided_at = utcnow()


def next_item(session: Session, project: Project, person: Person) -> Assignment | None:
    """The annotator's current item, or a newly claimed one; None when nothing is left for them."""
    if project.state != ProjectState.open:
        raise Conflict(N_("project %(slug)s is not open"), params={"slug": project.slug}, code="closed")
    if project.kind == ProjectKind.reader_study:
        from yizhi.annotation.study import next_case

        return next_case(session, project, person)

    if not project.qualification_count and not project.gold_rate:
        result = _next_plain(session, project, person)
    else:
        result = _retrying(session, lambda: _next_with_gold(session, project, person))
    if result == "failed":
        raise PermissionDenied(N_("you did not reach the accuracy needed on the qualification items of %(slug)s"),
                               params={"slug": project.slug}, code="not_qualified")
    return result


def _next_plain(session: Session, project: Project, person: Person) -> Assignment | None:
    """No qualification, no gold: the common case, kept short. On SQLite the held item and the
    candidates are read before the write lock (a stale candidate just fails the conditional UPDATE), so
    the serialised part is one UPDATE and one INSERT; on PostgreSQL one transaction with SKIP LOCKED."""
    if session.get_bind().dialect.name == "postgresql":
        result = _retrying(session, lambda: (release_expired(session, project), _held(session, project, person)
                                             or _claim(session, project, person))[1])
    else:
        held = _held(session, project, person)
        if held is not None and held.state == AssignmentState.locked:
            session.commit()
            return held
        ahead = _candidates(session, project, person, "", get_annotation_settings().claim_candidates)
        session.commit()   # ends the read; no write lock was taken
        result = _retrying(session, lambda: (release_expired(session, project), _held(session, project, person)
                                             or _claim(session, project, person, candidates=ahead))[1])
        if result is None and ahead:
            result = _retrying(session, lambda: _claim(session, project, person))
    if result is None:
        # the queue looks empty: give back locks that ran out, then look once more
        result = _retrying(session, lambda: (release_expired(session, project, force=True),
                                             _claim(session, project, person))[1])
    return result


def _next_with_gold(session: Session, project: Project, person: Person):
    release_expired(session, project)
    current = _held(session, project, person)
    if current is not None:
        return current
    qual = _qualification(session, project, person)
    if qual.state == "training":
        claimed = _claim(session, project, person, gold="qualify")
        if claimed is not None:
            return claimed
        _decide_qualification(session, project, qual)
        if qual.state == "training":
            return None          # waiting for answers still locked
    if qual.state == "failed":
        return "failed"
    qual.served += 1
    if project.gold_rate and qual.served % max(round(1 / project.gold_rate), 1) == 0:
        claimed = _claim(session, project, person, gold="hidden")
        if claimed is not None:
            return claimed
    return _claim(session, project, person) or _expired_then_claim(session, project, person)


def _expired_then_claim(session: Session, project: Project, person: Person) -> Assignment | None:
    return _claim(session, project, person) if release_expired(session, project, force=True) else None


def _mine(session: Session, project: Project, person: Person, assignment_id: int) -> Assignment:
    found = session.get(Assignment, assignment_id) if 0 < int(assignment_id) < 2**62 else None
    if found is None or found.project_id != project.id or found.annotator_id != person.id:
        raise NotFound(N_("no assignment %(id)s of yours in this project"), params={"id": assignment_id})
    return found


def grade(schema: dict, gold: dict, answer: dict) -> bool:
    """Whether an answer matches a gold answer: spans by overlap F1 ≥ 0.8, the rest as in agreement."""
    from yizhi.annotation.agreement import span_f1

    for label in schema["labels"]:
        if label["type"] == "spans":
            if span_f1(gold.get(label["name"]) or [], answer.get(label["name"]) or [], overlap=True)[2] < SPAN_GOLD_F1:
                return False
    others = {"labels": [label for label in schema["labels"] if label["type"] != "spans"]}
    return not others["labels"] or answers_agree(others, [gold, answer])


def context_of(project: Project, item: Item) -> dict:
    """The limits an answer is checked against: text length, image size, frames."""
    from yizhi.annotation import content

    if project.source.get("kind") == "text":
        return {"text_length": len(content.item_text(project, item))}
    if project.source.get("kind") == "dicom":
        ref = item.ref
        size = (int(ref["columns"]), int(ref["rows"])) if ref.get("rows") and ref.get("columns") else None
        return {"image_size": size, "frames": int(ref.get("frames") or 1)}
    return {}


def submit(session: Session, project: Project, person: Person, assignment_id: int, answer,
           seconds: float | None = None) -> Assignment:
    """Store an answer for a held (or returned) item; grade gold; settle the item when all are in."""
    assignment = _mine(session, project, person, assignment_id)
    if assignment.state not in (AssignmentState.locked, AssignmentState.returned):
        raise Conflict(N_("this item was %(state)s; it cannot be answered now"),
                       params={"state": assignment.state.value}, code="not_locked")
    if assignment.state == AssignmentState.locked and assignment.locked_until < utcnow():
        raise Conflict(N_("your lock on this item ran out and it went back to the queue"), code="lock_expired")
    item = assignment.item
    clean = check_answer(project.schema, answer, **context_of(project, item))
    if seconds is not None and not (isinstance(seconds, int | float) and 0 <= seconds <= 86400):
        raise ValidationFailed(N_("seconds must be between 0 and 86400"), field="seconds")
    assignment_pk, item_pk = assignment.id, item.id

    def work():
        done = session.execute(update(Assignment).where(
            Assignment.id == assignment_pk, Assignment.state.in_([AssignmentState.locked, AssignmentState.returned]))
            .values(state=AssignmentState.submitted, answer=clean, submitted_at=utcnow(), seconds=seconds,
                    review_state="", gold_correct=grade(project.schema, item.gold_answer, clean) if item.gold else None)
        ).rowcount
        if not done:
            raise Conflict(N_("this item was answered or released meanwhile"), code="not_locked")
        if not item.gold and project.kind != ProjectKind.reader_study:
            session.execute(update(Item).where(Item.id == item_pk).values(answered=Item.answered + 1))
            settle(session, project, item_pk)
        return assignment_pk

    _retrying(session, work)
    session.refresh(assignment)
    return assignment


def settle(session: Session, project: Project, item_id: int) -> None:
    """When every slot of an item is answered: a single or agreeing answer becomes its label; otherwise
    it waits for an adjudicator."""
    item = session.get(Item, item_id, populate_existing=True)
    if item.answered < item.required or item.status == ItemStatus.resolved:
        return
    answers = list(session.scalars(select(Assignment.answer).where(
        Assignment.item_id == item_id, Assignment.state == AssignmentState.submitted).order_by(Assignment.id)))
    if len(answers) == 1:
        item.status, item.final_answer, item.final_source = ItemStatus.complete, answers[0], "single"
    elif answers_agree(project.schema, answers):
        item.status, item.final_answer, item.final_source = ItemStatus.complete, answers[0], "consensus"
    else:
        item.status, item.final_answer, item.final_source = ItemStatus.disputed, None, ""
    session.flush()


def skip(session: Session, project: Project, person: Person, assignment_id: int, reason: str = "") -> Assignment:
    assignment = _mine(session, project, person, assignment_id)
    if project.skip_policy == "forbid":
        raise Conflict(N_("this project does not allow skipping items"), code="skip_forbidden")
    if project.skip_policy == "reason" and not (reason or "").strip():
        raise ValidationFailed(N_("say why you skip this item"), field="reason")
    if assignment.state != AssignmentState.locked:
        raise Conflict(N_("this item was %(state)s; it cannot be skipped now"),
                       params={"state": assignment.state.value}, code="not_locked")
    assignment_pk, item_pk = assignment.id, assignment.item_id

    def work():
        done = session.execute(update(Assignment).where(
            Assignment.id == assignment_pk, Assignment.state == AssignmentState.locked)
            .values(state=AssignmentState.skipped, skip_reason=(reason or "")[:500])).rowcount
        if done:
            _give_back(session, item_pk)
        return done

    _retrying(session, work)
    session.refresh(assignment)
    return assignment


def my_counts(session: Session, project: Project, person: Person) -> dict:
    rows = session.execute(select(Assignment.state, func.count()).where(
        Assignment.project_id == project.id, Assignment.annotator_id == person.id).group_by(Assignment.state)).all()
    counts = {(s.value if hasattr(s, "value") else s): n for s, n in rows}
    correct, graded = gold_accuracy(session, project, person.id)
    counts["gold_correct"], counts["gold_graded"] = correct, graded
    qual = session.scalar(select(Qualification.state).where(Qualification.project_id == project.id,
                                                            Qualification.person_id == person.id))
    counts["qualification"] = qual or ("training" if project.qualification_count else "qualified")
    return counts


def accuracy_over_time(session: Session, project: Project) -> dict[int, list[dict]]:
    """Per annotator: cumulative accuracy on gold after each graded answer (for the chart)."""
    rows = session.execute(select(Assignment.annotator_id, Assignment.submitted_at, Assignment.gold_correct)
                           .where(Assignment.project_id == project.id, Assignment.gold_correct.is_not(None))
                           .order_by(Assignment.annotator_id, Assignment.submitted_at, Assignment.id)).all()
    series: dict[int, list[dict]] = {}
    for person_id, when, correct in rows:
        points = series.setdefault(person_id, [])
        right = (points[-1]["correct"] if points else 0) + (1 if correct else 0)
        points.append({"n": len(points) + 1, "correct": right, "accuracy": right / (len(points) + 1),
                       "at": when.isoformat() if when else None})
    return series

