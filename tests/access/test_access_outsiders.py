"""Every access route, filled with REAL objects of a granted, closed use (request, step, grant,
issue, dataset, extract): the outsider hospital and a second company are refused each one (403 or
404), and anonymous visitors are sent to log in — only the register is public."""

import re

import pytest
from access_helpers import walk_to_grant

from yizhi.web.deps import is_public

PUBLIC = {("GET", "/access/register"), ("GET", "/api/v1/access/register"), ("GET", "/api/v1/access/register.csv"),
          ("GET", "/api/v1/access/metrics")}
# Lists and forms answer anyone logged in with *their own* (empty) view: checked for emptiness below.
OWN_VIEWS = {"/access/requests", "/access/grants", "/access/notifications", "/api/v1/access/requests",
             "/api/v1/access/grants", "/api/v1/access/notifications", "/api/v1/access/notifications/read",
             "/access/notifications/read", "/api/v1/access/feedback", "/access/feedback", "/access/requests/new",
             "/access/review"}


def access_routes(app):
    from yizhi.web.app import iter_api_routes

    for path, route in iter_api_routes(app.routes):
        if path.startswith(("/access", "/api/v1/access")):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, path, route


@pytest.fixture
def used(api, cast, dataset):
    """A granted extract use, closed with a report that filed an issue, plus an open second request."""
    walked = walk_to_grant(api, cast, dataset, mode="extract", columns={"labs": ["patient", "hba1c"]},
                           reasons={"labs": "x"})
    closed = walked.company.post(f"/api/v1/access/grants/{walked.grant_id}/close", json={
        "outputs": [], "met_need": "yes", "issues": [{"dataset": dataset, "table": "labs", "description": "gaps"}]})
    assert closed.status_code == 200
    other = walk_to_grant(api, cast, dataset, title="Live one")
    feedback = walked.owner.get("/api/v1/access/feedback").json()
    return {"request_id": str(other.request_id), "grant_id": str(other.grant_id), "step": "1",
            "issue_id": str(feedback["issues"][0]["id"]), "slug": "dm-emr", "ref": dataset, "table": "labs"}


def _fill(path, values):
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


VALID = {"reason": "x", "decision": "accept", "approve": True, "body": "x", "met_need": "yes", "change": "amendment",
         "state": "resolved", "datasets": ["dm-emr@1"], "title": "t", "purpose": "education",
         "columns": {"labs": ["hba1c"]}}


def _body(method, path, route):
    """A body that passes validation, so the request reaches the permission check behind it."""
    if method not in ("POST", "PUT"):
        return {}
    if path.startswith("/api/"):
        params = route.dependant.body_params
        fields = params[0].field_info.annotation.model_fields if params else {}
        body = {k: v for k, v in VALID.items() if k in fields}
        if "decision" in fields and "comment" not in fields:
            body["decision"] = "approved"
        return {"json": body}
    return {"data": {"reason": "x", "decision": "accept", "approve": "yes", "body": "x", "met_need": "yes",
                     "state": "resolved"}}


def test_outsiders_are_refused_every_access_route(app, web, api, cast, used, second_company):
    for member in (cast.outsider, second_company):
        pages, client = web(member), api(member)
        checked = 0
        for method, path, route in access_routes(app):
            if (method, path) in PUBLIC or is_public(route.endpoint) or path in OWN_VIEWS:
                continue
            url, body = _fill(path, used), _body(method, path, route)
            if path.startswith("/api/"):
                response = client.request(method, url, **body)
            else:
                if "data" in body:
                    body["data"]["csrf_token"] = pages.csrf
                response = pages.request(method, url, **body)
            assert response.status_code in (403, 404), (member.email, method, path, response.status_code,
                                                         response.text[:200])
            checked += 1
        assert checked >= 30
        # their own views show nothing of the first company's use
        assert client.get("/api/v1/access/requests").json() == []
        assert client.get("/api/v1/access/grants").json() == []
        assert "Live one" not in pages.get("/access/requests").text
        assert "Live one" not in pages.get("/access/grants").text


def test_only_the_register_is_public(app, web, api):
    public = {(m, p) for m, p, r in access_routes(app) if is_public(r.endpoint)}
    assert public == PUBLIC
    anonymous = api()
    for method, path, _route in access_routes(app):
        if (method, path) in PUBLIC:
            assert anonymous.request(method, path).status_code == 200
    assert anonymous.get("/api/v1/access/grants").status_code == 401
