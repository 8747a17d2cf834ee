"""Grants after they are made: expired, suspended, reinstated and revoked grants are refused with
the reason; only the holder's owner suspends or revokes, with a reason; a statistics grant never
allows row-level work."""

from datetime import timedelta

import pytest
from access_helpers import person, walk_to_grant

from yizhi.access import grants
from yizhi.access.models import Grant
from yizhi.errors import PermissionDenied


def test_an_expired_grant_is_refused(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    grant = db.get(Grant, walked.grant_id)
    grant.expires_at = grant.expires_at - timedelta(days=91)
    db.commit()
    with pytest.raises(PermissionDenied, match="expired") as caught:
        grants.require_use(db, person(db, cast.company), walked.grant_id, dataset)
    assert caught.value.code == "grant_expired"
    assert walked.company.get(f"/api/v1/access/grants/{walked.grant_id}").json()["state"] == "expired"
    assert grants.live_grant_exists(db, grant.organization, grant.datasets[0].version) is None


def test_a_revoked_grant_is_refused_and_says_why(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    url = f"/api/v1/access/grants/{walked.grant_id}"
    assert walked.company.post(f"{url}/revoke", json={"reason": "mine"}).status_code == 403   # the grantee cannot
    assert walked.admin.post(f"{url}/revoke", json={"reason": "x"}).status_code == 403       # nor the commission
    assert walked.owner.post(f"{url}/revoke", json={"reason": ""}).status_code == 422        # a reason is required
    revoked = walked.owner.post(f"{url}/revoke", json={"reason": "data shared outside the team"})
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    with pytest.raises(PermissionDenied, match="revoked: data shared outside the team") as caught:
        grants.require_use(db, person(db, cast.company), walked.grant_id, dataset)
    assert caught.value.code == "grant_revoked"
    assert walked.owner.post(f"{url}/reinstate", json={"reason": "undo"}).status_code in (403, 409)
    zh = walked.company.get(f"{url}?lang=zh")
    assert zh.json()["state"] == "revoked"


def test_suspend_then_reinstate(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    url = f"/api/v1/access/grants/{walked.grant_id}"
    assert walked.owner.post(f"{url}/suspend", json={"reason": "audit"}).json()["state"] == "suspended"
    with pytest.raises(PermissionDenied, match="suspended: audit"):
        grants.require_use(db, person(db, cast.company), walked.grant_id, dataset)
    assert walked.owner.post(f"{url}/suspend", json={"reason": "again"}).status_code == 409
    assert walked.owner.post(f"{url}/reinstate", json={"reason": "audit passed"}).json()["state"] == "active"
    db.expire_all()
    grants.require_use(db, person(db, cast.company), walked.grant_id, dataset)
    notices = walked.company.get("/api/v1/access/notifications").json()["items"]
    assert [n["kind"] for n in notices][:2] == ["grant_reinstated", "grant_suspended"]


def test_a_statistics_grant_refuses_row_level_work(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset, kind="statistics", legal_basis="", ethics_reference="", outputs="",
                           reasons={})
    grant = db.get(Grant, walked.grant_id)
    assert grant.kind.value == "statistics"
    with pytest.raises(PermissionDenied, match="aggregates only"):
        grants.require_row_level(grant)
    data = walk_to_grant(api, cast, dataset, title="Second")
    grants.require_row_level(db.get(Grant, data.grant_id))


def test_a_use_can_be_recorded_on_the_ledger(api, cast, db, dataset):
    from yizhi.ledger.models import LedgerEntry

    walked = walk_to_grant(api, cast, dataset)
    grants.require_use(db, person(db, cast.company), walked.grant_id, dataset, action="space.query")
    db.commit()
    used = db.query(LedgerEntry).filter_by(kind="access.grant_used").one()
    assert used.subject == f"grant:{walked.grant_id}" and '"action":"space.query"' in used.leaf
    with pytest.raises(Exception, match="domain.verb"):
        grants.require_use(db, person(db, cast.company), walked.grant_id, dataset, action="drop table")
