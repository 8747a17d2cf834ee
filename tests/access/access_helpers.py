"""Helpers of the access tests: a request body, and walking a request through the API."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pyarrow as pa

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def org(db, slug):
    from yizhi.accounts.models import Organization

    return db.query(Organization).filter_by(slug=slug).one()


def person(db, member):
    from yizhi.accounts.models import Person

    return db.get(Person, member.id)


def labs_table(n: int = 40) -> pa.Table:
    return pa.table({
        "patient": [f"P{i % 25:04d}" for i in range(n)],
        "hba1c": [5.0 + (i % 30) / 10 for i in range(n)],
        "site": ["A" if i % 2 else "B" for i in range(n)],
        "age": [30 + i % 50 for i in range(n)],
    })


def visits_table(n: int = 30) -> pa.Table:
    return pa.table({"patient": [f"P{i % 25:04d}" for i in range(n)], "ward": [f"W{i % 3}" for i in range(n)]})


def request_body(ref: str, **more) -> dict:
    body = {
        "datasets": [ref], "kind": "data", "title": "HbA1c trajectories", "purpose": "scientific_research",
        "lay_summary": "We study how blood sugar control changes over time.", "mode": "space",
        "columns": {"labs": ["patient", "hba1c", "age"]}, "duration_days": 90, "team": [],
        "reasons": {"labs": "HbA1c and age by patient over time"}, "legal_basis": "research exemption, art. 13",
        "ethics_reference": "IRB-2026-041", "outputs": "a paper",
    }
    body.update(more)
    return body


def apply(api_client, ref: str, **more) -> int:
    """Create a data request and attach its ethics approval; returns the request id."""
    created = api_client.post("/api/v1/access/requests", json=request_body(ref, **more))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    uploaded = api_client.post(f"/api/v1/access/requests/{request_id}/ethics",
                               files={"file": ("irb.pdf", io.BytesIO(PDF), "application/pdf")})
    assert uploaded.status_code == 200, uploaded.text
    return request_id


def walk_to_grant(api, cast, ref: str, **more) -> SimpleNamespace:
    """Apply as the company, prescreen as the commission, review and decide as the hospital owner."""
    company, admin, owner = api(cast.company), api(cast.admin), api(cast.owner)
    request_id = apply(company, ref, **more)
    assert company.post(f"/api/v1/access/requests/{request_id}/submit").json()["state"] == "submitted"
    assert admin.post(f"/api/v1/access/requests/{request_id}/prescreen",
                      json={"decision": "accept", "comment": "complete"}).json()["state"] == "in_review"
    recommended = owner.post(f"/api/v1/access/requests/{request_id}/steps/1/recommend",
                             json={"approve": True, "comment": "fine"})
    assert recommended.status_code == 200, recommended.text
    decided = owner.post(f"/api/v1/access/requests/{request_id}/decide",
                         json={"decision": "approved", "reason": "sound plan", "conditions": ""})
    assert decided.status_code == 200, decided.text
    return SimpleNamespace(request_id=request_id, grant_id=decided.json()["grant_id"], company=company,
                           admin=admin, owner=owner)
