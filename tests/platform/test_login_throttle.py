"""Login throttling (issue 17, item 6): uniform answers for real and unknown accounts, no lock-out of
the owner of a known-good browser, client addresses from trusted proxies only, and a registration
form that does not tell whether an account exists."""

from __future__ import annotations

from yizhi.config import get_settings

WRONG = "wrong-password-123"


def _fail(client, email, times):
    return [client.post_form("/login", {"email": email, "password": WRONG}) for _ in range(times)]


def test_real_and_unknown_accounts_get_the_same_answers(web, cast):
    limit = get_settings().login_max_failures
    real = _fail(web(), cast.owner.email, limit + 1)
    unknown = _fail(web(), "nobody-at-all@hospital.test", limit + 1)
    assert [r.status_code for r in real] == [r.status_code for r in unknown] == [403] * limit + [429]
    assert real[-1].text.count("登录失败次数过多") == unknown[-1].text.count("登录失败次数过多") == 1


def test_the_owner_of_a_known_browser_is_not_locked_out_by_someone_elses_guesses(web, cast):
    owner_browser = web(cast.owner)  # logged in once: the browser holds a device cookie for the account
    owner_browser.post_form("/logout")
    attacker = web()
    _fail(attacker, cast.owner.email, get_settings().login_max_failures + 2)
    assert attacker.post_form("/login", {"email": cast.owner.email, "password": cast.owner.password}).status_code == 429
    back = owner_browser.post_form("/login", {"email": cast.owner.email, "password": cast.owner.password})
    assert back.status_code == 303


def test_many_random_emails_from_one_address_do_not_lock_out_known_browsers(web, cast):
    colleague_browser = web(cast.colleague)
    colleague_browser.post_form("/logout")
    sprayer = web()  # the same client address as the colleague's (both are "testclient")
    for i in range(get_settings().login_max_failures * 4):
        sprayer.post_form("/login", {"email": f"guess{i}@x.test", "password": WRONG})
    assert sprayer.post_form("/login", {"email": cast.outsider.email,
                                        "password": cast.outsider.password}).status_code == 429
    assert colleague_browser.post_form("/login", {"email": cast.colleague.email,
                                                  "password": cast.colleague.password}).status_code == 303


def test_a_stolen_device_cookie_is_worthless_for_another_account(web, cast):
    from yizhi.accounts.throttle import DEVICE_COOKIE, device_for

    owner_browser = web(cast.owner)
    cookie = owner_browser.http.cookies[DEVICE_COOKIE]
    assert device_for(cookie, cast.owner.email) is not None
    assert device_for(cookie, cast.colleague.email) is None
    assert device_for("forged.0123456789abcdef", cast.owner.email) is None


def test_client_addresses_come_from_proxy_headers_only_for_trusted_proxies(monkeypatch):
    from yizhi.cli import proxy_options
    from yizhi.config import Settings

    assert proxy_options(Settings()) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    trusted = Settings(trusted_proxies="127.0.0.1, 10.0.0.5")
    assert proxy_options(trusted) == {"proxy_headers": True, "forwarded_allow_ips": "127.0.0.1,10.0.0.5"}


CREDIT_CODE = "91110000600037341L"  # a valid 统一社会信用代码


def test_register_does_not_reveal_that_an_account_exists(web, cast, outbox):
    from yizhi.jobs.service import work_once

    def register(email, slug):
        return web().post_form("/register", {
            "slug": slug, "name": "某公司", "kind": "company", "credit_code": CREDIT_CODE, "email": email,
            "display_name": "某人", "password": "Startup-Pass-2026"})

    existing = register(cast.owner.email, "co-one")
    new = register("fresh@co-two.test", "co-two")
    assert existing.status_code == new.status_code == 200
    strip = lambda r, email: r.text.replace(email, "EMAIL").split("<main")[1]  # noqa: E731
    assert strip(existing, cast.owner.email) == strip(new, "fresh@co-two.test")
    assert "yizhi_session" not in existing.headers.get("set-cookie", "")
    assert "yizhi_session" not in new.headers.get("set-cookie", "")
    while work_once():
        pass
    assert len(outbox.links("/register/confirm/")) == 1  # only the new address gets a confirmation
    to = {m["To"]: m for m in outbox.messages()}
    assert set(to) == {cast.owner.email, "fresh@co-two.test"}
    assert "/login" in to[cast.owner.email].get_body().get_content()  # the existing one is told someone tried


def test_invalid_credit_code_is_refused_with_the_field(web):
    response = web().post_form("/register", {
        "slug": "badco", "name": "坏公司", "kind": "company", "credit_code": "91110000600037341X",
        "email": "x@badco.test", "display_name": "X", "password": "Startup-Pass-2026"})
    assert response.status_code == 422 and "统一社会信用代码" in response.text
