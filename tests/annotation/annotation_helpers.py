"""Small helpers shared by the annotation tests."""

from __future__ import annotations


def drain(db, project, annotator, answer_for, queue_module=None):
    """Let one annotator answer everything the queue gives them; returns the item keys in order."""
    from yizhi.annotation import queue

    keys = []
    while (assignment := queue.next_item(db, project, annotator)) is not None:
        keys.append(assignment.item.key)
        queue.submit(db, project, annotator, assignment.id, answer_for(assignment.item))
    return keys


def _org(db, slug):
    from yizhi.accounts.models import Organization

    return db.query(Organization).filter_by(slug=slug).one()


CLASS_SCHEMA = {"labels": [{"name": "kind", "type": "class", "classes": ["admission", "progress", "imaging", "other"]}]}
SPAN_SCHEMA = {"labels": [{"name": "phi", "type": "spans", "classes": ["NAME", "PHONE", "ADDRESS", "DATE", "AGE"]}]}


def make_project(db, cast, slug="notes-labels", dataset="notes-demo@1", schema=None, **kw):
    from yizhi.accounts.models import Person
    from yizhi.annotation import service

    project = service.create_project(db, slug=slug, title=kw.pop("title", slug), org=_org(db, "hospital"),
                                     dataset=dataset,
                                     schema=CLASS_SCHEMA if schema is None and kw.get("kind") != "deid_review" else schema,
                                     actor=db.get(Person, cast.owner.id), **kw)
    db.commit()
    return project


def person(db, member):
    from yizhi.accounts.models import Person

    found = db.get(Person, member.id)
    for membership in found.memberships:
        _ = membership.organization
    return found
