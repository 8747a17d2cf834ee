"""Catalog search and facets (disease, organ, modality, hospital, size).

Visibility first: anonymous visitors and outsiders see datasets with a published version; the
owning organisation sees its own in every state; the commission sees all. Then the text query,
then the facet filters; facet counts are taken over the text query's results.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yizhi.accounts.models import Person
from yizhi.accounts.permissions import is_platform_admin
from yizhi.catalog import disclosure
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState
from yizhi.catalog.permissions import member_of

FACETS = ("disease", "organ", "modality", "hospital", "size")
MAX_QUERY = 200


@dataclass
class Filters:
    q: str = ""
    disease: str = ""
    organ: str = ""
    modality: str = ""
    hospital: str = ""
    size: str = ""

    @classmethod
    def from_mapping(cls, values) -> Filters:
        return cls(**{name: str(values.get(name) or "").strip()[:MAX_QUERY] for name in cls.__dataclass_fields__})


@dataclass
class Hit:
    dataset: Dataset
    version: DatasetVersion | None   # the version to show: latest published, else the latest visible
    records: int | None

    def facet_values(self) -> dict[str, list[str]]:
        return {"disease": [self.dataset.disease] if self.dataset.disease else [],
                "organ": [self.dataset.organ] if self.dataset.organ else [],
                "modality": list(self.dataset.modalities or []),
                "hospital": [self.dataset.organization.slug],
                "size": [disclosure.size_bucket(self.records)] if self.records is not None else []}


def _shown_version(dataset: Dataset, person: Person | None) -> DatasetVersion | None:
    published = [v for v in dataset.versions if v.state == VersionState.published]
    if published:
        return published[-1]
    if person is not None and (member_of(person, dataset.organization_id) or is_platform_admin(person)):
        return dataset.versions[-1] if dataset.versions else None
    return None


def visible_hits(session: Session, person: Person | None) -> list[Hit]:
    datasets = session.scalars(select(Dataset).options(
        selectinload(Dataset.versions), selectinload(Dataset.organization)).order_by(Dataset.title))
    hits = []
    for dataset in datasets:
        owner_view = person is not None and (member_of(person, dataset.organization_id) or is_platform_admin(person))
        version = _shown_version(dataset, person)
        if not owner_view and (version is None or version.state != VersionState.published):
            continue
        records = (version.card or {}).get("number_of_records") if version else None
        hits.append(Hit(dataset, version, records if isinstance(records, int) else None))
    return hits


def _matches_text(hit: Hit, query: str) -> bool:
    if not query:
        return True
    card = (hit.version.card or {}) if hit.version else {}
    haystack = " ".join(str(part) for part in [
        hit.dataset.slug, hit.dataset.title, hit.dataset.description, hit.dataset.disease, hit.dataset.organ,
        hit.dataset.organization.name, card.get("title", ""), card.get("description", ""),
        *(card.get("keyword") or []), *(card.get("health_theme") or []), *(hit.dataset.modalities or [])]).lower()
    return all(word in haystack for word in query.lower().split())


def search(session: Session, person: Person | None, filters: Filters) -> tuple[list[Hit], dict[str, list]]:
    """(matching hits, facets {name: [(value, count), ...]})."""
    texted = [hit for hit in visible_hits(session, person) if _matches_text(hit, filters.q)]
    facets = {name: Counter() for name in FACETS}
    for hit in texted:
        for name, values in hit.facet_values().items():
            facets[name].update(values)
    chosen = {name: getattr(filters, name) for name in FACETS if getattr(filters, name)}
    results = [hit for hit in texted
               if all(value in hit.facet_values()[name] for name, value in chosen.items())]
    return results, {name: sorted(counter.items(), key=lambda item: (-item[1], item[0]))
                     for name, counter in facets.items()}
