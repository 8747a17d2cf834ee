"""The catalog's rules for datasets: lookups by ``SLUG@N``, creating datasets, their settings.

(Versions — ingest, publish, cards — are in :mod:`yizhi.catalog.versions`.)
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import authorize
from yizhi.catalog import cards
from yizhi.catalog import permissions as _rules  # noqa: F401  (registers the permission rules)
from yizhi.catalog.models import Dataset, DatasetVersion
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
REF = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]{1,62}[a-z0-9])@(?P<number>[1-9][0-9]{0,8})$")
# Path words of the catalog's own routes; a dataset may not be called by one of them.
RESERVED_SLUGS = {"uploads", "templates", "new", "static", "published", "search", "catalog", "public"}


def parse_ref(ref: str) -> tuple[str, int]:
    """``"ct-lung@2"`` → ``("ct-lung", 2)``; ValidationFailed saying the expected form."""
    match = REF.match((ref or "").strip())
    if not match:
        raise ValidationFailed(N_("%(ref)s is not a dataset version; write SLUG@N, e.g. lung-ct@1"),
                               params={"ref": repr((ref or "")[:80])}, field="dataset")
    return match["slug"], int(match["number"])


def parse_slug_or_ref(text: str) -> tuple[str, int | None]:
    """``SLUG`` or ``SLUG@N``."""
    if "@" in (text or ""):
        return parse_ref(text)
    return check_slug(text), None


def check_slug(slug: str) -> str:
    text = (slug or "").strip()
    if not SLUG.match(text):
        raise ValidationFailed(N_("%(slug)s is not a dataset name: use 3–64 lower-case letters, digits and "
                                  "hyphens, starting and ending with a letter or digit"),
                               params={"slug": repr(text[:80])}, field="slug")
    return text


def get_dataset(session: Session, slug: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None:
        raise NotFound(N_("no dataset %(slug)s"), params={"slug": repr(slug)})
    return dataset


def resolve_version(session: Session, ref: str) -> DatasetVersion:
    """The version named ``SLUG@N``; NotFound when there is none (visibility is the caller's rule)."""
    slug, number = parse_ref(ref)
    return get_version(session, slug, number)


def get_version(session: Session, slug: str, number: int) -> DatasetVersion:
    version = session.scalar(select(DatasetVersion).join(Dataset).where(
        Dataset.slug == slug, DatasetVersion.number == number))
    if version is None:
        raise NotFound(N_("no dataset version %(ref)s"), params={"ref": f"{slug}@{number}"})
    return version


def latest_version(dataset: Dataset, states=None) -> DatasetVersion | None:
    versions = [v for v in dataset.versions if states is None or v.state in states]
    return versions[-1] if versions else None


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation %(slug)s"), params={"slug": repr(slug)})
    return org


def create_dataset(session: Session, person: Person | None, org: Organization, slug: str, title: str, *,
                   template: str | None = None, description: str = "") -> Dataset:
    """A new, empty dataset of ``org`` (its versions come from ingest). ``person`` None: the operator CLI."""
    if person is not None:
        authorize(person, "catalog.create", org)
    slug = check_slug(slug)
    if slug in RESERVED_SLUGS:
        raise ValidationFailed(N_("%(slug)s is a reserved word; choose another dataset name"),
                               params={"slug": slug}, field="slug")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationFailed(N_("a dataset needs a title of 1–200 characters"), field="title")
    if len(description) > cards.MAX_TEXT:
        raise ValidationFailed(N_("the description is longer than %(max)d characters"),
                               params={"max": cards.MAX_TEXT}, field="description")
    chosen = cards.get_template(template)
    if session.scalar(select(Dataset.id).where(Dataset.slug == slug)) is not None:
        raise Conflict(N_("a dataset called %(slug)s exists already"), params={"slug": slug}, field="slug")
    dataset = Dataset(slug=slug, organization_id=org.id, title=title, description=description.strip(),
                      template=chosen.name if chosen else None, created_by_id=person.id if person else None)
    apply_template_facets(dataset, chosen)
    session.add(dataset)
    session.flush()
    return dataset


def apply_template_facets(dataset: Dataset, template: cards.CardTemplate | None) -> None:
    dataset.organ = template.organ if template else ""
    dataset.disease = template.disease if template else ""
    dataset.modalities = list(template.modalities) if template else []


def update_dataset(session: Session, person: Person, dataset: Dataset, *, title: str | None = None,
                   description: str | None = None, allow_extracts: bool | None = None,
                   template: str | None = None) -> Dataset:
    authorize(person, "catalog.edit", dataset)
    if title is not None:
        if not title.strip() or len(title.strip()) > 200:
            raise ValidationFailed(N_("a dataset needs a title of 1–200 characters"), field="title")
        dataset.title = title.strip()
    if description is not None:
        if len(description) > cards.MAX_TEXT:
            raise ValidationFailed(N_("the description is longer than %(max)d characters"),
                                   params={"max": cards.MAX_TEXT}, field="description")
        dataset.description = description.strip()
    if allow_extracts is not None:
        dataset.allow_extracts = bool(allow_extracts)
    if template is not None:
        chosen = cards.get_template(template) if template else None
        dataset.template = chosen.name if chosen else None
        apply_template_facets(dataset, chosen)
    session.flush()
    return dataset


def template_of(dataset: Dataset) -> cards.CardTemplate | None:
    return cards.templates().get(dataset.template or "")
