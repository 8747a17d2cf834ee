"""Grants: every use checks a live grant, its team and its columns, and says why it refuses."""

from datetime import timedelta

import pyarrow as pa
import pytest

from yizhi.access import grants
from yizhi.access.models import GrantState
from yizhi.accounts.models import Organization, Person
from yizhi.catalog.testing import make_version
from yizhi.errors import NotFound, PermissionDenied, ValidationFailed


def _org(db, slug):
    return db.query(Organization).filter_by(slug=slug).one()


def _person(db, member):
    return db.get(Person, member.id)


@pytest.fixture
def granted(db, cast):
    version = make_version(db, _org(db, "hospital"), "dm-emr",
                           {"labs": pa.table({"patient": ["p"], "hba1c": [7.1], "site": ["A"]})})
    grant = grants.create_grant(db, org=_org(db, "company"), versions={version: {"labs": ["hba1c", "site"]}},
                                days=30, reason="test", actor=_person(db, cast.admin), administrative=True)
    db.commit()
    return grant


def test_a_live_grant_allows_its_columns_only(db, cast, granted):
    grant, entry = grants.require_use(db, _person(db, cast.company), granted.id)
    assert grants.allowed_columns(entry, "labs") == ["hba1c", "site"]
    grants.require_columns(entry, "labs", ["hba1c"])
    with pytest.raises(PermissionDenied, match="patient"):
        grants.require_columns(entry, "labs", ["hba1c", "patient"])


def test_refusals_say_why(db, cast, granted):
    company = _person(db, cast.company)
    granted.expires_at = granted.expires_at - timedelta(days=31)
    db.commit()
    with pytest.raises(PermissionDenied, match="expired") as caught:
        grants.require_use(db, company, granted.id)
    assert caught.value.code == "grant_expired"
    granted.expires_at = granted.expires_at + timedelta(days=31)
    granted.state, granted.state_reason = GrantState.revoked, "misuse"
    db.commit()
    with pytest.raises(PermissionDenied, match="revoked: misuse"):
        grants.require_use(db, company, granted.id)


def test_outsiders_do_not_see_the_grant_and_the_holder_cannot_use_it(db, cast, granted):
    with pytest.raises(NotFound):
        grants.require_use(db, _person(db, cast.outsider), granted.id)
    with pytest.raises(PermissionDenied):
        grants.require_use(db, _person(db, cast.owner), granted.id)  # sees it (holder) but is not the grantee
    with pytest.raises(NotFound):
        grants.require_use(db, _person(db, cast.company), 10**30)


def test_unknown_columns_are_refused_when_granting(db, cast):
    version = make_version(db, _org(db, "hospital"), "x-set", {"t": pa.table({"a": [1]})})
    with pytest.raises(ValidationFailed, match="no column"):
        grants.create_grant(db, org=_org(db, "company"), versions={version: {"t": ["b"]}}, days=5)
