"""Fixtures of the access tests: a published dataset of the cast's hospital, a second company
(which must see nothing of the first's requests), and helpers that walk a request through the API."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from access_helpers import labs_table, org, visits_table  # noqa: E402


@pytest.fixture
def dataset(db, cast):
    """``dm-emr@1``: published by the cast's hospital, extracts allowed."""
    from yizhi.catalog.testing import make_version

    version = make_version(db, org(db, "hospital"), "dm-emr", {"labs": labs_table(), "visits": visits_table()},
                           title="Diabetes EMR", allow_extracts=True)
    db.commit()
    return version.ref


@pytest.fixture
def second_company(cast):
    """Another company with one member: it applies for the same data and must see nothing of the first's."""
    from yizhi.accounts import service
    from yizhi.db import session_scope

    password = cast.company.password
    with session_scope() as s:
        other = service.create_organization(s, slug="company-two", name="第二科技", kind="company")
        member = service.create_person(s, email="dev@company-two.test", display_name="钱开发", password=password)
        service.add_member(s, other, member, "member")
        return type(cast.company)(member.id, member.email, other.slug, "member", password)


