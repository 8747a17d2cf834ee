"""Platform housekeeping jobs."""

from __future__ import annotations

from yizhi.accounts import service as accounts
from yizhi.db import session_scope
from yizhi.jobs.service import JobContext, handler


@handler("platform.purge_sessions")
def purge_sessions(context: JobContext) -> dict:
    """Delete expired login sessions."""
    with session_scope() as session:
        removed = accounts.purge_expired_sessions(session)
    context.progress(1.0, "done")
    return {"removed": removed}
