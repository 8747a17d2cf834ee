"""Helpers shared by the Tier A tests: organisations, people, versions and grants."""

from __future__ import annotations

import pyarrow as pa

from yizhi.access import grants
from yizhi.accounts.models import Organization, Person
from yizhi.catalog.testing import make_version


def org(db, slug: str) -> Organization:
    return db.query(Organization).filter_by(slug=slug).one()


def person(db, member) -> Person:
    return db.get(Person, member.id)


def version_of(db, slug: str, tables: dict[str, pa.Table], owner: str = "hospital"):
    return make_version(db, org(db, owner), slug, tables)


def grant_on(db, cast, version, columns=None, *, epsilon=None, days=30, automation=False):
    grant = grants.create_grant(db, org=org(db, "company"), versions={version: columns}, days=days,
                                reason="test", actor=person(db, cast.admin), administrative=True,
                                epsilon_budget=epsilon)
    grant.allow_non_dp_automation = automation
    db.flush()
    return grant
