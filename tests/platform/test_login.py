"""Log in, log out, lockout, rate limit, sessions, password change."""

from yizhi.config import get_settings


def test_login_sets_httponly_samesite_session(web, cast):
    client = web()
    response = client.post_form("/login", {"email": cast.owner.email, "password": cast.owner.password})
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("yizhi_session=")][0]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_without_saying_which_part(web, cast):
    response = web().post_form("/login", {"email": cast.owner.email, "password": "wrong-password-123"})
    assert response.status_code == 403
    assert "邮箱或密码错误" in response.text
    unknown = web().post_form("/login", {"email": "nobody@x.test", "password": "wrong-password-123"})
    assert unknown.status_code == 403 and "邮箱或密码错误" in unknown.text


def test_account_locks_after_repeated_failures(web, cast):
    client = web()
    for _ in range(get_settings().login_max_failures):
        client.post_form("/login", {"email": cast.owner.email, "password": "wrong-password-123"})
    locked = client.post_form("/login", {"email": cast.owner.email, "password": cast.owner.password})
    assert locked.status_code == 429
    # A browser that never logged in to this account is throttled; the owner's own browser is not
    # (tests/platform/test_login_throttle.py).
    # The colleague is not affected by the owner's lockout.
    assert web().post_form("/login", {"email": cast.colleague.email, "password": cast.colleague.password}).status_code == 303


def test_address_is_rate_limited_across_accounts(web, cast):
    client = web()
    for i in range(get_settings().login_max_failures * 4):
        client.post_form("/login", {"email": f"guess{i}@x.test", "password": "wrong-password-123"})
    response = client.post_form("/login", {"email": cast.colleague.email, "password": cast.colleague.password})
    assert response.status_code == 429


def test_logout_ends_the_server_side_session(web, cast, db):
    from yizhi.accounts.models import LoginSession

    client = web(cast.owner)
    assert db.query(LoginSession).count() == 1
    response = client.post_form("/logout")
    assert response.status_code == 303
    assert db.query(LoginSession).count() == 0
    assert client.get("/").status_code == 303


def test_next_parameter_cannot_redirect_off_site(web, cast):
    client = web()
    response = client.post_form("/login", {"email": cast.owner.email, "password": cast.owner.password,
                                           "next": "//evil.example/steal"})
    assert response.headers["location"] == "/"
    client = web()
    response = client.post_form("/login", {"email": cast.owner.email, "password": cast.owner.password,
                                           "next": "/tokens"})
    assert response.headers["location"] == "/tokens"


def test_password_change_checks_current_and_policy_and_ends_other_sessions(web, cast, db):
    from yizhi.accounts.models import LoginSession

    other_device = web(cast.owner)
    client = web(cast.owner)
    bad = client.post_form("/profile/password", {"current_password": "nope-nope-nope",
                                                 "new_password": "Another-Good-Pass-7", "confirm_password": "Another-Good-Pass-7"})
    assert bad.status_code == 422
    weak = client.post_form("/profile/password", {"current_password": cast.owner.password,
                                                  "new_password": "short", "confirm_password": "short"})
    assert weak.status_code == 422
    ok = client.post_form("/profile/password", {"current_password": cast.owner.password,
                                                "new_password": "Another-Good-Pass-7", "confirm_password": "Another-Good-Pass-7"})
    assert ok.status_code == 303
    assert db.query(LoginSession).count() == 1
    assert other_device.get("/").status_code == 303
    assert client.get("/").status_code == 200
    relogin = web().post_form("/login", {"email": cast.owner.email, "password": "Another-Good-Pass-7"})
    assert relogin.status_code == 303


def test_passwords_are_stored_as_argon2id(db, cast):
    from yizhi.accounts.models import Person

    person = db.get(Person, cast.owner.id)
    assert person.password_hash.startswith("$argon2id$")
    assert cast.owner.password not in person.password_hash


def test_production_hasher_uses_rfc9106_parameters(production_hasher):
    """The suite hashes cheaply (conftest); the production hasher keeps RFC 9106's second
    recommendation (64 MiB, 3 passes, 4 lanes), and a hash made at either cost verifies."""
    from yizhi.accounts.passwords import verify_password

    stored = production_hasher.hash("Correct-Horse-Battery-9")
    assert "$m=65536,t=3,p=4$" in stored
    assert verify_password(stored, "Correct-Horse-Battery-9")
    assert not verify_password(stored, "Correct-Horse-Battery-8")


def test_password_policy_rules():
    import pytest

    from yizhi.accounts.passwords import PasswordPolicyError, check_policy

    for bad in ("short", "password123", "aaaaaaaaaaaa", "zhangsan-2024-ok"):
        with pytest.raises(PasswordPolicyError):
            check_policy(bad, email="zhangsan@h.test")
    check_policy("Harder-To-Guess-42", email="zhangsan@h.test")
