"""JSON API of the catalog under /api/v1/datasets. Routes translate HTTP; rules live in the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from yizhi.accounts.models import Person
from yizhi.accounts.permissions import authorize, can
from yizhi.catalog import cards, disclosure, export, search, service, versions
from yizhi.catalog import permissions as _rules  # noqa: F401  (registers the permission rules)
from yizhi.catalog.build import error_message
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.catalog.schemas import CardUpdate, DatasetCreate, DatasetUpdate, IngestStart
from yizhi.catalog.upload_api import router as upload_router
from yizhi.errors import N_, NotFound, ValidationFailed
from yizhi.web.deps import CurrentPerson, DbSession, public

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])
router.include_router(upload_router)
Format = Annotated[str, Query(pattern="^(json|croissant|dcat)$")]


def acting_org(db: Session, person: Person, slug: str | None):
    """The organisation a request acts for: the named one, or the person's only data-holding one."""
    if slug:
        return service.org_by_slug(db, slug)
    fitting = _rules.holder_orgs(person)
    if len(fitting) != 1:
        raise ValidationFailed(N_("say which organisation you act for (the `org` field)"), field="org")
    return fitting[0]


def dataset_out(dataset: Dataset, person: Person) -> dict:
    visible = [v for v in dataset.versions if can(person, "catalog.view_version", v)]
    return {"slug": dataset.slug, "title": dataset.title, "description": dataset.description,
            "organization": dataset.organization.slug, "template": dataset.template,
            "allow_extracts": dataset.allow_extracts, "organ": dataset.organ, "disease": dataset.disease,
            "modalities": dataset.modalities or [],
            "versions": [{"ref": v.ref, "number": v.number, "state": v.state.value, "root_hash": v.root_hash}
                         for v in visible]}


def version_out(version: DatasetVersion, person: Person) -> dict:
    details = can(person, "catalog.view_details", version)
    out = versions.summary(version, details=details)
    out["error"] = error_message(version.error) or None
    if not details:
        out["card"] = disclosure.public_card(out["card"])
        out["tables"] = {t["table"]: {"columns": t["columns"], "rows": t["rows"]}
                         for t in disclosure.public_tables(version.tables)}
    return out


def _version(db: Session, person: Person, slug: str, number: int, action: str = "catalog.view_version"):
    version = service.get_version(db, slug, number)
    authorize(person, action, version)
    return version


# ----- fixed paths first ------------------------------------------------------------------------
@router.get("/templates")
def list_templates(person: CurrentPerson) -> list[dict]:
    return [{"name": t.name, "title": t.title, "organ": t.organ, "disease": t.disease,
             "modalities": list(t.modalities), "required": cards.required_fields(t)}
            for t in cards.templates().values()]


@router.get("/catalog")
@public
def public_catalog(db: DbSession, q: Annotated[str, Query(max_length=200)] = "") -> list[dict]:
    """Published datasets, for anyone (counts after disclosure control)."""
    hits, _ = search.search(db, None, search.Filters(q=q))
    return [{"slug": h.dataset.slug, "title": h.dataset.title, "ref": h.version.ref,
             "organization": h.dataset.organization.slug, "disease": h.dataset.disease, "organ": h.dataset.organ,
             "modalities": h.dataset.modalities or [], "size": disclosure.size_bucket(h.records)} for h in hits]


@router.get("/catalog/{slug}/{number}/card")
@public
def public_card(slug: str, number: int, db: DbSession, format: Format = "croissant") -> Response:
    version = service.get_version(db, slug, number)
    if version.state != VersionState.published:
        raise NotFound(N_("no published dataset version %(ref)s"), params={"ref": f"{slug}@{number}"})
    media = "application/json" if format == "json" else "application/ld+json"
    return Response(export.card_document(version, format, public=True), media_type=media)


# ----- datasets -----------------------------------------------------------------------------------
@router.get("")
def list_datasets(db: DbSession, person: CurrentPerson, q: Annotated[str, Query(max_length=200)] = "",
                  disease: str = "", organ: str = "", modality: str = "", hospital: str = "",
                  size: str = "") -> dict:
    filters = search.Filters.from_mapping({"q": q, "disease": disease, "organ": organ, "modality": modality,
                                           "hospital": hospital, "size": size})
    hits, facets = search.search(db, person, filters)
    return {"datasets": [{**dataset_out(h.dataset, person), "size": disclosure.size_bucket(h.records)}
                         for h in hits],
            "facets": {name: [{"value": v, "count": n} for v, n in values] for name, values in facets.items()}}


@router.post("", status_code=201)
def create_dataset(body: DatasetCreate, db: DbSession, person: CurrentPerson) -> dict:
    org = acting_org(db, person, body.org)
    dataset = service.create_dataset(db, person, org, body.slug, body.title, template=body.template,
                                     description=body.description)
    db.commit()
    return dataset_out(dataset, person)


@router.get("/{slug}")
def get_dataset(slug: str, db: DbSession, person: CurrentPerson) -> dict:
    dataset = service.get_dataset(db, slug)
    authorize(person, "catalog.view", dataset)
    return dataset_out(dataset, person)


@router.patch("/{slug}")
def update_dataset(slug: str, body: DatasetUpdate, db: DbSession, person: CurrentPerson) -> dict:
    dataset = service.get_dataset(db, slug)
    service.update_dataset(db, person, dataset, **body.model_dump(exclude_unset=True))
    db.commit()
    return dataset_out(dataset, person)


# ----- versions -----------------------------------------------------------------------------------
@router.post("/{slug}/versions", status_code=202)
def start_ingest(slug: str, body: IngestStart, db: DbSession, person: CurrentPerson) -> dict:
    from yizhi.catalog import uploads

    dataset = service.get_dataset(db, slug)
    authorize(person, "catalog.ingest", dataset)
    chosen = uploads.stored_uploads(db, dataset.organization_id, body.uploads)
    version = versions.start_ingest(db, person, dataset, chosen, profile=body.profile,
                                    keep_previous_sources=body.keep_previous_sources)
    db.commit()
    return {"ref": version.ref, "state": version.state.value, "job_id": version.job_id}


@router.get("/{slug}/versions/{number}")
def get_version(slug: str, number: int, db: DbSession, person: CurrentPerson) -> dict:
    return version_out(_version(db, person, slug, number), person)


@router.get("/{slug}/versions/{number}/changes")
def version_changes(slug: str, number: int, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, person, slug, number)
    changes = versions.changes(version)
    if not can(person, "catalog.view_details", version):
        changes.pop("profile", None)
        changes.pop("sources", None)
    return changes


@router.get("/{slug}/versions/{number}/card")
def version_card(slug: str, number: int, db: DbSession, person: CurrentPerson, format: Format = "json") -> Response:
    version = _version(db, person, slug, number)
    details = can(person, "catalog.view_details", version)
    media = "application/json" if format == "json" else "application/ld+json"
    return Response(export.card_document(version, format, public=not details), media_type=media)


@router.patch("/{slug}/versions/{number}/card")
def update_card(slug: str, number: int, body: CardUpdate, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, person, slug, number)
    versions.update_card(db, person, version, body.fields)
    db.commit()
    return version_out(version, person)


@router.post("/{slug}/versions/{number}/publish")
def publish(slug: str, number: int, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, person, slug, number)
    versions.publish(db, person, version)
    db.commit()
    return version_out(version, person)


@router.post("/{slug}/versions/{number}/withdraw")
def withdraw(slug: str, number: int, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, person, slug, number)
    versions.withdraw(db, person, version)
    db.commit()
    return version_out(version, person)


@router.post("/{slug}/versions/{number}/retry", status_code=202)
def retry(slug: str, number: int, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, person, slug, number)
    job = versions.retry(db, person, version)
    db.commit()
    return {"ref": version.ref, "state": version.state.value, "job_id": job.id}
