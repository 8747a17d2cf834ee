"""Qualification with gold items, hidden gold and accuracy over time; review (accept, return with a
comment, answer again); disputed items adjudicated; pre-annotation from the de-identifier."""

import pytest
from annotation_helpers import SPAN_SCHEMA, make_project, person
from sqlalchemy import select

from yizhi.annotation import queue, review, service
from yizhi.annotation.models import AssignmentState, Item, ItemStatus, ProjectKind
from yizhi.annotation.payload import item_view
from yizhi.errors import Conflict, PermissionDenied, ValidationFailed


def _answer_all(db, project, annotator, choose):
    keys = []
    while (assignment := queue.next_item(db, project, annotator)) is not None:
        keys.append(assignment.item.key)
        queue.submit(db, project, annotator, assignment.id, {"kind": choose(assignment.item)})
    return keys


def test_qualification_gates_real_items_and_hidden_gold_keeps_being_mixed_in(db, cast, team, notes_version):
    project = make_project(db, cast, qualification_count=2, qualification_min=1.0, gold_rate=0.5)
    service.set_gold(db, project, [{"key": "0", "answer": {"kind": "admission"}, "use": "qualify"},
                                   {"key": "1", "answer": {"kind": "other"}, "use": "qualify"},
                                   {"key": "4", "answer": {"kind": "imaging"}, "use": "hidden"}])
    db.commit()
    good, bad = person(db, team["a1"]), person(db, team["a2"])
    truth = {"0": "admission", "1": "other", "4": "imaging"}
    first_two = []
    keys = _answer_all(db, project, good, lambda item: truth.get(item.key, "progress"))
    first_two = keys[:2]
    assert sorted(first_two) == ["0", "1"]           # the qualification set comes first
    assert "4" in keys                                # hidden gold mixed in among real items
    assert set(keys) == {"0", "1", "2", "3", "4", "5"}
    counts = queue.my_counts(db, project, good)
    assert counts["qualification"] == "qualified" and counts["gold_correct"] == counts["gold_graded"] == 3
    # a careless annotator fails the qualification set and gets no real item
    with pytest.raises(PermissionDenied, match="qualification"):
        _answer_all(db, project, bad, lambda item: "progress")
    series = queue.accuracy_over_time(db, project)
    assert [p["accuracy"] for p in series[good.id]] == [1.0, 1.0, 1.0]
    assert series[bad.id][-1]["accuracy"] == 0.0
    gold_items = db.scalars(select(Item).where(Item.project_id == project.id, Item.gold != "")).all()
    assert all(i.status == ItemStatus.open for i in gold_items)     # gold never counts as a label


def test_review_returns_with_a_comment_and_adjudication_decides(db, cast, team, notes_version):
    project = make_project(db, cast, overlap=2, sample=2, reviewer_people=["reviewer@hospital.test"])
    a1, a2, chief = person(db, team["a1"]), person(db, team["a2"]), person(db, team["reviewer"])
    _answer_all(db, project, a1, lambda item: "progress")
    _answer_all(db, project, a2, lambda item: "progress" if item.key == sorted_keys(db, project)[0] else "imaging")
    statuses = {i.key: i.status for i in db.scalars(select(Item).where(Item.project_id == project.id))}
    agreed, disputed = sorted_keys(db, project)
    assert statuses[agreed] == ItemStatus.complete and statuses[disputed] == ItemStatus.disputed

    pending = review.review_queue(db, project)
    assert len(pending) == 4
    mine = next(a for a in pending if a.annotator_id == a2.id and a.item.key == agreed)
    with pytest.raises(ValidationFailed, match="what to change"):
        review.review(db, project, chief, mine.id, "return", "")
    review.review(db, project, chief, mine.id, "return", "请再核对：这是影像报告吗？")
    db.commit()
    db.refresh(mine.item)
    assert mine.item.status == ItemStatus.full and mine.item.final_answer is None
    again = queue.next_item(db, project, a2)
    assert again.id == mine.id and again.state == AssignmentState.returned
    queue.submit(db, project, a2, again.id, {"kind": "progress"})
    db.refresh(mine.item)
    assert mine.item.status == ItemStatus.complete and mine.item.final_answer == {"kind": "progress"}

    with pytest.raises(Conflict, match="not waiting"):
        review.adjudicate(db, project, chief, agreed, answer={"kind": "other"})
    answers = review.answers_of(db, db.scalar(select(Item).where(Item.project_id == project.id, Item.key == disputed)))
    chosen = next(a for a in answers if a.answer == {"kind": "imaging"})
    item = review.adjudicate(db, project, chief, disputed, choose=chosen.id, comment="以影像报告为准")
    db.commit()
    assert item.status == ItemStatus.resolved and item.final_answer == {"kind": "imaging"}
    assert item.final_source == "adjudicated"


def sorted_keys(db, project):
    return sorted(i.key for i in db.scalars(select(Item).where(Item.project_id == project.id, Item.gold == "")))


def test_a_reviewer_cannot_review_their_own_answer(db, cast, team, notes_version):
    project = make_project(db, cast, reviewer_people=["ann1@hospital.test"], sample=1)
    a1 = person(db, team["a1"])
    _answer_all(db, project, a1, lambda item: "other")
    own = review.review_queue(db, project)[0]
    with pytest.raises(Conflict, match="own"):
        review.review(db, project, a1, own.id, "accept")


def test_deid_review_prefills_the_de_identifiers_spans(db, cast, team, notes_version):
    project = make_project(db, cast, slug="deid-check", kind="deid_review", schema=None, sample=6)
    assert project.kind == ProjectKind.deid_review and project.schema["labels"][0]["type"] == "spans"
    item = db.scalar(select(Item).where(Item.project_id == project.id, Item.key == "2"))
    view = item_view(project, item)
    spans = view["suggestion"]["phi"]
    found = {view["text"][s["start"]:s["end"]] for s in spans}
    assert "13812345678" in found and any("王建国" in f for f in found)
    annotator = person(db, team["a1"])
    held = queue.next_item(db, project, annotator)
    with pytest.raises(ValidationFailed, match="start and end"):
        queue.submit(db, project, annotator, held.id, {"phi": [{"start": 0, "end": 10_000, "label": "NAME"}]})


def test_spans_are_checked_and_normalised(db, cast, team, notes_version):
    project = make_project(db, cast, slug="spans", schema=SPAN_SCHEMA, sample=1)
    annotator = person(db, team["a1"])
    held = queue.next_item(db, project, annotator)
    done = queue.submit(db, project, annotator, held.id, {"phi": [
        {"start": 5, "end": 7, "label": "AGE"}, {"start": 0, "end": 2, "label": "NAME"},
        {"start": 0, "end": 2, "label": "NAME"}]})
    assert [s["start"] for s in done.answer["phi"]] == [0, 5]
    from yizhi.annotation.schema import parse_schema

    with pytest.raises(ValidationFailed, match=r"labels\[1\]\.name"):
        parse_schema({"labels": [{"name": "Bad Name", "type": "class", "classes": ["a"]}]})
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        parse_schema("labels: [unclosed")
