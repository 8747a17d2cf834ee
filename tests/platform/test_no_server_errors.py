"""Inputs that used to answer 500 (issue 17, item 10): oversized integers in bodies, paths and
queries, a lone surrogate in JSON, an over-long interest message on the page, an annotator closing
a pilot. Each is now a 4xx in the reader's language."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def need_id(cast):
    from yizhi.accounts import service as accounts
    from yizhi.db import session_scope
    from yizhi.needs import service as needs
    from yizhi.needs.schemas import NeedIn

    with session_scope() as s:
        owner = accounts.get_person_by_email(s, cast.owner.email)
        need = needs.create_need(s, owner, accounts.get_org_by_slug(s, "hospital"), NeedIn(title="病历质控"))
        return need.id


def test_budget_of_1e30_is_refused_with_the_field_named(api, cast):
    response = api(cast.owner).post("/api/v1/needs", json={"title": "x", "budget_min": 1e30})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "budget_min"
    zh = api(cast.owner).post("/api/v1/needs?lang=zh", json={"title": "x", "budget_min": 1e30})
    assert "最低预算" in zh.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/api/v1/needs/99999999999999999999999", "/api/v1/jobs/99999999999999999999999",
                                  "/api/v1/needs/solutions/99999999999999999999999",
                                  "/needs/99999999999999999999999"])
def test_ids_past_64_bits_are_not_found(api, web, cast, path):
    client = web(cast.owner) if not path.startswith("/api/") else api(cast.owner)
    assert client.get(path).status_code == 404


def test_offset_past_64_bits_is_refused(api, cast):
    response = api(cast.owner).get("/api/v1/needs?offset=10000000000000000000")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "offset"
    assert api(cast.owner).get("/api/v1/needs?offset=1e19").status_code == 422


def test_integer_past_64_bits_in_a_json_body_is_refused(api, cast, need_id):
    response = api(cast.company).post(f"/api/v1/needs/{need_id}/interest",
                                      json={"message": "hi", "solution_id": 99999999999999999999999})
    assert response.status_code in (404, 422)


def test_lone_surrogate_in_json_is_refused(api, cast):
    body = b'{"title": "\\ud800 chest x-ray"}'
    response = api(cast.owner).post("/api/v1/needs", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "title"
    pair = b'{"title": "\\ud83d\\ude00 ok"}'  # a proper surrogate pair is an emoji, and fine
    assert api(cast.owner).post("/api/v1/needs", content=pair,
                                headers={"Content-Type": "application/json"}).status_code == 201


def _published(need_id):
    from yizhi.db import session_scope
    from yizhi.needs.lifecycle import publish_need
    from yizhi.needs.models import Need, NeedStatus

    with session_scope() as s:
        need = s.get(Need, need_id)
        need.status = NeedStatus.under_review
        publish_need(s, None, need)
        assert need.status == NeedStatus.published


def test_over_long_interest_message_on_the_page_is_a_translated_error(web, cast, need_id):
    _published(need_id)
    client = web(cast.company)
    response = client.post_form(f"/needs/{need_id}/interest", {"message": "很" * 5001})
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert "留言" in page and "5000" in page


def test_annotator_closing_a_pilot_is_refused_not_crashed(api, cast, need_id, db):
    from yizhi.accounts import service as accounts
    from yizhi.needs import service as needs
    from yizhi.needs.models import Need
    from yizhi.needs.schemas import InterestIn, PilotIn

    _published(need_id)
    company = accounts.get_person_by_email(db, cast.company.email)
    owner = accounts.get_person_by_email(db, cast.owner.email)
    need = db.get(Need, need_id)
    engagement = needs.express_interest(db, company, need, InterestIn(message="我们有方案"))
    needs.decide_engagement(db, owner, engagement, True)
    pilot = needs.start_pilot(db, owner, engagement, PilotIn(site="门诊", product="质控", start_date=date.today()))
    annotator = accounts.create_person(db, email="label@hospital.test", display_name="标注员",
                                       password=cast.owner.password)
    accounts.add_member(db, accounts.get_org_by_slug(db, "hospital"), annotator, "annotator")
    db.commit()
    token = accounts.create_api_token(db, annotator, "t")[1]
    db.commit()
    response = api().post(f"/api/v1/needs/pilots/{pilot.id}/close", json={"closing_report": "done"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    outsider = api(cast.outsider).post(f"/api/v1/needs/pilots/{pilot.id}/close", json={"closing_report": "x"})
    assert outsider.status_code == 404
