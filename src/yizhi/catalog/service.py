"""The catalog's rules: datasets, versions by ``SLUG@N``.

(Core lookups used by every later capability; the datasets capability adds ingest, publish,
cards and search beside them.)
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.catalog.models import Dataset, DatasetVersion
from yizhi.errors import NotFound, ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
REF = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]{1,62}[a-z0-9])@(?P<number>[1-9][0-9]{0,8})$")


def parse_ref(ref: str) -> tuple[str, int]:
    """``"ct-lung@2"`` → ``("ct-lung", 2)``; ValidationFailed saying the expected form."""
    match = REF.match((ref or "").strip())
    if not match:
        raise ValidationFailed(f"{ref!r} is not a dataset version; write SLUG@N, e.g. lung-ct@1",
                               field="dataset")
    return match["slug"], int(match["number"])


def get_dataset(session: Session, slug: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    if dataset is None:
        raise NotFound(f"no dataset {slug!r}")
    return dataset


def resolve_version(session: Session, ref: str) -> DatasetVersion:
    """The version named ``SLUG@N``; NotFound when there is none (visibility is the caller's rule)."""
    slug, number = parse_ref(ref)
    version = session.scalar(select(DatasetVersion).join(Dataset).where(
        Dataset.slug == slug, DatasetVersion.number == number))
    if version is None:
        raise NotFound(f"no dataset version {slug}@{number}")
    return version
