"""Batch jobs of the access domain.

``access.check`` (periodic, every ``YIZHI_ACCESS_CHECK_SECONDS``): flags overdue review steps to
their reviewers and the holder's owners (once per step), tells teams of grants about to expire,
and records each expiry on the ledger once.
"""

from __future__ import annotations

from yizhi.access import grant_service, review_service
from yizhi.access.settings import get_access_settings
from yizhi.db import session_scope
from yizhi.jobs.service import JobContext, handler, periodic


@handler("access.check")
def check(ctx: JobContext) -> dict:
    with session_scope() as session:
        flagged = review_service.flag_overdue(session)
    with session_scope() as session:
        expiry = grant_service.notice_expiry(session)
    ctx.progress(1.0, f"{flagged} overdue steps, {expiry['expired']} expired, {expiry['warned']} expiring")
    return {"overdue_flagged": flagged, **expiry}


periodic("access.check", lambda: get_access_settings().check_seconds)
