"""The JSON API: hostile or malformed input answers a clear 4xx naming the field (in Chinese when
asked), never a 5xx; public browsing works without a token; the company's flow end to end."""

from __future__ import annotations

from datetime import date, timedelta

from market_helpers import NMPA_III, make_product, product_data, signed_submission


def test_product_input_is_checked_with_clear_errors(api, cast):
    client = api(cast.company)
    cases = [
        ({"category": "astrology"}, "unknown category astrology"),
        ({"deployments": ["moon_base"]}, "unknown deployment moon_base"),
        ({"price_model": "barter"}, "unknown price model barter"),
        ({"slug": "Bad Slug!"}, "product slug"),
        ({"nmpa_certificate": "国械注准20213210417", "nmpa_valid_until": "2020-01-01"}, "end after it starts"),
        ({"nmpa_class": "V"}, "must be I, II or III"),
        ({"nmpa_class": None}, "give the NMPA class"),
        ({"org": "hospital"}, "not a company"),
    ]
    for change, fragment in cases:
        response = client.post("/api/v1/market/products", json=product_data(**change) if "slug" not in change
                               else {**product_data(), **change})
        assert response.status_code in (403, 422), (change, response.text)
        if response.status_code == 422:
            assert fragment in response.json()["error"]["message"], (change, response.text)
    assert client.post("/api/v1/market/products", json={**product_data(), "name": "x" * 201}).status_code == 422
    assert client.post("/api/v1/market/products", json={**product_data(), "evil": 1}).status_code == 422
    assert client.post("/api/v1/market/products", content=b"\xff\xfe not json",
                       headers={"content-type": "application/json"}).status_code in (400, 422)
    zh = client.post("/api/v1/market/products?lang=zh", json=product_data(category="astrology"))
    assert zh.json()["error"]["message"].startswith("未知类别 astrology")


def test_company_flow_through_the_api(api, db, cast, pima_report):
    from yizhi.market.certification import publish_criteria
    from market_helpers import CRITERIA

    company, admin = api(cast.company), api(cast.admin)
    assert company.post("/api/v1/market/products", json=product_data()).status_code == 201
    assert company.post("/api/v1/market/products/pima-risk/versions", json={"label": "1.0.0"}).status_code == 201
    submission = signed_submission(db, "company", pima_report)
    attached = company.post("/api/v1/market/products/pima-risk/versions/1.0.0/reports",
                            json={"submission_id": submission})
    assert attached.status_code == 201 and attached.json()["reports"][0]["check"]["verified"]
    publish_criteria(db, None, "chronic_disease", CRITERIA)
    db.commit()
    assert company.post("/api/v1/market/products/pima-risk/versions/1.0.0/certification", json={}).status_code == 201
    queue = admin.get("/api/v1/market/certifications").json()
    assert [row["ref"] for row in queue] == ["pima-risk@1.0.0"]
    assessment = admin.get("/api/v1/market/products/pima-risk/versions/1.0.0/assessment").json()
    assert assessment["passed"] and assessment["problems"] == []
    assert company.post("/api/v1/market/products/pima-risk/versions/1.0.0/decision",
                        json={"decision": "certify"}).status_code == 403
    decided = admin.post("/api/v1/market/products/pima-risk/versions/1.0.0/decision",
                         json={"decision": "certify", "months": 3})
    assert decided.status_code == 200 and decided.json()["state"] == "certified"
    anonymous = api()
    listed = anonymous.get("/api/v1/market/products").json()["listed"]
    assert [row["ref"] for row in listed] == ["pima-risk@1.0.0"]
    detail = anonymous.get("/api/v1/market/products/pima-risk/versions/1.0.0").json()
    assert detail["live"] and detail["reports"][0]["check"]["verified"]
    assert detail["reports"][0]["figures"]["metrics"]["auroc"]["value"] == pima_report["metrics"]["auroc"]["value"]
    assert anonymous.get("/api/v1/market/products/pima-risk").json()["contact"] is None
    assert anonymous.get("/api/v1/market/mine").status_code == 401


def test_pilot_requests_validate_dates_and_needs(api, db, cast, pima_report):
    make_product(db, pima_report)
    hospital = api(cast.owner)
    url = "/api/v1/market/products/pima-risk/versions/1.0.0/pilots"
    start = date.today().isoformat()
    backwards = hospital.post(url, json={"site": "x", "start_date": start, "outcome_measures": "y",
                                         "end_date": (date.today() - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422 and "end after it starts" in backwards.json()["error"]["message"]
    missing = hospital.post(url, json={"site": "x", "start_date": start, "outcome_measures": "y", "need_id": 424242})
    assert missing.status_code == 404
    assert hospital.post(url, json={"site": "x", "start_date": "someday", "outcome_measures": "y"}).status_code == 422
    made = hospital.post(url, json={"site": "x", "start_date": start, "outcome_measures": "y"})
    assert made.status_code == 201
    again = hospital.post(url, json={"site": "x", "start_date": start, "outcome_measures": "y"})
    assert again.status_code == 409
    assert api(cast.company).post(url, json={"site": "x", "start_date": start, "outcome_measures": "y"}
                                  ).status_code == 403


def test_incident_reports_are_refused_in_the_future_and_for_companies(api, db, cast, pima_report):
    make_product(db, pima_report)
    url = "/api/v1/market/products/pima-risk/versions/1.0.0/incidents"
    body = {"kind": "drift", "description": "AUROC fell", "occurred_on": (date.today() + timedelta(days=3)).isoformat()}
    assert api(cast.owner).post(url, json=body).status_code == 422
    assert api(cast.company).post(url, json={**body, "occurred_on": date.today().isoformat()}).status_code == 403
    assert api(cast.owner).post(url, json={**body, "kind": "rumour"}).status_code == 422


def test_nmpa_number_is_normalised(api, cast):
    response = api(cast.company).post("/api/v1/market/products", json=product_data(
        nmpa_certificate=" ".join(NMPA_III)))
    assert response.status_code == 201 and response.json()["nmpa"]["certificate"] == NMPA_III
