"""The body of the ``catalog.ingest`` job: build a version's directory with the ingest pipeline.

The pipeline (:func:`yizhi.ingest.pipeline.build_version`) writes into a temporary sibling of the
version's directory, which is renamed into place only when the build succeeded, so a half-built
version never sits under a version's name. A failure leaves the version ``failed`` with a reason a
hospital member can act on; input that cannot become valid by trying again is not retried.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from yizhi import ledger
from yizhi.catalog import cards, keys, manifest, store
from yizhi.catalog.models import DatasetVersion, Upload, UploadState, VersionState
from yizhi.db import session_scope, utcnow
from yizhi.errors import N_, NotFound, ValidationFailed, YizhiError
from yizhi.jobs.models import Job

log = logging.getLogger("yizhi.catalog")
Progress = Callable[[float, str], None]


class BuildFailed(YizhiError):
    """The build cannot succeed with this input; trying again will not help."""

    status = 422
    code = "build_failed"


@dataclass
class Plan:
    version_id: int
    ref: str
    sources: list[tuple[str, Path]]
    profile: str
    key: bytes
    out_dir: Path
    final_dir: Path


def prepare(version_id: int) -> Plan | None:
    """Everything the build needs, read in one short transaction; None when nothing is to be done."""
    with session_scope() as session:
        version = session.get(DatasetVersion, version_id)
        if version is None or version.state in (VersionState.ready, VersionState.published, VersionState.withdrawn):
            return None
        version.state, version.error = VersionState.building, ""
        sources = [(s["name"], _raw_file(session, version.dataset.organization_id, s)) for s in version.sources]
        return Plan(version.id, version.ref, sources, version.profile or "", keys.ensure_key(version.dataset),
                    store.building_dir(version), store.version_dir(version))


def _raw_file(session, org_id: int, source: dict) -> Path:
    """The stored bytes of a source, if the organisation still holds them in its raw store."""
    held = session.scalar(select(Upload.id).where(
        Upload.organization_id == org_id, Upload.sha256 == source.get("sha256"),
        Upload.state == UploadState.stored).limit(1))
    from yizhi import storage

    path = storage.path_for(source["sha256"]) if source.get("sha256") else None
    if held is None or path is None or not path.exists():
        raise BuildFailed(N_("the raw file %(name)s is no longer in the raw store (purged after the retention "
                             "period); upload it again and retry"), params={"name": source.get("name")})
    return path


def run(version_id: int, progress: Progress) -> dict:
    """Build the version; returns a small result for the job row."""
    plan = prepare(version_id)
    if plan is None:
        return {"skipped": True}
    from yizhi.ingest.pipeline import Source, build_version
    from yizhi.ingest.profile import load_profile

    shutil.rmtree(plan.out_dir, ignore_errors=True)
    plan.out_dir.mkdir(parents=True)
    try:
        result = build_version([Source(name, path) for name, path in plan.sources], plan.out_dir,
                               profile=load_profile(plan.profile or None), key=plan.key, progress=progress)
        problems = manifest.verify_manifest(plan.out_dir)
        if problems or manifest.build_manifest(plan.out_dir)["root_hash"] != result.root_hash:
            raise RuntimeError(f"the built version does not match its manifest: {problems[:3]}")
        shutil.rmtree(plan.final_dir, ignore_errors=True)
        os.replace(plan.out_dir, plan.final_dir)
    finally:
        shutil.rmtree(plan.out_dir, ignore_errors=True)
    finish(version_id, result)
    return {"version": plan.ref, "root_hash": result.root_hash, "tables": len(result.tables),
            "quarantined": len(result.quarantine), "problems": len(result.problems)}


def finish(version_id: int, result) -> None:
    """Record the build on the version (tables, quality, figures on the card) and on the ledger."""
    with session_scope() as session:
        version = session.get(DatasetVersion, version_id)
        version.root_hash = result.root_hash
        version.tables = dict(result.tables)
        version.quality = dict(result.quality)
        version.stats = dict(result.stats)
        version.quarantine = list(result.quarantine)
        version.problems = list(result.problems)[:1000]
        card = dict(version.card or {})
        card.update(cards.figures_from_build(version.stats, version.quality))
        card["publisher"] = version.dataset.organization.name
        version.card = card
        dataset = version.dataset
        dataset.modalities = sorted(set(dataset.modalities or []) | facet_modalities(result.stats))
        version.state, version.built_at, version.error = VersionState.ready, utcnow(), ""
        ledger.record(session, "dataset.version_built", f"dataset_version:{version.id}",
                      {"version": version.ref, "root_hash": version.root_hash},
                      actor=f"user:{version.created_by_id}" if version.created_by_id else None,
                      org=version.dataset.organization.slug)


def facet_modalities(stats: dict) -> set[str]:
    """Modalities for the catalog's facet: DICOM modality codes, and EMR for records and notes."""
    found = {m for m in (stats.get("dicom_series") or {}) if m and m != "unknown"}
    if set(stats.get("modalities") or []) & {"fhir", "tables", "notes"}:
        found.add("EMR")
    return found


def fail(version_id: int, job_id: int | None, exc: BaseException) -> tuple[str, bool]:
    """Record why the build failed; returns (reason, final). Input errors are final at once."""
    permanent = isinstance(exc, (ValidationFailed, NotFound, BuildFailed, ImportError))
    reason = reason_for(exc)
    with session_scope() as session:
        job = session.get(Job, job_id) if job_id else None
        final = permanent or job is None or job.attempts >= job.max_attempts
        if permanent and job is not None:
            # Invalid input will not become valid by trying again: stop the job's automatic retries.
            session.execute(update(Job).where(Job.id == job.id).values(max_attempts=job.attempts))
        version = session.get(DatasetVersion, version_id)
        if version is not None and version.state == VersionState.building:
            version.error = reason
            if final:
                version.state = VersionState.failed
    return reason, final


def reason_for(exc: BaseException) -> str:
    """The reason as JSON {message, template, params}: English for the CLI and logs, translatable on pages."""
    if isinstance(exc, YizhiError):
        template, params = exc.template, exc.params
    elif isinstance(exc, ImportError):
        template, params = N_("the ingest pipeline (yizhi.ingest) is not installed on this server"), {}
    elif isinstance(exc, OSError):
        template, params = N_("the build could not read or write a file: %(reason)s"), {
            "reason": exc.strerror or str(exc)}
    else:
        log.exception("dataset build failed")
        template, params = N_("the build stopped unexpectedly (%(kind)s); it is tried again up to three times"), {
            "kind": type(exc).__name__}
    message = YizhiError(template, params=params).message
    return json.dumps({"message": message, "template": template, "params": params}, ensure_ascii=False)


def error_message(stored: str | None, gettext=None) -> str:
    """A stored failure reason in the reader's language (``gettext``) or English."""
    if not stored:
        return ""
    try:
        data = json.loads(stored)
        template, params = data["template"], data.get("params") or {}
        error = YizhiError(template, params=params)
    except (ValueError, KeyError, TypeError):
        return stored
    return error.localized(gettext) if gettext else error.message

