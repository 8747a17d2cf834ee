"""Versions of a dataset: starting an ingest, the card, publishing, withdrawing, what changed.

A version is made by the ``catalog.ingest`` job (:mod:`yizhi.catalog.build`); it is immutable once
built. Its sources are the previous version's sources plus the new uploads (a new upload with the
same name replaces the old file), so a new version can add data or re-run with a changed profile.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Person
from yizhi.accounts.permissions import authorize
from yizhi.catalog import cards, diff, keys, service
from yizhi.catalog import permissions as _rules  # noqa: F401  (registers the permission rules)
from yizhi.catalog.models import Dataset, DatasetVersion, Upload, VersionState
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, ValidationFailed
from yizhi.jobs import service as jobs
from yizhi.jobs.models import Job

MAX_PROFILE_BYTES = 256 * 1024
BUILT_STATES = (VersionState.ready, VersionState.published, VersionState.withdrawn)


def check_profile(text: str | None) -> str:
    """The profile's YAML, checked now so a mistake is reported before a job is queued."""
    text = text or ""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PROFILE_BYTES:
        raise ValidationFailed(N_("the profile is larger than %(max)d bytes"), params={"max": MAX_PROFILE_BYTES},
                               field="profile")
    if "\x00" in text:
        raise ValidationFailed(N_("the profile is not text"), field="profile")
    try:
        from yizhi.ingest.profile import load_profile
    except ImportError:  # the pipeline is not installed here: the job will say so
        return text
    load_profile(text or None)
    return text


def previous_built(dataset: Dataset, before: int | None = None) -> DatasetVersion | None:
    built = [v for v in dataset.versions if v.state in BUILT_STATES and (before is None or v.number < before)]
    return built[-1] if built else None


def combined_sources(previous: DatasetVersion | None, uploads: list[Upload]) -> list[dict]:
    """The previous version's sources, with new uploads added (or replacing a file of the same name)."""
    by_name = {s["name"]: dict(s) for s in (previous.sources if previous else [])}
    for upload in uploads:
        by_name[upload.name] = {"name": upload.name, "sha256": upload.sha256, "bytes": upload.size,
                                "upload": upload.id}
    return [by_name[name] for name in sorted(by_name)]


def start_ingest(session: Session, person: Person | None, dataset: Dataset, uploads: list[Upload], *,
                 profile: str | None = None, keep_previous_sources: bool = True,
                 brought_key: bytes | None = None) -> DatasetVersion:
    """Create version N+1 (state building) and queue the job that builds it."""
    if person is not None:
        authorize(person, "catalog.ingest", dataset)
    for upload in uploads:
        if upload.organization_id != dataset.organization_id:
            raise ValidationFailed(N_("upload %(name)s belongs to another organisation"),
                                   params={"name": upload.name}, field="uploads")
    previous = previous_built(dataset)
    sources = combined_sources(previous if keep_previous_sources else None, uploads)
    if not sources:
        raise ValidationFailed(N_("nothing to ingest: upload at least one file"), field="uploads")
    profile_text = check_profile(profile if profile is not None else (previous.profile if previous else ""))
    keys.ensure_key(dataset, brought_key)
    number = (session.scalar(select(func.max(DatasetVersion.number)).where(
        DatasetVersion.dataset_id == dataset.id)) or 0) + 1
    version = DatasetVersion(dataset_id=dataset.id, number=number, state=VersionState.building, sources=sources,
                             profile=profile_text, created_by_id=person.id if person else None,
                             card=_starting_card(dataset, previous))
    version.dataset = dataset
    session.add(version)
    session.flush()
    job = jobs.enqueue(session, "catalog.ingest", {"version_id": version.id},
                       created_by_id=person.id if person else None, organization_id=dataset.organization_id)
    version.job_id = job.id
    session.flush()
    return version


def _starting_card(dataset: Dataset, previous: DatasetVersion | None) -> dict:
    """What people wrote on the previous card carries over; the build fills in the figures."""
    template = service.template_of(dataset)
    card = cards.initial_card(dataset.title, dataset.description, dataset.organization.name, template)
    if previous is not None:
        auto = {f.key for f in cards.CARD_FIELDS if f.auto}
        card.update({k: v for k, v in (previous.card or {}).items() if k not in auto})
    return card


def retry(session: Session, person: Person | None, version: DatasetVersion) -> Job:
    """Queue a failed build again (e.g. after the missing raw file was uploaded again)."""
    if person is not None:
        authorize(person, "catalog.retry", version)
    if version.state != VersionState.failed:
        raise Conflict(N_("only a failed version can be built again; %(ref)s is %(state)s"),
                       params={"ref": version.ref, "state": version.state.value})
    job = session.get(Job, version.job_id) if version.job_id else None
    if job is None:
        job = jobs.enqueue(session, "catalog.ingest", {"version_id": version.id},
                           created_by_id=person.id if person else None,
                           organization_id=version.dataset.organization_id)
        version.job_id = job.id
    else:
        jobs.retry(session, job)
    version.state, version.error = VersionState.building, ""
    session.flush()
    return job


def update_card(session: Session, person: Person | None, version: DatasetVersion, update: dict) -> dict:
    if person is not None:
        authorize(person, "catalog.edit_card", version)
    if version.state != VersionState.ready:
        raise Conflict(N_("the card of %(ref)s can no longer change (it is %(state)s); make a new version"),
                       params={"ref": version.ref, "state": version.state.value})
    card = dict(version.card or {})
    for key, value in cards.clean_card_update(update).items():
        if value is None:
            card.pop(key, None)
        else:
            card[key] = value
    version.card = card
    session.flush()
    return card


def publish(session: Session, person: Person | None, version: DatasetVersion) -> DatasetVersion:
    """Into the catalog; refused, naming them, while the card lacks required fields."""
    if person is not None:
        authorize(person, "catalog.publish", version)
    if version.state != VersionState.ready:
        raise Conflict(N_("only a version that is built and ready can be published; %(ref)s is %(state)s"),
                       params={"ref": version.ref, "state": version.state.value})
    template = service.template_of(version.dataset)
    missing = cards.missing_fields(version.card or {}, template)
    if missing:
        raise ValidationFailed(N_("cannot publish %(ref)s: the card lacks %(fields)s"),
                               params={"ref": version.ref, "fields": ", ".join(missing)}, field="card")
    version.state, version.published_at = VersionState.published, utcnow()
    _facets_from_card(version.dataset, version.card)
    ledger.record(session, "dataset.version_published", f"dataset_version:{version.id}",
                  {"version": version.ref, "root_hash": version.root_hash},
                  actor=f"user:{person.id}" if person else None, org=version.dataset.organization.slug)
    session.flush()
    return version


def _facets_from_card(dataset: Dataset, card: dict) -> None:
    if not dataset.disease and card.get("health_theme"):
        dataset.disease = str(card["health_theme"][0])[:100]


def withdraw(session: Session, person: Person | None, version: DatasetVersion) -> DatasetVersion:
    if person is not None:
        authorize(person, "catalog.withdraw", version)
    if version.state != VersionState.published:
        raise Conflict(N_("only a published version can be withdrawn; %(ref)s is %(state)s"),
                       params={"ref": version.ref, "state": version.state.value})
    version.state = VersionState.withdrawn
    ledger.record(session, "dataset.version_withdrawn", f"dataset_version:{version.id}",
                  {"version": version.ref, "root_hash": version.root_hash},
                  actor=f"user:{person.id}" if person else None, org=version.dataset.organization.slug)
    session.flush()
    return version


def _facts(version: DatasetVersion) -> dict:
    return {"ref": version.ref, "root_hash": version.root_hash, "tables": version.tables,
            "sources": version.sources, "profile": version.profile}


def changes(version: DatasetVersion) -> dict:
    """What changed since the previous built version."""
    previous = previous_built(version.dataset, before=version.number)
    return diff.version_changes(_facts(previous) if previous else None, _facts(version))


def summary(version: DatasetVersion, *, details: bool) -> dict:
    """The version as the API and ``show --json`` give it; ``details`` for its owner and the commission."""
    out = {
        "ref": version.ref, "dataset": version.dataset.slug, "number": version.number,
        "state": version.state.value, "root_hash": version.root_hash,
        "tables": version.tables or {}, "card": version.card or {},
        "created_at": version.created_at.isoformat() if version.created_at else None,
        "built_at": version.built_at.isoformat() if version.built_at else None,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "error": version.error or None, "job_id": version.job_id,
        "missing_card_fields": cards.missing_fields(version.card or {}, service.template_of(version.dataset)),
    }
    if details:
        out.update({"sources": version.sources or [], "profile": version.profile or "",
                    "stats": version.stats or {}, "quality": version.quality or {},
                    "quarantine": version.quarantine or [], "problems": version.problems or []})
    return out
