"""Friendly error pages (both languages) and JSON errors; never a stack trace."""

from fastapi.testclient import TestClient

from yizhi.web.app import create_app
from yizhi.web.deps import public


def _app_with_a_broken_route():
    app = create_app()

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    @app.get("/api/v1/boom")
    @public
    def api_boom():
        raise RuntimeError("secret internal detail")

    return app


def test_500_page_is_friendly_and_hides_details():
    client = TestClient(_app_with_a_broken_route(), raise_server_exceptions=False)
    page = client.get("/boom")
    assert page.status_code == 500
    assert "服务器出现错误" in page.text and "secret internal detail" not in page.text
    english = client.get("/boom?lang=en")
    assert "Something went wrong on our side" in english.text
    api = client.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.json() == {"error": {"code": "internal", "message": "an internal error occurred; it has been logged"}}


def test_403_page(web, cast):
    response = web(cast.colleague).get("/orgs/hospital/invitations")
    assert response.status_code == 403
    assert "您无权访问此内容" in response.text
    assert "You do not have access to this" in web(cast.colleague).get("/orgs/hospital/invitations?lang=en").text


def test_security_headers(web):
    response = web().get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
