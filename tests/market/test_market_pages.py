"""The supermarket's pages through the web client: public shelves and details by role, the
company's forms (a bad NMPA number comes back with the form filled in and the reason), the
commission's review, a pilot from request to rating, vouchers; Chinese by default, English on
request. An outsider never sees another company's draft product."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from market_helpers import NMPA_III, make_product, person, signed_submission
from test_market_vouchers import granted


def test_shelves_are_public_and_list_only_certified_versions(web, db, cast, pima_report):
    make_product(db, pima_report)
    make_product(db, pima_report, slug="hidden-draft", certify=False, name="未认证草稿产品")
    anonymous = web()
    page = anonymous.get("/market")
    assert page.status_code == 200
    assert "糖尿病风险评估软件" in page.text and "未认证草稿产品" not in page.text
    assert "产品超市" in page.text                       # Chinese by default
    assert "Product supermarket" in anonymous.get("/market?lang=en").text
    version = anonymous.get("/market/products/pima-risk/versions/1.0.0")
    assert version.status_code == 200 and "verified" in anonymous.get(
        "/market/products/pima-risk/versions/1.0.0?lang=en").text
    assert "sales@company.test" not in anonymous.get("/market/products/pima-risk").text, "contacts need a login"
    assert anonymous.get("/market/products/hidden-draft").status_code == 404
    assert anonymous.get("/market/criteria").status_code == 200


def test_outsider_cannot_see_another_companys_draft_product(web, api, db, cast, pima_report):
    make_product(db, pima_report, slug="secret-draft", certify=False)
    outsider_page, outsider_api = web(cast.outsider), api(cast.outsider)
    assert outsider_page.get("/market/products/secret-draft").status_code == 404
    assert outsider_page.get("/market/products/secret-draft/versions/1.0.0").status_code == 404
    assert outsider_page.get("/market/products/secret-draft/edit").status_code == 404
    assert outsider_api.get("/api/v1/market/products/secret-draft").status_code == 404
    assert outsider_api.get("/api/v1/market/compare", params={"versions": "secret-draft@1.0.0"}).status_code == 404
    assert outsider_api.get("/api/v1/market/mine").json() == []
    assert outsider_api.put("/api/v1/market/products/secret-draft", json={"name": "x", "category": "imaging"}
                            ).status_code == 404
    # the company sees its draft; the commission only once certification is asked for
    assert api(cast.company).get("/api/v1/market/products/secret-draft").status_code == 200
    assert api(cast.admin).get("/api/v1/market/products/secret-draft").status_code == 404


def test_company_lists_a_product_and_a_bad_nmpa_number_comes_back_with_the_form(web, db, cast, pima_report):
    client = web(cast.company)
    form = {"slug": "ct-nodule", "name": "肺结节CT辅助检测", "category": "imaging", "nmpa_class": "III",
            "nmpa_certificate": "京械注准20212210456", "nmpa_valid_from": (date.today() - timedelta(days=10)).isoformat(),
            "nmpa_valid_until": (date.today() + timedelta(days=1000)).isoformat(), "price_model": "per_use",
            "intended_use": "Detect lung nodules on chest CT", "deployments": "pacs_integration"}
    refused = client.post_form("/market/products/new", form)
    assert refused.status_code == 422
    assert "肺结节CT辅助检测" in refused.text, "nothing typed is lost"
    assert "京械注准20212210456 的管理类别为 2，但产品申报为 III 类" in refused.text   # the reason, in Chinese
    form["nmpa_certificate"] = NMPA_III
    saved = client.post_form("/market/products/new", form)
    assert saved.status_code == 303 and saved.headers["location"] == "/market/products/ct-nodule"
    added = client.post_form("/market/products/ct-nodule/versions", {"label": "2.0.0", "release_notes": "first"})
    assert added.headers["location"] == "/market/products/ct-nodule/versions/2.0.0"
    submission = signed_submission(db, "company", pima_report)
    attached = client.post_form("/market/products/ct-nodule/versions/2.0.0/reports", {"submission_id": str(submission)})
    assert attached.status_code == 303
    asked = client.post_form("/market/products/ct-nodule/versions/2.0.0/certification", {"note": "please"})
    assert asked.status_code == 303
    queue = web(cast.admin).get("/market/certifications")
    assert "肺结节CT辅助检测" in queue.text


def test_commission_reviews_and_certifies_on_the_version_page(web, db, cast, pima_report):
    make_product(db, pima_report, certify=False)
    admin = web(cast.admin)
    company = web(cast.company)
    company.post_form("/market/products/pima-risk/versions/1.0.0/certification", {"note": ""})
    review = admin.get("/market/products/pima-risk/versions/1.0.0?lang=en")
    assert "Review for certification" in review.text and "metrics.auroc.ci_lower" in review.text
    decided = admin.post_form("/market/products/pima-risk/versions/1.0.0/decision",
                              {"decision": "certify", "months": "6", "note": "ok"})
    assert decided.status_code == 303
    assert "pima-risk" in web().get("/market").text
    withdrawn = admin.post_form("/market/products/pima-risk/versions/1.0.0/withdraw", {"reason": "召回：软件缺陷"})
    assert withdrawn.status_code == 303
    shelves = web().get("/market").text
    assert "召回：软件缺陷" in shelves and "/market/products/pima-risk/versions/1.0.0" in shelves


def test_pilot_from_request_to_rating_through_pages(web, db, cast, pima_report):
    make_product(db, pima_report)
    hospital, company = web(cast.owner), web(cast.company)
    asked = hospital.post_form("/market/products/pima-risk/versions/1.0.0/pilots", {
        "site": "内分泌科", "start_date": date.today().isoformat(), "outcome_measures": "Sensitivity vs OGTT",
        "need_id": ""})
    assert asked.status_code == 303
    pilot_url = asked.headers["location"]
    rate = {"accuracy": "4", "workflow_fit": "4", "support": "5", "comment": "good"}
    early = hospital.post_form(pilot_url + "/rating", rate)
    assert early.status_code == 303
    assert "评价须在试点结束后进行" in hospital.get(pilot_url).text       # the refusal, flashed in Chinese
    assert company.post_form(pilot_url + "/decision", {"accept": "yes"}).status_code == 303
    assert hospital.post_form(pilot_url + "/close", {"closing_report": "Sensitivity 0.63 on 412 patients"}
                              ).status_code == 303
    assert hospital.post_form(pilot_url + "/rating", rate).status_code == 303
    product = web().get("/market/products/pima-risk?lang=en").text
    assert "Sensitivity 0.63 on 412 patients" in product and "1 rating(s)" in product
    assert web(cast.outsider).get(pilot_url).status_code == 404


def test_comparison_shows_figures_with_their_intervals(web, db, cast, pima_report):
    make_product(db, pima_report)
    make_product(db, pima_report, slug="pima-risk-b", name="另一款风险评估")
    page = web().get("/market/compare?v=pima-risk@1.0.0&v=pima-risk-b@1.0.0")
    assert page.status_code == 200
    auroc = pima_report["metrics"]["auroc"]
    assert f"{auroc['value']:.3f}" in page.text and f"{auroc['ci'][0]:.3f}" in page.text
    assert web().get("/market/compare?v=nonsense").status_code == 422
    assert web().get("/market/compare?v=a@1&v=b@1&v=c@1&v=d@1&v=e@1").status_code == 422


def test_vouchers_pages(web, db, cast):
    admin, company = web(cast.admin), web(cast.company)
    created = admin.post_form("/vouchers/programmes/new", {
        "slug": "data-pilot", "title": "数据券试点", "kind": "data", "budget": "50000",
        "valid_from": date.today().isoformat(), "valid_until": (date.today() + timedelta(days=90)).isoformat(),
        "eligible_kinds": "company"})
    assert created.status_code == 303
    refused = admin.post_form("/vouchers/programmes/data-pilot/issue", {"org": "company", "amount": "12.345"})
    assert refused.status_code == 303 and "/vouchers/programmes/data-pilot" == refused.headers["location"]
    issued = admin.post_form("/vouchers/programmes/data-pilot/issue", {"org": "company", "amount": "1000"})
    code = issued.headers["location"].rsplit("/", 1)[1]
    grant = granted(db)
    paid = company.post_form(f"/vouchers/v/{code}/spend", {"grant_id": str(grant.id), "amount": "250"})
    assert paid.status_code == 303
    page = company.get(f"/vouchers/v/{code}")
    assert "¥750.00" in page.text
    csv = company.get("/vouchers/statements/company?format=csv")
    assert csv.status_code == 200 and "spend" in csv.text and "-250.00" in csv.text
    assert web(cast.outsider).get(f"/vouchers/v/{code}").status_code == 404
    assert web(cast.outsider).get("/vouchers/statements/company").status_code == 404
    assert company.post_form("/vouchers/programmes/new", {"slug": "mine"}).status_code == 403
