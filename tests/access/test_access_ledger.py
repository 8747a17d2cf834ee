"""Every state change of a request and a grant is on the ledger as an ``access.*`` entry with ids
and hashes only — never titles, summaries or e-mails — and the web answers with receipt links."""

import json

from access_helpers import walk_to_grant

from yizhi.access.request_models import RequestEvent
from yizhi.ledger.models import LedgerEntry


def test_every_state_change_is_on_the_ledger(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset, title="Secret project name", team=[cast.company.email])
    walked.owner.post(f"/api/v1/access/grants/{walked.grant_id}/suspend", json={"reason": "audit"})
    walked.owner.post(f"/api/v1/access/grants/{walked.grant_id}/reinstate", json={"reason": "fine"})
    response = walked.company.post(f"/api/v1/access/grants/{walked.grant_id}/close",
                                   json={"outputs": [], "met_need": "no", "comments": "too few rows"})
    assert response.headers.get("X-Ledger-Entries") and "ledger-receipt" in response.headers["Link"]
    entries = db.query(LedgerEntry).filter(LedgerEntry.kind.like("access.%")).order_by(LedgerEntry.index).all()
    kinds = [e.kind for e in entries]
    assert kinds == [
        "access.request_created", "access.request_submit", "access.request_accept", "access.request_recommended",
        "access.request_approve", "access.grant_created", "access.request_grant", "access.grant_suspended",
        "access.grant_reinstated", "access.grant_closed", "access.request_close"]
    # one ledger entry per history row of the request (plus the step's recommendation)
    history = db.query(RequestEvent).filter_by(request_id=walked.request_id).count()
    assert sum(k.startswith("access.request_") and k != "access.request_recommended" for k in kinds) == history
    leaves = " ".join(e.leaf for e in entries)
    assert "Secret project name" not in leaves and cast.company.email not in leaves and "audit" not in leaves
    created = json.loads(entries[0].leaf)["data"]
    assert len(created["content_sha256"]) == 64 and created["holder"] == "hospital"
