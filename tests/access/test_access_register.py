"""The public Data Use Register: its page, JSON and CSV (formula cells escaped), the public metrics,
and the check that register and ledger agree — which finds a grant changed or made behind the
ledger's back."""

import csv
import io
from datetime import timedelta

from access_helpers import apply, org, walk_to_grant

from yizhi.access import register
from yizhi.access.models import Grant, GrantDataset
from yizhi.catalog.models import DatasetVersion


def test_the_register_lists_approved_uses_publicly(api, web, cast, dataset):
    walked = walk_to_grant(api, cast, dataset, title="=HYPERLINK(\"http://evil\")", lay_summary="+cmd|' /C calc'!A0")
    anonymous = api()
    body = anonymous.get("/api/v1/access/register").json()
    assert body["count"] == 1
    entry = body["entries"][0]
    assert entry["grant_id"] == walked.grant_id and entry["organisation_slug"] == "company"
    assert entry["datasets"] == [dataset] and entry["purpose"] == "scientific_research"
    assert entry["approved_on"] and entry["expires_on"] and entry["state"] == "active"
    assert "team" not in entry and "columns" not in entry              # the register publishes the use, not the scope
    page = web().get("/access/register?lang=en")
    assert "HYPERLINK" in page.text and "&lt;" not in entry["project"]
    # CSV: formula-looking cells are neutralised, Chinese survives (UTF-8 with BOM)
    response = anonymous.get("/api/v1/access/register.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["project"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["lay_summary"] == "'+cmd|' /C calc'!A0"
    assert rows[0]["organisation"] == "医图科技"


def test_safe_cell_covers_every_dangerous_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert register.safe_cell(f"{start}1+1").startswith("'")
    assert register.safe_cell("2026-01-01") == "2026-01-01"
    assert register.safe_cell([{"kind": "paper", "title": "-x", "link": ""}]) == "paper: -x"


def test_metrics_per_dataset_and_holder(api, cast, db, dataset):
    walk_to_grant(api, cast, dataset)                                       # approved
    company, admin, owner = api(cast.company), api(cast.admin), api(cast.owner)
    rejected = apply(company, dataset, title="Rejected one")
    company.post(f"/api/v1/access/requests/{rejected}/submit")
    admin.post(f"/api/v1/access/requests/{rejected}/prescreen", json={"decision": "accept", "comment": ""})
    owner.post(f"/api/v1/access/requests/{rejected}/steps/1/recommend", json={"approve": False, "comment": "no"})
    owner.post(f"/api/v1/access/requests/{rejected}/decide", json={"decision": "rejected", "reason": "too broad"})
    apply(company, dataset, title="Still a draft")                          # drafts are not requests yet
    metrics = api().get("/api/v1/access/metrics").json()
    assert metrics["datasets"]["dm-emr"] == {"name": "Diabetes EMR", "requests": 2, "decided": 2, "approval_rate": 0.5,
                                             "median_days_to_decision": 0.0, "active_grants": 1}
    assert metrics["holders"]["hospital"]["requests"] == 2


def test_the_ledger_check_passes_then_finds_tampering(api, cast, db, dataset):
    walked = walk_to_grant(api, cast, dataset)
    walked.owner.post(f"/api/v1/access/grants/{walked.grant_id}/suspend", json={"reason": "audit"})
    walked.owner.post(f"/api/v1/access/grants/{walked.grant_id}/reinstate", json={"reason": "ok"})
    closed = walked.company.post(f"/api/v1/access/grants/{walked.grant_id}/close", json={
        "outputs": [{"kind": "paper", "title": "HbA1c paper", "link": "https://doi.org/10.1/x"}],
        "issues": [], "met_need": "yes", "comments": ""})
    assert closed.status_code == 200, closed.text
    assert register.check_register_against_ledger(db) == []
    # 1. an expiry moved in the database only
    grant = db.get(Grant, walked.grant_id)
    grant.expires_at = grant.expires_at + timedelta(days=365)
    db.flush()
    assert any("expiry" in p for p in register.check_register_against_ledger(db))
    db.rollback()
    # 2. a grant made without the ledger
    version = db.query(DatasetVersion).one()
    hidden = Grant(organization_id=org(db, "company").id, expires_at=grant.expires_at)
    hidden.datasets = [GrantDataset(version_id=version.id)]
    db.add(hidden)
    db.flush()
    assert any(f"grant {hidden.id} is on the register but its creation is not on the ledger" in p
               for p in register.check_register_against_ledger(db))
    db.rollback()
    # 3. the closure report rewritten afterwards
    from yizhi.access.feedback_models import ClosureReport

    report = db.query(ClosureReport).one()
    report.outputs = [{"kind": "paper", "title": "a better paper", "link": ""}]
    db.flush()
    assert any("closure report differs" in p for p in register.check_register_against_ledger(db))
    db.rollback()
    # 4. the columns widened in the database
    entry = db.query(GrantDataset).one()
    entry.columns = {"labs": ["patient", "hba1c", "age", "site"]}
    db.flush()
    assert any("columns, series, mode or team differ" in p for p in register.check_register_against_ledger(db))
