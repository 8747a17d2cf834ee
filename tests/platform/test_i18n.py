"""Chinese by default, English on request; the choice is remembered; catalogs are complete."""

import subprocess
import sys
from pathlib import Path


def test_login_page_is_chinese_by_default(web):
    html = web().get("/login").text
    assert '<html lang="zh-CN">' in html and "登录医智平台" in html


def test_query_parameter_switches_and_is_remembered(web):
    client = web()
    english = client.get("/login?lang=en")
    assert "Log in to YiZhi" in english.text
    assert "yizhi_lang=en" in english.headers["set-cookie"]
    assert "Log in to YiZhi" in client.get("/login").text  # remembered by cookie
    assert "登录医智平台" in client.get("/login?lang=zh").text


def test_accept_language(web):
    client = web()
    assert "Log in to YiZhi" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "登录医智平台" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    assert "登录医智平台" in client.get("/login", headers={"Accept-Language": "fr-FR"}).text


def test_choice_is_remembered_on_the_account(web, cast, db):
    from yizhi.accounts.models import Person

    client = web(cast.owner)
    client.get("/?lang=en")
    db.expire_all()
    assert db.get(Person, cast.owner.id).locale == "en"
    fresh_device = web(cast.owner)
    assert "Welcome" in fresh_device.get("/").text


def test_error_pages_in_both_languages(web, cast):
    client = web(cast.owner)
    assert "找不到该页面" in client.get("/no/such/page").text
    assert "We could not find this page" in client.get("/no/such/page?lang=en").text
    forbidden = web(cast.outsider).get("/orgs/hospital")
    assert forbidden.status_code == 404


def test_every_msgid_has_a_chinese_translation():
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "scripts" / "messages.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
