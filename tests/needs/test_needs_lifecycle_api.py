"""A need's whole life over the JSON API, with the fixed cast: each step by the right role only."""

import pytest
from sqlalchemy import select

NEED = {
    "title": "急诊头颅CT脑出血优先阅片",
    "description": "急诊头颅平扫CT量大，希望AI自动发现颅内出血并计算出血量，阳性排到阅片队列最前。",
    "importance": "high", "urgency": "high", "department": "放射科", "modalities": ["ct"],
    "data_available": "近三年脱敏头颅CT约2万例", "expected_outcome": "阳性病例10分钟内出报告",
    "success_measures": "灵敏度≥95%", "budget_min": 50, "budget_max": 120, "deadline": "2027-06-30",
    "contact_name": "陈医生", "contact_info": "chen@hospital.test",
}
SOLUTION = {
    "title": "颅内出血CT急诊分诊", "description": "急诊头颅CT自动检测脑出血并计算出血量，阳性病例置顶。",
    "category": "imaging", "modalities": ["ct"], "maturity": "nmpa_registered", "nmpa_class": "III", "deployments": 40,
}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def error_code(response):
    return response.json()["error"]["code"]


@pytest.fixture
def published_need(api, cast):
    owner, admin = api(cast.owner), api(cast.admin)
    need = ok(owner.post("/api/v1/needs", json=NEED), 201)
    ok(owner.post(f"/api/v1/needs/{need['id']}/submit"))
    ok(admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}))
    return need


def test_draft_suggests_a_category_and_is_private(api, cast):
    need = ok(api(cast.colleague).post("/api/v1/needs", json=NEED), 201)
    assert need["status"] == "draft"
    assert need["category"] == "imaging" and need["category_suggested"] is True
    assert api(cast.outsider).get(f"/api/v1/needs/{need['id']}").status_code == 404
    assert api(cast.company).get(f"/api/v1/needs/{need['id']}").status_code == 404
    assert api(cast.admin).get(f"/api/v1/needs/{need['id']}").status_code == 404  # drafts stay with the hospital


def test_only_hospital_members_file_needs(api, cast):
    assert error_code(api(cast.company).post("/api/v1/needs", json=NEED)) == "invalid"  # no hospital to act for
    assert api(cast.outsider).post("/api/v1/needs?org=hospital", json=NEED).status_code == 403


def test_review_returns_with_comments_then_publishes(api, cast, db):
    owner, admin = api(cast.owner), api(cast.admin)
    need = ok(owner.post("/api/v1/needs", json=NEED), 201)
    assert owner.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}).status_code == 403
    assert admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}).status_code == 404
    ok(owner.post(f"/api/v1/needs/{need['id']}/submit"))
    assert owner.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}).status_code == 403
    assert ok(admin.get("/api/v1/needs/review-queue"))[0]["id"] == need["id"]
    assert admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "return"}).status_code == 422
    returned = ok(admin.post(f"/api/v1/needs/{need['id']}/review",
                             json={"decision": "return", "comment": "请补充评价指标"}))
    assert returned["status"] == "returned" and returned["review_comment"] == "请补充评价指标"
    ok(owner.put(f"/api/v1/needs/{need['id']}", json={**NEED, "success_measures": "灵敏度≥95%，特异度≥90%"}))
    ok(owner.post(f"/api/v1/needs/{need['id']}/submit"))
    ok(admin.post(f"/api/v1/needs/{need['id']}/start-review"))
    published = ok(admin.post(f"/api/v1/needs/{need['id']}/review", json={"decision": "approve"}))
    assert published["status"] == "published"
    # published: read-only for the hospital, visible to everyone logged in
    assert owner.put(f"/api/v1/needs/{need['id']}", json=NEED).status_code == 403
    assert ok(api(cast.outsider).get(f"/api/v1/needs/{need['id']}"))["status"] == "published"
    assert api().get(f"/api/v1/needs/{need['id']}").status_code == 401

    from yizhi.ledger.models import LedgerEntry  # the publication is on the ledger

    kinds = [e.kind for e in db.scalars(select(LedgerEntry))]
    assert "need.published" in kinds


def test_matching_ranks_a_new_solution_at_once(api, cast, published_need):
    company = api(cast.company)
    solution = ok(company.post("/api/v1/needs/solutions", json=SOLUTION), 201)
    ok(company.post("/api/v1/needs/solutions", json={**SOLUTION, "title": "中医舌诊智能分析", "category": "tcm",
                                                     "description": "舌象采集与体质辨识", "maturity": "product",
                                                     "nmpa_class": None}), 201)
    matches = ok(api(cast.owner).get(f"/api/v1/needs/{published_need['id']}/matches"))
    assert matches[0]["id"] == solution["id"]
    assert "脑出血" in matches[0]["shared_terms"] or "颅内出血" in matches[0]["shared_terms"]
    assert matches[0]["why"].startswith("共同关键词")
    filtered = ok(api(cast.owner).get(f"/api/v1/needs/{published_need['id']}/matches?category=tcm"))
    assert [m["title"] for m in filtered] == ["中医舌诊智能分析"]
    reverse = ok(company.get(f"/api/v1/needs/solutions/{solution['id']}/matches"))
    assert reverse[0]["id"] == published_need["id"]
    assert api(cast.owner).get(f"/api/v1/needs/{published_need['id']}/matches?min_maturity=great").status_code == 422


def test_engagement_pilot_and_notifications(api, cast, published_need, db):
    owner, company, outsider = api(cast.owner), api(cast.company), api(cast.outsider)
    need_id = published_need["id"]
    assert outsider.post(f"/api/v1/needs/{need_id}/interest", json={"message": "hi"}).status_code == 403
    engagement = ok(company.post(f"/api/v1/needs/{need_id}/interest",
                                 json={"message": "我们有三类证产品", "proposed_approach": "先在急诊部署试用"}), 201)
    assert company.post(f"/api/v1/needs/{need_id}/interest", json={"message": "again"}).status_code == 409
    notes = ok(owner.get("/api/v1/needs/notifications?unread=true"))
    assert any(n["kind"] == "interest_expressed" for n in notes["items"])
    eid = engagement["id"]
    assert outsider.get(f"/api/v1/needs/engagements/{eid}").status_code == 404
    assert company.post(f"/api/v1/needs/engagements/{eid}/decision", json={"accept": True}).status_code == 403
    ok(owner.post(f"/api/v1/needs/engagements/{eid}/decision", json={"accept": True, "note": "欢迎"}))
    assert ok(owner.get(f"/api/v1/needs/{need_id}"))["status"] == "in_engagement"
    ok(company.post(f"/api/v1/needs/engagements/{eid}/messages", json={"body": "何时可以对接PACS？"}), 201)
    ok(owner.post(f"/api/v1/needs/engagements/{eid}/messages", json={"body": "下周二"}), 201)
    thread = ok(company.get(f"/api/v1/needs/engagements/{eid}"))
    assert [m["body"] for m in thread["messages"]] == ["何时可以对接PACS？", "下周二"]
    pilot_in = {"site": "第一医院急诊科", "product": "颅内出血CT急诊分诊 v2", "scenario": "夜间急诊",
                "start_date": "2026-12-01", "end_date": "2027-03-01", "outcome_measures": "报告时间、灵敏度"}
    assert company.post(f"/api/v1/needs/engagements/{eid}/pilot", json=pilot_in).status_code == 403
    pilot = ok(owner.post(f"/api/v1/needs/engagements/{eid}/pilot", json=pilot_in), 201)
    assert ok(owner.get(f"/api/v1/needs/{need_id}"))["status"] == "piloting"
    closed = ok(owner.post(f"/api/v1/needs/pilots/{pilot['id']}/close",
                           json={"closing_report": "报告时间缩短40%", "feedback": "继续推广"}))
    assert closed["status"] == "closed"
    assert ok(owner.get(f"/api/v1/needs/{need_id}"))["status"] == "closed"
    company_notes = ok(company.get("/api/v1/needs/notifications"))
    assert {"engagement_accepted", "engagement_message", "pilot_started", "pilot_closed"} <= {
        n["kind"] for n in company_notes["items"]}
    assert ok(company.post("/api/v1/needs/notifications/read"))["marked"] >= 4
    assert ok(company.get("/api/v1/needs/notifications"))["unread"] == 0

    from yizhi.ledger.models import LedgerEntry

    kinds = {e.kind for e in db.scalars(select(LedgerEntry))}
    assert {"need.published", "engagement.interest_expressed", "engagement.accepted", "pilot.started",
            "pilot.closed"} <= kinds


def test_wrong_transitions_are_refused(api, cast, published_need):
    owner = api(cast.owner)
    assert owner.post(f"/api/v1/needs/{published_need['id']}/submit").status_code == 403
    assert error_code(api(cast.admin).post(f"/api/v1/needs/{published_need['id']}/start-review")) == "forbidden"
    ok(owner.post(f"/api/v1/needs/{published_need['id']}/close"))
    assert owner.post(f"/api/v1/needs/{published_need['id']}/close").status_code == 403


def test_company_withdraws_and_the_need_reopens(api, cast, published_need):
    owner, company = api(cast.owner), api(cast.company)
    need_id = published_need["id"]
    eid = ok(company.post(f"/api/v1/needs/{need_id}/interest", json={"message": "有意向"}), 201)["id"]
    ok(owner.post(f"/api/v1/needs/engagements/{eid}/decision", json={"accept": True}))
    assert ok(owner.get(f"/api/v1/needs/{need_id}"))["status"] == "in_engagement"
    assert owner.post(f"/api/v1/needs/engagements/{eid}/withdraw").status_code == 403  # only the company
    assert ok(company.post(f"/api/v1/needs/engagements/{eid}/withdraw"))["status"] == "withdrawn"
    assert ok(owner.get(f"/api/v1/needs/{need_id}"))["status"] == "published"
    assert any(n["kind"] == "engagement_withdrawn" for n in ok(owner.get("/api/v1/needs/notifications"))["items"])
    assert company.post(f"/api/v1/needs/engagements/{eid}/messages", json={"body": "x"}).status_code == 403
    # a fresh interest is possible again
    ok(company.post(f"/api/v1/needs/{need_id}/interest", json={"message": "再次联系"}), 201)


def test_transition_table_refuses_with_a_clear_message(cast, db):
    from sqlalchemy import select as sql_select

    from yizhi.accounts.models import Organization
    from yizhi.errors import Conflict
    from yizhi.needs import service
    from yizhi.needs.schemas import NeedIn

    hospital = db.scalar(sql_select(Organization).where(Organization.slug == "hospital"))
    need = service.create_need(db, None, hospital, NeedIn(title="草稿", description="x"))
    with pytest.raises(Conflict, match=r"a need that is draft does not allow 'approve' \(allowed: submit\)"):
        service.review_need(db, None, need, "approve")
