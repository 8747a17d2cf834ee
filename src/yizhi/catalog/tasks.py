"""Catalog jobs: building a dataset version (``catalog.ingest``) and purging the raw store."""

from __future__ import annotations

from yizhi.catalog import build, uploads
from yizhi.catalog.settings import catalog_settings
from yizhi.db import session_scope
from yizhi.jobs.service import JobContext, handler, periodic


@handler("catalog.ingest")
def ingest(context: JobContext) -> dict:
    """Build the version ``params["version_id"]`` with the ingest pipeline."""
    version_id = int(context.params["version_id"])
    try:
        return build.run(version_id, context.progress)
    except Exception as exc:  # recorded on the version, then the job fails (and may be retried)
        build.fail(version_id, context.job_id, exc)
        raise


@handler("catalog.purge_raw")
def purge_raw(context: JobContext) -> dict:
    """Remove raw uploads past YIZHI_RAW_RETENTION_DAYS that no building version needs."""
    with session_scope() as session:
        result = uploads.purge_expired(session)
    context.progress(1.0, "done")
    return result


periodic("catalog.purge_raw", lambda: catalog_settings().raw_purge_hours * 3600)
