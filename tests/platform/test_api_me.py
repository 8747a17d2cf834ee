"""The JSON API: /me, error shapes, tokens made by the CLI and by the API."""

from typer.testing import CliRunner

from yizhi.cli import app as cli


def test_me_without_credentials_is_401(api):
    response = api().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_authenticated", "message": "log in first"}}


def test_me_with_cli_token(api, cast):
    result = CliRunner().invoke(cli, ["token", "create", cast.owner.email, "--name", "script"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("yzt_")
    client = api()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == cast.owner.email
    assert body["memberships"][0]["org"]["slug"] == "hospital"
    assert body["memberships"][0]["role"] == "owner"
    assert body["platform_admin"] is False


def test_bad_token_is_401_not_anonymous(api):
    response = api().get("/api/v1/me", headers={"Authorization": "Bearer yzt_nonsense"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_token"


def test_revoked_token_stops_working(api, cast):
    client = api(cast.owner)
    created = client.post("/api/v1/tokens", json={"name": "short-lived"}).json()
    other = api()
    other.headers["Authorization"] = f"Bearer {created['token']}"
    assert other.get("/api/v1/me").status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    listed = {t["id"]: t for t in client.get("/api/v1/tokens").json()}
    assert listed[created["id"]]["revoked_at"] is not None
    assert "token" not in listed[created["id"]]  # the secret is never listed again


def test_token_records_last_use(api, cast, db):
    from yizhi.accounts.models import ApiToken

    client = api(cast.owner)
    client.get("/api/v1/me")
    token = db.query(ApiToken).one()
    assert token.last_used_at is not None
    assert token.token_hash != token.prefix and len(token.token_hash) == 64


def test_unknown_route_is_json_404(api, cast):
    response = api(cast.owner).get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_validation_error_names_the_field(api, cast):
    response = api(cast.owner).post("/api/v1/tokens", json={"nam": "typo"})
    assert response.status_code == 422
    assert "name" in response.json()["error"]["message"]


def test_others_org_is_404_or_403(api, cast):
    client = api(cast.outsider)
    assert client.get("/api/v1/orgs/hospital").status_code == 404
    assert client.get("/api/v1/orgs/hospital/members").status_code == 404
    assert client.post("/api/v1/orgs/hospital/invitations", json={"email": "x@y.test"}).status_code == 404
    assert client.post("/api/v1/orgs/hospital/approve").status_code == 404


def test_colleague_sees_but_cannot_invite(api, cast):
    client = api(cast.colleague)
    assert client.get("/api/v1/orgs/hospital/members").status_code == 200
    assert client.post("/api/v1/orgs/hospital/invitations", json={"email": "x@y.test"}).status_code == 403


def test_commission_staff_see_all_organisations(api, cast):
    slugs = {o["slug"] for o in api(cast.admin).get("/api/v1/orgs").json()}
    assert {"hospital", "company", "other-hospital", "commission"} <= slugs
    own = {o["slug"] for o in api(cast.owner).get("/api/v1/orgs").json()}
    assert own == {"hospital"}


def test_openapi_docs_are_served(api):
    assert api().get("/api/openapi.json").status_code == 200
    assert api().get("/api/docs").status_code == 200


def test_recorded_actions_link_their_ledger_receipts(api, cast):
    client = api(cast.owner)
    created = client.post("/api/v1/tokens", json={"name": "receipted"})
    assert created.status_code == 201
    index = int(created.headers["X-Ledger-Entries"])
    link = created.headers["Link"]
    assert link == f'</api/v1/ledger/entries/{index}/receipt>; rel="ledger-receipt"'
    receipt = api().get(f"/api/v1/ledger/entries/{index}/receipt")
    assert receipt.status_code == 200
    assert "token.created" in receipt.text
    # A read records nothing and links nothing; a refused change links nothing either.
    assert "X-Ledger-Entries" not in client.get("/api/v1/me").headers
    duplicate = client.post("/api/v1/tokens", json={"name": "receipted"})
    assert duplicate.status_code == 409 and "X-Ledger-Entries" not in duplicate.headers


def test_authentication_alone_sends_no_transaction_to_postgresql(api, web, cast, monkeypatch):
    """/api/v1/me and the needs list (``reads_only``) run without BEGIN/ROLLBACK: one round trip per
    statement. Revocation stays immediate (test_revoked_token_stops_working)."""
    import pytest

    from yizhi.db import get_engine

    if get_engine().dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips to save")
    import psycopg

    sent = []
    original = psycopg.Connection._exec_command

    def recording(self, command, *args, **kwargs):
        sent.append(bytes(command) if isinstance(command, (bytes, bytearray)) else str(command).encode())
        return original(self, command, *args, **kwargs)

    client, page = api(cast.owner), web(cast.owner)
    client.get("/api/v1/me"), page.get("/needs")  # the first use writes last-used / sliding expiry
    monkeypatch.setattr(psycopg.Connection, "_exec_command", recording)
    assert client.get("/api/v1/me").status_code == 200
    assert page.get("/needs").status_code == 200
    assert not [c for c in sent if c.startswith((b"BEGIN", b"ROLLBACK"))], sent
    assert page.get("/notifications").status_code == 200  # other pages keep their transaction
    assert [c for c in sent if c.startswith(b"BEGIN")], sent


def test_a_read_on_postgresql_gives_its_connection_back_on_the_loop(web, cast, monkeypatch):
    """Closing the autocommit session of a ``reads_only`` page sends nothing, so it is not sent to the
    thread pool (one hop fewer per read); a page with a transaction still closes there (ROLLBACK)."""
    import pytest

    from yizhi.db import get_engine
    from yizhi.web import deps

    if get_engine().dialect.name != "postgresql":
        pytest.skip("SQLite keeps its transaction: nothing changes there")
    hops = []
    original = deps.run_in_threadpool

    async def recording(fn, *args, **kwargs):
        hops.append(getattr(fn, "__qualname__", repr(fn)))
        return await original(fn, *args, **kwargs)

    page = web(cast.owner)
    page.get("/needs")  # the first use writes last-used / sliding expiry
    monkeypatch.setattr(deps, "run_in_threadpool", recording)
    assert page.get("/needs").status_code == 200
    assert "Session.close" not in hops, hops
    assert page.get("/notifications").status_code == 200
    assert "Session.close" in hops, hops


def test_a_reading_page_authenticates_and_runs_in_one_thread_pool_call(web, cast, monkeypatch):
    """``reads_only`` pages authenticate in their endpoint's own thread-pool call: one trip through
    the pool instead of two (dependency, then endpoint); other pages keep the dependency's trip."""
    import anyio.to_thread

    calls = []
    original = anyio.to_thread.run_sync

    async def recording(fn, *args, **kwargs):
        called = getattr(fn, "func", fn)  # starlette hands over a functools.partial
        calls.append(getattr(called, "__qualname__", repr(called)))
        return await original(fn, *args, **kwargs)

    page = web(cast.owner)
    page.get("/needs")  # the first use writes last-used / sliding expiry
    monkeypatch.setattr(anyio.to_thread, "run_sync", recording)
    assert page.get("/needs").status_code == 200
    assert len(calls) == 1, calls  # the session is closed in that call too (SQLite's has a transaction)
    assert not [c for c in calls if c.startswith("authenticate_now")], calls
    calls.clear()
    assert page.get("/notifications").status_code == 200
    assert [c for c in calls if c.startswith("authenticate_now")], calls


def test_a_reading_page_still_asks_a_stranger_to_log_in(web, api, cast):
    """Authentication moved into the endpoint's call: no session, an ended session or a bad token get
    what every other page answers them; an API token still reads the page."""
    from yizhi.web.csrf import SESSION_COOKIE

    def answer(client, path):
        """The status and where it sends the browser, with the page's own path taken out."""
        response = (client.http if hasattr(client, "http") else client).get(path)
        return response.status_code, (response.headers.get("location") or "").replace(path, "<page>")

    anonymous = web()
    assert answer(anonymous, "/needs")[0] in (302, 303, 401)
    assert answer(anonymous, "/needs") == answer(anonymous, "/notifications")
    ended = web(cast.owner)
    ended.http.cookies.set(SESSION_COOKIE, "not-a-live-session")
    assert answer(ended, "/needs") == answer(ended, "/notifications") == answer(anonymous, "/notifications")
    bad_token = api()
    bad_token.headers["Authorization"] = "Bearer yz_wrong"
    assert answer(bad_token, "/needs") == answer(bad_token, "/notifications") == answer(anonymous, "/notifications")
    assert api(cast.owner).get("/needs").status_code == 200
    # no credentials: refused before the query is checked (not a 422 that answers an anonymous caller)
    status, location = answer(anonymous, "/needs?page=abc")
    assert (status, location.split("?")[0]) == (303, "/login"), (status, location)
    assert api().get("/api/v1/needs?limit=999").status_code == 401
