"""Amendments, extensions and renewals are new versions of the same request, history kept; an
approved one changes the same grant (same id) and the ledger records the new scope and expiry."""

from datetime import timedelta

from access_helpers import walk_to_grant

from yizhi.access.models import Grant
from yizhi.ledger.models import LedgerEntry


def _review_and_approve(walked, request_id):
    assert walked.company.post(f"/api/v1/access/requests/{request_id}/submit").status_code == 200
    walked.admin.post(f"/api/v1/access/requests/{request_id}/prescreen", json={"decision": "accept", "comment": ""})
    walked.owner.post(f"/api/v1/access/requests/{request_id}/steps/1/recommend", json={"approve": True, "comment": ""})
    return walked.owner.post(f"/api/v1/access/requests/{request_id}/decide",
                             json={"decision": "approved", "reason": "ok", "conditions": ""})


def test_an_amendment_changes_the_same_grant_and_keeps_the_history(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    amended = walked.company.post(f"/api/v1/access/requests/{walked.request_id}/amend",
                                  json={"change": "amendment", "reason": "we need the ward too"})
    assert amended.status_code == 201, amended.text
    draft = amended.json()
    assert draft["version"] == 2 and draft["family_id"] == walked.request_id and draft["state"] == "draft"
    # a second open version is refused while this one is open
    again = walked.company.post(f"/api/v1/access/requests/{walked.request_id}/amend",
                                json={"change": "amendment", "reason": "more"})
    assert again.status_code == 409
    body = walked.company.get(f"/api/v1/access/requests/{draft['id']}").json()
    changed = {"datasets": [d["ref"] for d in body["datasets"]], "kind": "data", "title": body["title"],
               "purpose": body["purpose"], "lay_summary": body["lay_summary"], "mode": "space",
               "columns": {"labs": ["patient", "hba1c"], "visits": ["patient", "ward"]},
               "reasons": {"labs": "HbA1c", "visits": "ward of each visit"}, "duration_days": 90, "team": [],
               "legal_basis": "x", "ethics_reference": "IRB-2026-041", "outputs": "a paper"}
    assert walked.company.put(f"/api/v1/access/requests/{draft['id']}", json=changed).status_code == 200
    decided = _review_and_approve(walked, draft["id"])
    assert decided.json()["grant_id"] == walked.grant_id          # the same grant, changed
    grant = walked.company.get(f"/api/v1/access/grants/{walked.grant_id}").json()
    assert grant["columns"][dataset] == {"labs": ["patient", "hba1c"], "visits": ["patient", "ward"]}
    versions = walked.company.get(f"/api/v1/access/requests/{walked.request_id}").json()["versions"]
    assert [(v["version"], v["change"], v["state"]) for v in versions] == [
        (1, "initial", "granted"), (2, "amendment", "granted")]
    first = walked.company.get(f"/api/v1/access/requests/{walked.request_id}").json()
    assert first["datasets"][0]["columns"] == {"labs": ["patient", "hba1c", "age"]}   # v1 as it was asked
    assert db.query(LedgerEntry).filter_by(kind="access.grant_amended").count() == 1


def test_an_extension_adds_days_and_a_renewal_needs_an_expired_grant(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    before = db.get(Grant, walked.grant_id).expires_at
    renewal = walked.company.post(f"/api/v1/access/requests/{walked.request_id}/amend",
                                  json={"change": "renewal", "reason": "more time", "duration_days": 30})
    assert renewal.status_code == 409 and "extended" in renewal.json()["error"]["message"]
    no_days = walked.company.post(f"/api/v1/access/requests/{walked.request_id}/amend",
                                  json={"change": "extension", "reason": "more time"})
    assert no_days.status_code == 422
    extension = walked.company.post(f"/api/v1/access/requests/{walked.request_id}/amend",
                                    json={"change": "extension", "reason": "analysis took longer", "duration_days": 30})
    draft_id = extension.json()["id"]
    # an extension keeps the scope: changing the columns is refused
    body = walked.company.get(f"/api/v1/access/requests/{draft_id}").json()
    widened = {"datasets": [dataset], "title": body["title"], "purpose": body["purpose"],
               "columns": {"labs": ["patient", "hba1c", "age", "site"]}, "duration_days": 30}
    assert walked.company.put(f"/api/v1/access/requests/{draft_id}", json=widened).status_code == 422
    assert _review_and_approve(walked, draft_id).status_code == 200
    db.expire_all()
    after = db.get(Grant, walked.grant_id).expires_at
    assert timedelta(days=29, hours=23) < after - before < timedelta(days=30, hours=1)
