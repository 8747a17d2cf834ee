"""CSRF: every cookie-authenticated state change needs the token; bearer-token calls do not."""


def test_form_post_without_token_is_refused(web, cast, db):
    client = web(cast.owner)
    response = client.http.post("/tokens", data={"name": "no csrf"})
    assert response.status_code == 403
    assert "security token" in response.text or "安全令牌" in response.text
    from yizhi.accounts.models import ApiToken

    assert db.query(ApiToken).count() == 0


def test_form_post_with_wrong_token_is_refused(web, cast):
    client = web(cast.owner)
    response = client.http.post("/tokens", data={"name": "forged", "csrf_token": "0" * 64})
    assert response.status_code == 403


def test_form_post_with_token_succeeds(web, cast):
    response = web(cast.owner).post_form("/tokens", {"name": "with csrf"})
    assert response.status_code == 201
    assert "yzt_" in response.text


def test_login_form_itself_needs_the_token(web, cast):
    client = web()
    response = client.http.post("/login", data={"email": cast.owner.email, "password": cast.owner.password})
    assert response.status_code == 403


def test_cookie_authenticated_api_call_needs_header(web, cast):
    client = web(cast.owner)
    refused = client.http.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    accepted = client.request("POST", "/api/v1/tokens", json={"name": "x"})
    assert accepted.status_code == 201


def test_bearer_token_call_needs_no_csrf(api, cast):
    response = api(cast.owner).post("/api/v1/tokens", json={"name": "from a script"})
    assert response.status_code == 201
