"""Review: the commission's prescreen (return with a comment), the holder's ordered steps with
their reviewers and deadlines, overdue steps flagged on the dashboard and in notifications, the
decision's rules, automatic acceptance of verified organisations of a kind, messages and notes."""

from datetime import timedelta

from access_helpers import apply

from yizhi.access.request_models import ReviewStep
from yizhi.db import utcnow


def _steps(api, cast, colleague_email):
    owner = api(cast.owner)
    saved = owner.put("/api/v1/access/datasets/dm-emr/settings", json={
        "handling": "manual", "default_epsilon": 2.0,
        "review_steps": [{"name": "Data steward", "reviewers": [colleague_email], "days": 5},
                         {"name": "Ethics", "reviewers": [], "days": 10}]})
    assert saved.status_code == 200, saved.text
    return owner


def _submitted(api, cast, dataset, **more):
    company = api(cast.company)
    request_id = apply(company, dataset, **more)
    assert company.post(f"/api/v1/access/requests/{request_id}/submit").status_code == 200
    return request_id


def test_prescreen_returns_with_a_comment_and_the_applicant_resubmits(api, cast, dataset):
    request_id = _submitted(api, cast, dataset)
    admin, company = api(cast.admin), api(cast.company)
    assert admin.post(f"/api/v1/access/requests/{request_id}/prescreen",
                      json={"decision": "return", "comment": ""}).status_code == 422   # say what is missing
    returned = admin.post(f"/api/v1/access/requests/{request_id}/prescreen",
                          json={"decision": "return", "comment": "funding source missing"})
    assert returned.json()["state"] == "draft"
    notices = company.get("/api/v1/access/notifications").json()["items"]
    assert notices[0]["kind"] == "request_returned" and notices[0]["params"]["comment"] == "funding source missing"
    owner = api(cast.owner)
    assert owner.post(f"/api/v1/access/requests/{request_id}/prescreen",
                      json={"decision": "accept"}).status_code == 403   # only the commission prescreens
    assert owner.get(f"/api/v1/access/requests/{request_id}").json()["state"] == "draft"   # still seen once submitted
    assert company.post(f"/api/v1/access/requests/{request_id}/submit").json()["state"] == "submitted"


def test_ordered_steps_with_named_reviewers_then_the_owner_decides(api, cast, db, dataset):
    owner = _steps(api, cast, cast.colleague.email)
    request_id = _submitted(api, cast, dataset)
    api(cast.admin).post(f"/api/v1/access/requests/{request_id}/prescreen", json={"decision": "accept"})
    shown = owner.get(f"/api/v1/access/requests/{request_id}").json()
    assert [(s["name"], s["state"], s["reviewers"]) for s in shown["steps"]] == [
        ("Data steward", "active", [cast.colleague.id]), ("Ethics", "waiting", [])]
    due = shown["steps"][0]["due_at"]
    assert due and not shown["steps"][0]["overdue"]
    # the owner is not the reviewer of step 1; the colleague is, and cannot skip to step 2
    assert owner.post(f"/api/v1/access/requests/{request_id}/steps/1/recommend", json={"approve": True}).status_code == 403
    colleague = api(cast.colleague)
    assert colleague.post(f"/api/v1/access/requests/{request_id}/steps/2/recommend", json={"approve": True}).status_code == 403
    assert colleague.post(f"/api/v1/access/requests/{request_id}/steps/1/recommend",
                          json={"approve": False}).status_code == 422     # against needs a reason
    assert owner.post(f"/api/v1/access/requests/{request_id}/decide", json={"decision": "approved"}).status_code == 403
    colleague.post(f"/api/v1/access/requests/{request_id}/steps/1/recommend", json={"approve": True, "comment": "ok"})
    owner.post(f"/api/v1/access/requests/{request_id}/steps/2/recommend", json={"approve": False, "comment": "hmm"})
    assert owner.post(f"/api/v1/access/requests/{request_id}/decide",
                      json={"decision": "rejected", "reason": ""}).status_code == 422
    assert owner.post(f"/api/v1/access/requests/{request_id}/decide",
                      json={"decision": "approved_with_conditions"}).status_code == 422
    assert colleague.post(f"/api/v1/access/requests/{request_id}/decide",
                          json={"decision": "approved"}).status_code == 403      # members recommend; owners decide
    decided = owner.post(f"/api/v1/access/requests/{request_id}/decide", json={
        "decision": "approved_with_conditions", "reason": "", "conditions": "publish aggregates only"})
    grant = api(cast.company).get(f"/api/v1/access/grants/{decided.json()['grant_id']}").json()
    assert grant["conditions"] == "publish aggregates only" and grant["epsilon_budget"] == 2.0


def test_overdue_steps_are_flagged_once_on_the_dashboard_and_in_notifications(api, web, cast, db, dataset):
    _steps(api, cast, cast.colleague.email)
    request_id = _submitted(api, cast, dataset)
    api(cast.admin).post(f"/api/v1/access/requests/{request_id}/prescreen", json={"decision": "accept"})
    step = db.query(ReviewStep).filter_by(position=1).one()
    step.due_at = utcnow() - timedelta(days=2)
    db.commit()
    assert api(cast.colleague).get(f"/api/v1/access/requests/{request_id}").json()["steps"][0]["overdue"] is True
    from yizhi.jobs.service import JobContext, load_handlers

    result = load_handlers()["access.check"](JobContext(1, {}, None, None))
    assert result["overdue_flagged"] == 1
    assert load_handlers()["access.check"](JobContext(2, {}, None, None))["overdue_flagged"] == 0   # once
    kinds = [n["kind"] for n in api(cast.colleague).get("/api/v1/access/notifications").json()["items"]]
    assert kinds.count("step_overdue") == 1
    owner_kinds = [n["kind"] for n in api(cast.owner).get("/api/v1/access/notifications").json()["items"]]
    assert "step_overdue" in owner_kinds
    dashboard = web(cast.colleague).get("/?lang=en")
    assert "1 overdue" in dashboard.text
    queue = web(cast.colleague).get("/access/review?lang=en")
    assert "overdue" in queue.text and f"/access/requests/{request_id}" in queue.text


def test_verified_evaluators_are_accepted_automatically(api, cast, db, dataset):
    from yizhi.accounts import service

    evaluator_org = service.create_organization(db, slug="eval-center", name="测评中心", kind="evaluator")
    tester = service.create_person(db, email="tester@eval.test", display_name="测评员", password=cast.company.password)
    service.add_member(db, evaluator_org, tester, "member")
    db.commit()
    owner = api(cast.owner)
    owner.put("/api/v1/access/datasets/dm-emr/settings",
              json={"handling": "automatic", "auto_kinds": ["evaluator"], "review_steps": []})
    tester_client = api(type(cast.company)(tester.id, tester.email, "eval-center", "member", cast.company.password))
    request_id = apply(tester_client, dataset, purpose="product_evaluation")
    answer = tester_client.post(f"/api/v1/access/requests/{request_id}/submit").json()
    assert answer["state"] == "granted" and answer["grant_id"]
    shown = tester_client.get(f"/api/v1/access/requests/{request_id}").json()
    assert shown["auto_approved"] is True and [h["action"] for h in shown["history"]] == [
        "create", "submit", "auto_approve", "grant"]
    # the company is not of that kind: it goes through prescreening as before
    company_request = _submitted(api, cast, dataset)
    assert api(cast.company).get(f"/api/v1/access/requests/{company_request}").json()["state"] == "submitted"
    assert owner.put("/api/v1/access/datasets/dm-emr/settings", json={"handling": "automatic"}).status_code == 422


def test_messages_reach_the_other_side_and_private_notes_stay_on_their_side(api, cast, dataset):
    request_id = _submitted(api, cast, dataset)
    company, owner = api(cast.company), api(cast.owner)
    company.post(f"/api/v1/access/requests/{request_id}/messages", json={"body": "question for you"})
    company.post(f"/api/v1/access/requests/{request_id}/messages", json={"body": "our secret plan", "private": True})
    owner.post(f"/api/v1/access/requests/{request_id}/messages", json={"body": "steward note", "private": True})
    owner.post(f"/api/v1/access/requests/{request_id}/messages", json={"body": "answer"})
    seen_by_owner = [m["body"] for m in owner.get(f"/api/v1/access/requests/{request_id}").json()["messages"]]
    seen_by_company = [m["body"] for m in company.get(f"/api/v1/access/requests/{request_id}").json()["messages"]]
    assert seen_by_owner == ["question for you", "steward note", "answer"]
    assert seen_by_company == ["question for you", "our secret plan", "answer"]
    admin_view = [m["body"] for m in api(cast.admin).get(f"/api/v1/access/requests/{request_id}").json()["messages"]]
    assert "our secret plan" not in admin_view and "steward note" in admin_view
    assert "request_message" in [n["kind"] for n in owner.get("/api/v1/access/notifications").json()["items"]]


def test_withdrawal(api, cast, dataset):
    request_id = _submitted(api, cast, dataset)
    assert api(cast.owner).post(f"/api/v1/access/requests/{request_id}/withdraw").status_code == 403
    assert api(cast.company).post(f"/api/v1/access/requests/{request_id}/withdraw").json()["state"] == "withdrawn"
    again = api(cast.company).post(f"/api/v1/access/requests/{request_id}/submit")
    assert again.status_code == 403
