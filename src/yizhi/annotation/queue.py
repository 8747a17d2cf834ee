"""The distribution queue: next item, submit, skip, expired locks, qualification.

Guarantees, whatever the concurrency (threads, processes, either database):

- nobody is given the same item twice — the unique (item, annotator, condition) constraint;
- an item is never given to more annotators than it needs — the claim is one conditional UPDATE
  (``status = 'open' AND taken < required``), so two requests racing for the last slot cannot both win;
- a lock that runs out returns its slot to the queue (checked on every request, no clock job needed).

A claim is two statements in one short write transaction: ``UPDATE annotation_items SET taken = taken
+ 1 … WHERE id = (the first open item, by priority, this person has not had) RETURNING id`` and the
INSERT of the assignment. The candidate comes from a partial index of the open items (migration 0013),
scanned backwards, so it is found after a few index entries whatever the project's size.

On PostgreSQL the candidate is read ``FOR UPDATE SKIP LOCKED``, so concurrent annotators pass each
other instead of queueing on the same row. Skipping is not emptiness: when every candidate is locked
by another claim in flight, the claim runs once more *waiting* for those locks (``FOR UPDATE``), and
only an empty answer then means the queue is empty for this person. (Taking "nothing unlocked" for
"nothing left" let a worker stop while an item still lacked its overlap.)

On SQLite the claim runs in ``BEGIN IMMEDIATE`` (one writer at a time; no stale snapshot to upgrade).
Writers first take turns on a lock of their own, across threads and processes (``writer``): SQLite's
busy handler sleeps in steps of up to 100 ms, which a waiter on that lock does not. Each public
function here commits its own short transaction, because a held queue lock must be released at once.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import timedelta

from sqlalchemy import bindparam, case, exists, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from yizhi.accounts.models import Person
from yizhi.annotation.models import (Assignment, AssignmentState, Item, ItemStatus, Project, ProjectKind,
                                     ProjectState, Qualification)
from yizhi.annotation.schema import answers_agree, check_answer
from yizhi.annotation.writer import writer_for
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed

ATTEMPTS = 8
SPAN_GOLD_F1 = 0.8

def _sqlite_writer(session: Session):
    """This SQLite database's writer lock (threads and processes take turns, see ``writer``), or a
    no-op when the session is on PostgreSQL or already inside a transaction (it may hold SQLite's
    lock already: waiting on the writer lock then could deadlock against a thread waiting for SQLite's)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite" or connection.connection.dbapi_connection.in_transaction:
        return nullcontext()
    return writer_for(connection.engine)


def _begin_write(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _retrying(session: Session, work):
    """Run ``work()`` in its own transaction and commit; retry when a race lost (unique violation,
    SQLite busy, a PostgreSQL deadlock)."""
    for attempt in range(ATTEMPTS):
        try:
            with _sqlite_writer(session):
                try:
                    _begin_write(session)
                    result = work()
                    session.commit()
                    return result
                except BaseException:
                    # released with the lock held, so the next thread starts on a clean database
                    session.rollback()
                    raise
        except (IntegrityError, OperationalError):
            if attempt == ATTEMPTS - 1:
                # lost every round of the race (a person racing themself from several tabs, or a busy
                # SQLite): a clear answer to try again, never an internal error
                raise Conflict(N_("the queue is busy; try again in a moment"), code="busy") from None
    return None


_EXPIRY_CHECKED: dict[int, float] = {}
EXPIRY_EVERY_SECONDS = 2.0

_ITEMS, _ASSIGNMENTS = Item.__table__, Assignment.__table__
_STALE = (select(_ASSIGNMENTS.c.id, _ASSIGNMENTS.c.item_id).where(
    _ASSIGNMENTS.c.project_id == bindparam("p_project"), _ASSIGNMENTS.c.state == AssignmentState.locked,
    _ASSIGNMENTS.c.locked_until < bindparam("p_now")).limit(200))
# The queue's writes are Core statements on the tables, not ORM ones on the classes: an ORM UPDATE or
# INSERT is re-annotated on every execution, so its cache key is computed afresh each time (0.2-0.7 ms
# a statement, a quarter of a cycle's SQL work), and its identity-map synchronisation is not needed —
# the rows it touches are either not loaded or set by hand after it (set_committed_value).
_EXPIRE = (update(_ASSIGNMENTS).where(_ASSIGNMENTS.c.id == bindparam("p_assignment"),
                                      _ASSIGNMENTS.c.state == AssignmentState.locked)
           .values(state=AssignmentState.expired))
_GIVE_BACK = (update(_ITEMS).where(_ITEMS.c.id == bindparam("p_item"), _ITEMS.c.taken > 0).values(
    taken=_ITEMS.c.taken - 1,
    status=case((_ITEMS.c.status == ItemStatus.full, ItemStatus.open.value), else_=_ITEMS.c.status)))
# an answer counted on its item, returning what settle() needs to know whether the item is done
_ANSWERED = (update(_ITEMS).where(_ITEMS.c.id == bindparam("p_item")).values(answered=_ITEMS.c.answered + 1)
             .returning(_ITEMS.c.answered, _ITEMS.c.required))
_MINE = select(Assignment).where(Assignment.id == bindparam("p_assignment")).options(joinedload(Assignment.item))
# the annotator's held item: a returned one first (its comment waits), else a lock still running
_HELD = (select(Assignment).where(
    Assignment.project_id == bindparam("p_project"), Assignment.annotator_id == bindparam("p_me"),
    (Assignment.state == AssignmentState.returned)
    | ((Assignment.state == AssignmentState.locked) & (Assignment.locked_until >= bindparam("p_now"))))
    .order_by(Assignment.state.desc(), Assignment.id).limit(1))


def _take_statement(lock: str):
    """The claim: one UPDATE of the first open item this person may take, returning the item (its
    row comes back with the claim, so showing it needs no second read) as an ``Item``.

    ``lock``: "" (SQLite: the write transaction serialises), "skip" or "wait" (PostgreSQL). The
    status test is a literal so that both planners can use the partial index of open items."""
    candidate = _ITEMS.alias("candidate")
    mine = exists().where(_ASSIGNMENTS.c.item_id == candidate.c.id, _ASSIGNMENTS.c.annotator_id == bindparam("p_me"))
    pick = (select(candidate.c.id).where(
        candidate.c.project_id == bindparam("p_project"), candidate.c.status == literal_column("'open'"),
        candidate.c.gold == bindparam("p_gold"), ~mine,
        candidate.c.assign_org_id.is_(None) | candidate.c.assign_org_id.in_(bindparam("p_orgs", expanding=True)),
        candidate.c.assign_person_id.is_(None) | (candidate.c.assign_person_id == bindparam("p_me")))
        .order_by(candidate.c.priority.desc(), candidate.c.id.desc()).limit(1))
    if lock:
        pick = pick.with_for_update(skip_locked=lock == "skip")
    claim = (update(_ITEMS).where(_ITEMS.c.id == pick.scalar_subquery(), _ITEMS.c.status == ItemStatus.open,
                                  _ITEMS.c.taken < _ITEMS.c.required)
             .values(taken=_ITEMS.c.taken + 1,
                     status=case((_ITEMS.c.taken + 1 >= _ITEMS.c.required, ItemStatus.full.value),
                                 else_=ItemStatus.open.value))
             .returning(*_ITEMS.c))
    # the Core UPDATE's row as an Item: a prebuilt ORM query whose cache key is computed once
    return select(Item).from_statement(claim).execution_options(populate_existing=True)


_TAKE = {lock: _take_statement(lock) for lock in ("", "skip", "wait")}


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


def _take(session: Session, project: Project, person: Person, gold: str) -> Item | None:
    """The item whose slot this claim took, or None when none is left for this person."""
    params = {"p_project": project.id, "p_me": person.id, "p_gold": gold,
              "p_orgs": _my_org_ids(person, project) or [-1]}
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(_TAKE[""], params).scalar()
    taken = session.execute(_TAKE["skip"], params).scalar()
    if taken is None:
        # every candidate may be locked by another claim or answer in flight: wait for them, then
        # decide (waiting re-checks each row once its lock is released, and moves on if it filled)
        taken = session.execute(_TAKE["wait"], params).scalar()
    return taken


def _claim(session: Session, project: Project, person: Person, gold: str = "", condition: str = "") -> Assignment | None:
    item = _take(session, project, person, gold)
    if item is None:
        return None
    # one INSERT … RETURNING the new row as an Assignment, without a unit-of-work flush; a unique
    # violation here means this person raced themself: retried by the caller
    assignment = session.scalar(_INSERT_ASSIGNMENT, {
        "project_id": project.id, "item_id": item.id, "annotator_id": person.id, "condition": condition,
        "state": AssignmentState.locked, "locked_until": utcnow() + timedelta(minutes=project.lock_minutes)})
    set_committed_value(assignment, "item", item)
    return assignment


_INSERT_ASSIGNMENT = select(Assignment).from_statement(insert(_ASSIGNMENTS).returning(*_ASSIGNMENTS.c))


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
    """No qualification, no gold: the common case, kept short — the held item (one indexed read),
    else the claim (one UPDATE, one INSERT), in one write transaction."""
    result = _retrying(session, lambda: (release_expired(session, project), _held(session, project, person)
                                         or _claim(session, project, person))[1])
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
    found = session.scalar(_MINE, {"p_assignment": int(assignment_id)}) if 0 < int(assignment_id) < 2**62 else None
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
    values = {"state": AssignmentState.submitted, "answer": clean, "submitted_at": utcnow(), "seconds": seconds,
              "review_state": "", "gold_correct": grade(project.schema, item.gold_answer, clean) if item.gold else None}

    def work():
        done = session.execute(_SUBMIT, {"p_assignment": assignment_pk, **{f"p_{k}": v for k, v in values.items()}}
                               ).rowcount
        if not done:
            raise Conflict(N_("this item was answered or released meanwhile"), code="not_locked")
        # what the UPDATE wrote, instead of reading the row back (a rollback expires these again)
        for name, value in values.items():
            set_committed_value(assignment, name, value)
        if not item.gold and project.kind != ProjectKind.reader_study:
            answered, required = session.execute(_ANSWERED, {"p_item": item_pk}).one()
            set_committed_value(item, "answered", answered)
            if answered >= required:
                settle(session, project, item_pk)
        return assignment_pk

    _retrying(session, work)
    return assignment


_SUBMIT = (update(_ASSIGNMENTS).where(_ASSIGNMENTS.c.id == bindparam("p_assignment"),
                                      _ASSIGNMENTS.c.state.in_([AssignmentState.locked, AssignmentState.returned]))
           .values({column: bindparam(f"p_{column}") for column in ("state", "answer", "submitted_at", "seconds",
                                                                     "review_state", "gold_correct")}))


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

