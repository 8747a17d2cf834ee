"""The per-process matching index follows the database: new, edited, withdrawn and late-committed rows."""

from datetime import timedelta

from sqlalchemy import select

from yizhi.accounts.models import Organization
from yizhi.db import utcnow
from yizhi.needs import service
from yizhi.needs.index import MatchingIndex
from yizhi.needs.models import SolutionStatus
from yizhi.needs.schemas import SolutionIn


def keys(index):
    return set(index.engine.corpus("solution").slot_of)


def test_sync_applies_changes_once_and_catches_late_commits(cast, db):
    company = db.scalar(select(Organization).where(Organization.slug == "company"))
    first = service.create_solution(db, None, company, SolutionIn(title="肺结节CT检测", description="胸部CT"))
    db.commit()
    index = MatchingIndex()
    assert index.sync(db) == 1 and keys(index) == {str(first.id)}
    assert index.sync(db) == 0  # nothing changed: nothing re-applied

    late = service.create_solution(db, None, company, SolutionIn(title="眼底筛查", description="糖网"))
    late.updated_at = utcnow() - timedelta(seconds=3)  # stamped before the watermark, committed after
    service.set_solution_status(db, None, first, SolutionStatus.withdrawn)
    db.commit()
    assert index.sync(db) == 2
    assert keys(index) == {str(late.id)}  # the withdrawn one left, the late one arrived

    late.title = "眼底多病种筛查一体机"
    late.updated_at = utcnow()
    db.commit()
    index.sync(db)
    assert index.engine.corpus("solution").document(str(late.id)).title == "眼底多病种筛查一体机"
