"""Under concurrent requests — threads in one process, and two processes — the queue never gives
one item to the same annotator twice and gives each item to exactly its overlap of annotators.
Runs on whichever database the suite uses (SQLite or PostgreSQL)."""

import collections
import json
import os
import subprocess
import sys
import threading
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
    claims, errors = [], []

    def work(email):
        session = session_factory()()
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
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(repr(exc))
        finally:
            session.close()

    threads = [threading.Thread(target=work, args=(e,)) for e in emails]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors
    _check(db, project, 30, 3, claims)


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
