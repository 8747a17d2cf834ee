"""The queue: never the same item twice, overlap honoured, locks that run out return their slot,
skip policy, assignment rules, priorities."""

from datetime import timedelta

import pytest
from annotation_helpers import make_project, person
from sqlalchemy import select, update

from yizhi.annotation import queue, service
from yizhi.annotation.models import Assignment, AssignmentState, Item, ItemStatus
from yizhi.db import utcnow
from yizhi.errors import Conflict, ValidationFailed


def test_overlap_two_gives_each_item_to_two_different_annotators(db, cast, team, notes_version):
    project = make_project(db, cast, overlap=2)
    seen = {}
    for name in ("a1", "a2", "a3"):
        annotator = person(db, team[name])
        while (assignment := queue.next_item(db, project, annotator)) is not None:
            seen.setdefault(assignment.item_id, []).append(annotator.id)
            queue.submit(db, project, annotator, assignment.id, {"kind": "progress"})
    assert len(seen) == 6
    assert all(len(v) == 2 and len(set(v)) == 2 for v in seen.values())
    items = db.scalars(select(Item).where(Item.project_id == project.id)).all()
    assert {i.status for i in items} == {ItemStatus.complete}
    assert all(i.final_source == "consensus" for i in items)


def test_an_abandoned_lock_returns_the_item_to_someone_else(db, cast, team, notes_version):
    project = make_project(db, cast, sample=1)
    first, second = person(db, team["a1"]), person(db, team["a2"])
    held = queue.next_item(db, project, first)
    assert held is not None and queue.next_item(db, project, second) is None
    db.execute(update(Assignment).where(Assignment.id == held.id).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    taken = queue.next_item(db, project, second)
    assert taken is not None and taken.item_id == held.item_id
    db.refresh(held)
    assert held.state == AssignmentState.expired
    with pytest.raises(Conflict):
        queue.submit(db, project, first, held.id, {"kind": "other"})
    # the first annotator never gets it again
    assert queue.next_item(db, project, first) is None


def test_skip_policy(db, cast, team, notes_version):
    annotator = person(db, team["a1"])
    strict = make_project(db, cast, slug="strict", skip_policy="forbid")
    held = queue.next_item(db, strict, annotator)
    with pytest.raises(Conflict, match="skipping"):
        queue.skip(db, strict, annotator, held.id)
    reasons = make_project(db, cast, slug="reasons", skip_policy="reason")
    held = queue.next_item(db, reasons, annotator)
    with pytest.raises(ValidationFailed, match="why"):
        queue.skip(db, reasons, annotator, held.id, "")
    skipped = queue.skip(db, reasons, annotator, held.id, "字迹不清")
    assert skipped.state == AssignmentState.skipped
    db.refresh(held.item)
    assert held.item.taken == 0 and held.item.status.value == "open"     # back in the queue
    other, taken = person(db, team["a2"]), []
    while (assignment := queue.next_item(db, reasons, other)) is not None:
        taken.append(assignment.item_id)
        queue.submit(db, reasons, other, assignment.id, {"kind": "other"})
    assert held.item_id in taken                                          # someone else got it
    mine = []
    while (assignment := queue.next_item(db, reasons, annotator)) is not None:
        mine.append(assignment.item_id)
        queue.submit(db, reasons, annotator, assignment.id, {"kind": "other"})
    assert held.item_id not in mine


def test_priority_serves_the_most_uncertain_first_and_assignment_rules(db, cast, team, notes_version):
    project = make_project(db, cast)
    service.set_predictions(db, project, [{"key": "4", "probability": 0.5}, {"key": "2", "probability": 0.9},
                                          {"key": "0", "probability": 0.99}])
    db.execute(update(Item).where(Item.project_id == project.id, Item.key == "5")
               .values(assign_person_id=team["a2"].id))
    db.commit()
    order = []
    annotator = person(db, team["a1"])
    while (assignment := queue.next_item(db, project, annotator)) is not None:
        order.append(assignment.item.key)
        queue.submit(db, project, annotator, assignment.id, {"kind": "other"})
    assert order[:3] == ["4", "2", "0"] and "5" not in order   # then equal priorities, newest first
    assert queue.next_item(db, project, person(db, team["a2"])).item.key == "5"


def test_answers_are_checked_against_the_schema(db, cast, team, notes_version):
    project = make_project(db, cast)
    annotator = person(db, team["a1"])
    held = queue.next_item(db, project, annotator)
    with pytest.raises(ValidationFailed, match="kind"):
        queue.submit(db, project, annotator, held.id, {"kind": "nonsense"})
    with pytest.raises(ValidationFailed, match="fields the schema does not"):
        queue.submit(db, project, annotator, held.id, {"kind": "other", "extra": 1})
