"""The `ledger.checkpoint` job: signs only when due (tree grew and T seconds passed) unless forced."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from yizhi import ledger
from yizhi.db import session_scope, utcnow
from yizhi.jobs.service import JobContext, load_handlers
from yizhi.ledger.models import LedgerTreeHead


def _run(params):
    handler = load_handlers()["ledger.checkpoint"]
    return handler(JobContext(job_id=0, params=params, created_by_id=None, organization_id=None))


def test_checkpoint_job_signs_when_due_or_forced(db):
    with session_scope() as session:
        ledger.record(session, "test.event", "item:1", {"i": 1})  # the first entry signs size 1
    assert _run({}) == {"signed": False}  # nothing new
    with session_scope() as session:
        ledger.record(session, "test.event", "item:2", {"i": 2})
    assert _run({}) == {"signed": False}  # grew, but the last checkpoint is fresh
    with session_scope() as session:
        session.execute(update(LedgerTreeHead).values(checkpoint_at=utcnow() - timedelta(hours=1)))
    due = _run({})
    assert due["signed"] and due["tree_size"] >= 2
    with session_scope() as session:
        ledger.record(session, "test.event", "item:3", {"i": 3})
    forced = _run({"force": True})
    assert forced["signed"] and forced["tree_size"] == due["tree_size"] + 1
