"""Helpers every part of the needs service uses: permission, ledger, organisations, embeddings.

Functions of the service take the acting ``person`` (``None`` means the operator at the command line,
who is trusted like a database administrator) and check permission first, then change, then ``flush``:
the caller commits, so each state change, its notifications and its ledger record are one transaction.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, NotFound
from yizhi.needs.index import vector_to_bytes
from yizhi.needs.matching.categories import default_suggester
from yizhi.needs.matching.dense import default_encoder


def write_ledger(session: Session, kind: str, subject: str, data: dict, person: Person | None, org: Organization) -> None:
    from yizhi import ledger

    actor = f"user:{person.id}" if person is not None else "cli"
    ledger.record(session, kind, subject, data, actor=actor, org=org.slug)


def check(person: Person | None, action: str, obj) -> None:
    if person is not None:
        authorize(person, action, obj)


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation with slug '%(slug)s'"), params={"slug": slug})
    return org


def fill_category(row, data_category: str | None, vector: np.ndarray | None = None) -> None:
    if data_category:
        row.category, row.category_suggested = data_category, False
    else:
        text = f"{row.title}。{row.description}"
        row.category = default_suggester().suggest(text, top=1, vector=vector)[0].category
        row.category_suggested = True


def embed(row, document) -> np.ndarray:
    encoder = default_encoder()
    vector = encoder.encode([document.dense_text()])[0]
    row.embedding, row.embedding_model = vector_to_bytes(vector), encoder.name
    return vector
