"""Every needs route refuses the anonymous visitor and the outsider (another hospital's owner)."""

import re
from datetime import date

import pytest

NEEDS_PREFIXES = ("/needs", "/solutions", "/api/v1/needs")
PUBLIC = {
    ("GET", "/api/v1/needs/releases"), ("GET", "/api/v1/needs/releases/{release_id}"),
    ("GET", "/api/v1/needs/releases/{release_id}/export.{fmt}"), ("GET", "/needs/lists"),
    ("GET", "/needs/lists/{release_id:int}"),
}


BODIES = {  # valid bodies, so each request gets past validation to the permission check
    "review": {"decision": "approve"}, "interest": {"message": "x"}, "decision": {"accept": True},
    "messages": {"body": "x"}, "pilot": {"site": "s", "product": "p", "start_date": "2026-12-01"},
    "close": {"closing_report": "x"}, "{need_id}": {"title": "xx"}, "{solution_id}": {"title": "xx"},
    "revise": {},
}


def needs_routes(app):
    from yizhi.web.app import iter_api_routes

    out = []
    for path, route in iter_api_routes(app.routes):
        if path.startswith(NEEDS_PREFIXES):
            out.extend((m, path, route) for m in sorted(route.methods - {"HEAD"}))
    return out


def fill(path, values):
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "999999"), path)


def test_public_routes_are_exactly_the_needs_lists(app):
    from yizhi.web.deps import is_public

    assert {(m, p) for m, p, r in needs_routes(app) if is_public(r.endpoint)} == PUBLIC


def test_anonymous_is_sent_to_log_in(app, web):
    client = web()
    for method, path, _route in needs_routes(app):
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, fill(path, {"fmt": "csv", "action": "submit"}))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), (method, path)


@pytest.fixture
def hospital_objects(cast, db):
    """A draft need, an engagement and pilot on a published need, a withdrawn solution, a notification."""
    from yizhi.accounts import service as accounts
    from yizhi.needs import service
    from yizhi.needs.models import SolutionStatus
    from yizhi.needs.schemas import InterestIn, NeedIn, PilotIn, SolutionIn

    owner = accounts.get_person_by_email(db, cast.owner.email)
    engineer = accounts.get_person_by_email(db, cast.company.email)
    hospital, company = accounts.get_org_by_slug(db, "hospital"), accounts.get_org_by_slug(db, "company")
    draft = service.create_need(db, owner, hospital, NeedIn(title="草稿需求", description="肺结节CT"))
    public = service.create_need(db, owner, hospital, NeedIn(title="已发布需求", description="眼底筛查"))
    service.submit_need(db, owner, public)
    service.review_need(db, None, public, "approve")
    solution = service.create_solution(db, engineer, company, SolutionIn(title="撤回的方案", description="x"))
    service.set_solution_status(db, engineer, solution, SolutionStatus.withdrawn)
    engagement = service.express_interest(db, engineer, public, InterestIn(message="有意向"))
    service.decide_engagement(db, owner, engagement, True)
    pilot = service.start_pilot(db, owner, engagement, PilotIn(site="眼科", product="p", start_date=date(2026, 12, 1)))
    notification = service.notifications_for(db, owner)[0]
    db.commit()
    return {"need_id": str(draft.id), "solution_id": str(solution.id), "engagement_id": str(engagement.id),
            "pilot_id": str(pilot.id), "notification_id": str(notification.id), "action": "submit"}


def test_outsider_is_refused_the_hospitals_objects(app, web, api, cast, hospital_objects):
    page_client, api_client = web(cast.outsider), api(cast.outsider)
    checked = 0
    for method, path, _route in needs_routes(app):
        if (method, path) in PUBLIC or "{" not in path:
            continue
        url = fill(path, hospital_objects)
        if path.startswith("/api/"):
            response = api_client.request(method, url, json=BODIES.get(path.rsplit("/", 1)[-1], {}))
            assert response.status_code != 422, (method, path, response.text[:200])  # the check must be reached
        else:
            response = page_client.request(method, url, data={"csrf_token": page_client.csrf})
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text[:200])
        checked += 1
    assert checked >= 20
