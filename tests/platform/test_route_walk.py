"""Walk EVERY route of the app: anonymous visitors are sent to log in, the outsider is refused
other organisations' objects, and only routes listed here are public.

A domain that adds a public route must add it to PUBLIC_ROUTES below — a deliberate, reviewed act.
"""

from __future__ import annotations

import re

import pytest

from yizhi.web.deps import is_public

PUBLIC_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/login"), ("POST", "/login"),
    ("GET", "/register"), ("POST", "/register"),
    # The link in the registration e-mail: the account is not active (cannot log in) until it is followed.
    ("GET", "/register/confirm/{token}"), ("POST", "/register/confirm/{token}"),
    ("GET", "/invitations/{secret}"), ("POST", "/invitations/{secret}"),
    # The transparency ledger is public by design: anyone may check entries, proofs and checkpoints.
    ("GET", "/ledger"), ("GET", "/api/v1/ledger"), ("GET", "/api/v1/ledger/checkpoint"),
    ("GET", "/api/v1/ledger/entries/{index}"), ("GET", "/api/v1/ledger/entries/{index}/receipt"),
    ("GET", "/api/v1/ledger/proof/inclusion/{index}"),
    ("GET", "/api/v1/ledger/proof/consistency/{first}/{second}"), ("GET", "/api/v1/ledger/witnesses"),
    # Released needs lists are published to everyone (companies read them before registering).
    ("GET", "/needs/lists"), ("GET", "/needs/lists/{release_id:int}"),
    ("GET", "/api/v1/needs/releases"), ("GET", "/api/v1/needs/releases/{release_id}"),
    ("GET", "/api/v1/needs/releases/{release_id}/export.{fmt}"),
    # Competitions (创新大赛) have a public page with their leaderboards (aggregates only).
    ("GET", "/evaluation/competitions/{slug}"), ("GET", "/api/v1/evaluation/competitions/{slug}"),
    # The data catalog's published cards are public (counts after disclosure control; no rows).
    ("GET", "/catalog"), ("GET", "/catalog/{slug}"), ("GET", "/catalog/{slug}/{number:int}"),
    ("GET", "/api/v1/datasets/catalog"), ("GET", "/api/v1/datasets/catalog/{slug}/{number}/card"),
    # The Data Use Register is public by design: every approved use of data, its CSV and the metrics.
    ("GET", "/access/register"), ("GET", "/api/v1/access/register"), ("GET", "/api/v1/access/register.csv"),
    ("GET", "/api/v1/access/metrics"),
}


def all_routes(app) -> list[tuple]:
    from yizhi.web.app import iter_api_routes

    found = []
    for path, route in iter_api_routes(app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path, route))
    return found


def test_only_listed_routes_are_public(app):
    public = {(m, p) for m, p, r in all_routes(app) if is_public(r.endpoint)}
    assert public == PUBLIC_ROUTES


def test_the_walk_covers_many_routes(app):
    assert len(all_routes(app)) >= 30


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "999999"), path)


def test_anonymous_is_sent_to_log_in_everywhere(app, web):
    client = web()
    checked = 0
    for method, path, route in all_routes(app):
        if (method, path) in PUBLIC_ROUTES:
            continue
        response = client.request(method, _fill(path, {"slug": "hospital"}))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["error"]["code"] in ("not_authenticated",)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next="), (method, path)
        checked += 1
    assert checked >= 20


@pytest.fixture
def owners_objects(cast, db):
    """Objects that belong to the hospital owner — the outsider must not reach any of them."""
    from yizhi.accounts import service
    from yizhi.accounts.models import Organization
    from yizhi.jobs import service as jobs

    hospital = service.get_org_by_slug(db, "hospital")
    owner = service.get_person_by_email(db, cast.owner.email)
    token, _ = service.create_api_token(db, owner, "owner's script")
    invitation, _ = service.invite(db, hospital, email="new@hospital.test", role="member", actor=owner)
    job = jobs.enqueue(db, "platform.purge_sessions", created_by_id=owner.id, organization_id=hospital.id)
    membership = service.membership_of(db, owner, hospital)
    db.commit()
    assert isinstance(hospital, Organization)
    return {"slug": "hospital", "token_id": str(token.id), "invitation_id": str(invitation.id),
            "job_id": str(job.id), "membership_id": str(membership.id)}


_DUMMY = {"string": "x", "integer": 1, "number": 1.0, "boolean": False, "array": [], "object": {}}


def _dummy_value(schema: dict, defs: dict):
    if "$ref" in schema:
        return _dummy_object(defs[schema["$ref"].split("/")[-1]], defs)
    formats = {"email": "someone@example.test", "date": "2026-01-01", "date-time": "2026-01-01T00:00:00Z",
               "uri": "https://example.test/", "uuid": "00000000-0000-0000-0000-000000000000"}
    candidates = [schema, *schema.get("anyOf", [])]
    for candidate in candidates:
        if candidate.get("format") in formats:
            return formats[candidate["format"]]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type") or next((s.get("type") for s in schema.get("anyOf", []) if s.get("type") != "null"), "string")
    return _DUMMY.get(kind, "x")


def _dummy_object(schema: dict, defs: dict) -> dict:
    props = schema.get("properties", {})
    return {name: _dummy_value(props[name], defs) for name in schema.get("required", [])}


def plausible_body(route) -> dict:
    """A body that passes validation, so the test reaches the permission check behind it."""
    from fastapi import params

    body_params = route.dependant.body_params
    if not body_params:
        return {}
    if all(isinstance(p.field_info, params.Form) for p in body_params):
        return {"data": {p.alias: "1" for p in body_params}}
    if len(body_params) == 1 and hasattr(body_params[0].field_info.annotation, "model_json_schema"):
        schema = body_params[0].field_info.annotation.model_json_schema()
        return {"json": _dummy_object(schema, schema.get("$defs", {}))}
    return {"json": {p.alias: "x" for p in body_params}}


def test_outsider_is_refused_others_objects(app, web, api, cast, owners_objects):
    page_client, api_client = web(cast.outsider), api(cast.outsider)
    for method, path, route in all_routes(app):
        if (method, path) in PUBLIC_ROUTES or "{" not in path:
            continue
        url = _fill(path, owners_objects)
        body = plausible_body(route) if method in ("POST", "PUT", "PATCH") else {}
        if path.startswith("/api/"):
            response = api_client.request(method, url, **body)
        else:
            if "data" in body:
                body["data"]["csrf_token"] = page_client.csrf
            response = page_client.request(method, url, **body)
        assert response.status_code in (403, 404), (method, path, response.status_code, response.text[:200])


def test_outsider_gets_no_server_error_anywhere(app, web, cast):
    client = web(cast.outsider)
    for method, path, route in all_routes(app):
        if "{" in path or (method, path) == ("POST", "/logout"):
            continue
        response = client.request(method, path)
        assert response.status_code < 500, (method, path, response.status_code)
