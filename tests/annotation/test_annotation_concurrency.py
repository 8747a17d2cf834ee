"""Under concurrent requests — threads in one process, and two processes — the queue never gives
one item to the same annotator twice and gives each item to exactly its overlap of annotators.
Runs on whichever database the suite uses (SQLite or PostgreSQL)."""

import collections
import json
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from annotation_helpers import _org, make_project, person
from annotation_team import make_member

from yizhi.annotation import queue
from yizhi.annotation.models import Assignment, AssignmentState, Item, ItemStatus
from yizhi.catalog.testing import make_version
from yizhi.db import session_factory, session_scope

ROOT = Path(__file__).resolve().parents[2]


def _setup(db, cast, items: int, annotators: int, overlap: int):
    from annotation_team import notes_table

    make_version(db, _org(db, "hospital"), "notes-many", {"notes": notes_table(items)})
    db.commit()
    emails = []
    with session_scope() as s:
        hospital = _org(s, "hospital")
        for n in range(annotators):
            emails.append(make_member(s, hospital, f"worker{n}@hospital.test", "annotator", f"标注员{n}").email)
    project = make_project(db, cast, slug="busy", dataset="notes-many@1", overlap=overlap)
    return project, emails


def _check(db, project, items: int, overlap: int, claims: list[dict]):
    by_item = collections.defaultdict(list)
    for claim in claims:
        by_item[claim["item"]].append(claim["annotator"])
    assert len(by_item) == items
    assert all(len(people) == overlap and len(set(people)) == overlap for people in by_item.values())
    db.expire_all()
    rows = db.query(Assignment).filter(Assignment.project_id == project.id).all()
    assert len({(a.item_id, a.annotator_id) for a in rows}) == len(rows)
    assert sum(a.state == AssignmentState.submitted for a in rows) == items * overlap
    statuses = {i.status for i in db.query(Item).filter(Item.project_id == project.id)}
    assert statuses == {ItemStatus.complete}


def test_threads_honour_overlap_and_never_repeat(db, cast, team):
    project, emails = _setup(db, cast, items=30, annotators=6, overlap=3)
    claims, errors, stopped = [], [], {}

    def work(email):
        session = session_factory()()
        answered = 0
        try:
            from sqlalchemy import select

            from yizhi.accounts.models import Person
            from yizhi.annotation import service

            me = session.scalar(select(Person).where(Person.email == email))
            for m in me.memberships:
                _ = m.organization
            mine = service.get_project(session, "busy")
            while (assignment := queue.next_item(session, mine, me)) is not None:
                queue.submit(session, mine, me, assignment.id, {"kind": "other"})
                claims.append({"item": assignment.item_id, "annotator": me.id})
                answered += 1
            stopped[email] = f"queue empty after {answered} answers"
        except BaseException:  # noqa: BLE001 — every worker's failure is reported below, whole
            errors.append(f"{email} after {answered} answers:\n{traceback.format_exc()}")
        finally:
            session.close()

    threads = [threading.Thread(target=work, args=(e,)) for e in emails]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    hung = [e for e, t in zip(emails, threads, strict=True) if t.is_alive()]
    report = "\n".join([*errors, *(f"{e}: still running" for e in hung), *(f"{e}: {why}" for e, why in stopped.items())])
    assert not errors and not hung, report
    try:
        _check(db, project, 30, 3, claims)
    except AssertionError as failure:
        raise AssertionError(f"{failure}\nworkers:\n{report}") from None


def test_two_processes_honour_overlap_and_never_repeat(db, cast, team):
    project, emails = _setup(db, cast, items=24, annotators=6, overlap=2)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    script = str(Path(__file__).parent / "queue_worker.py")
    processes = [subprocess.Popen([sys.executable, script, "busy", *emails[i::2]], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, text=True) for i in range(2)]
    claims = []
    for process in processes:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err[-2000:]
        claims += [json.loads(line) for line in out.splitlines() if line.strip()]
    _check(db, project, 24, 2, claims)


def test_the_same_annotator_racing_themself_never_gets_an_item_twice(db, cast, team, notes_version):
    project = make_project(db, cast, overlap=3)
    me = team["a1"]
    seen, errors = [], []

    def grab():
        session = session_factory()()
        try:
            annotator = person(session, me)
            from yizhi.annotation import service

            mine = service.get_project(session, project.slug)
            for _ in range(3):
                assignment = queue.next_item(session, mine, annotator)
                if assignment is None:
                    break
                seen.append(assignment.item_id)
                queue.submit(session, mine, annotator, assignment.id, {"kind": "other"})
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            session.close()

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    # losing the race is answered as such (already answered / released, or "busy, try again");
    # what must never happen is the same item twice or any other error
    assert not [e for e in errors if "not_locked" not in e and "answered or released" not in e and "busy" not in e]
    rows = db.query(Assignment).filter(Assignment.project_id == project.id, Assignment.annotator_id == me.id).all()
    assert len(rows) == len({a.item_id for a in rows}) <= 6


def test_an_item_locked_by_another_claim_in_flight_is_waited_for_not_taken_as_an_empty_queue(db, cast, team,
                                                                                              notes_version):
    """The root cause of a PostgreSQL flake: every candidate row locked by another transaction in
    flight (a claim, an answer) was skipped, and 'nothing unlocked' was taken for 'nothing left' — a
    worker stopped while an item still lacked its overlap. Here another transaction holds the only
    items with a slot left; the annotator must get one once it commits, not None."""
    from sqlalchemy import text, update

    project = make_project(db, cast, overlap=1)
    db.execute(update(Item).where(Item.project_id == project.id).values(status=ItemStatus.complete))
    last = db.query(Item).filter(Item.project_id == project.id).order_by(Item.id).first()
    last.status = ItemStatus.open
    db.commit()
    holder = session_factory()()
    got, errors = [], []

    def claim():
        session = session_factory()()
        try:
            from yizhi.annotation import service

            assignment = queue.next_item(session, service.get_project(session, project.slug), person(session, team["a1"]))
            got.append(assignment.item_id if assignment is not None else None)
        except BaseException:  # noqa: BLE001 — reported by the assertion below
            errors.append(traceback.format_exc())
        finally:
            session.close()

    try:
        if holder.get_bind().dialect.name == "sqlite":
            holder.connection().exec_driver_sql("BEGIN IMMEDIATE")
        # a row lock on PostgreSQL (SQLite: the database's write lock), as a claim in flight holds
        holder.execute(text("UPDATE annotation_items SET priority = priority WHERE id = :id"), {"id": last.id})
        worker = threading.Thread(target=claim)
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive(), f"the claim did not wait for the lock in flight: {got} {errors}"
        holder.commit()
        worker.join(timeout=60)
    finally:
        holder.close()
    assert not errors, errors
    assert got == [last.id]
