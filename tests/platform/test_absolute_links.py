"""Absolute links (invitations) come from YIZHI_BASE_URL when set, else from the address the
request came to — never a fixed 127.0.0.1:8000 (issue 17, first day)."""

from yizhi.config import reset_settings_cache


def _invite(api, cast, email):
    response = api(cast.owner).post("/api/v1/orgs/hospital/invitations", json={"email": email, "role": "member"})
    assert response.status_code == 201
    return response.json()["link"]


def test_links_follow_the_request_without_a_base_url(api, cast):
    link = _invite(api, cast, "a@hospital.test")
    assert link.startswith("http://testserver/invitations/") and "127.0.0.1:8000" not in link


def test_links_use_the_configured_public_address(api, cast, monkeypatch):
    monkeypatch.setenv("YIZHI_BASE_URL", "https://yizhi.health.example.cn/")
    reset_settings_cache()
    try:
        link = _invite(api, cast, "b@hospital.test")
    finally:
        monkeypatch.delenv("YIZHI_BASE_URL")
        reset_settings_cache()
    assert link.startswith("https://yizhi.health.example.cn/invitations/")
