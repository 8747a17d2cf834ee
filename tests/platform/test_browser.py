"""In headless Chromium: log in, switch language, invite a colleague, accept the invitation.
Screenshots are kept in test-artifacts/."""

import pytest

pytestmark = pytest.mark.browser


def test_login_page_renders_chinese_and_switches_to_english(page, shoot):
    page.goto("/login")
    assert page.locator("h1").inner_text() == "登录医智平台"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    shoot(page, "login-zh")
    page.click("a[data-lang=en]")
    page.wait_for_url("**lang=en")
    assert page.locator("h1").inner_text() == "Log in to YiZhi"
    page.goto("/login")  # remembered without the query parameter
    assert page.locator("h1").inner_text() == "Log in to YiZhi"
    shoot(page, "login-en")


def test_chinese_glyphs_render_with_a_real_font(page):
    page.goto("/login")
    # A missing CJK font renders tofu boxes of equal width; real glyphs differ from a box string.
    widths = page.evaluate("""() => {
        const c = document.createElement('canvas').getContext('2d');
        c.font = '20px "WenQuanYi Micro Hei", sans-serif';
        return [c.measureText('医智平台').width, c.measureText('\\u25A1\\u25A1\\u25A1\\u25A1').width];
    }""")
    assert widths[0] > 40 and abs(widths[0] - widths[1]) > 0.5


def test_owner_invites_colleague_who_accepts(page, browser, live_server, cast, login_as, shoot):
    login_as(page, cast.owner)
    assert "欢迎" in page.locator("h1").inner_text()
    shoot(page, "dashboard-owner")
    page.click("[data-card='invite-hospital'] a")
    page.fill("#email", "newdoc@hospital.test")
    page.select_option("#role", "member")
    page.click("form[action='/orgs/hospital/invitations'] button[type=submit]")
    link = page.locator("[data-invitation-link]").inner_text().strip()
    shoot(page, "invitation-created")
    assert "/invitations/yzi_" in link

    newcomer_context = browser.new_context(base_url=live_server, locale="zh-CN")
    newcomer = newcomer_context.new_page()
    newcomer.goto("/invitations/" + link.split("/invitations/")[1])
    assert "第一医院" in newcomer.locator("h1").inner_text()
    newcomer.fill("#display_name", "新医生")
    newcomer.fill("#password", "Fresh-Doctor-Pass-8")
    newcomer.click("form button[type=submit]")
    newcomer.wait_for_url("**/orgs/hospital")
    assert newcomer.locator("tr[data-member='newdoc@hospital.test']").count() == 1
    shoot(newcomer, "invitation-accepted")
    newcomer_context.close()

    page.goto("/orgs/hospital")
    assert page.locator("tr[data-member='newdoc@hospital.test']").count() == 1


def test_api_token_is_shown_once(page, cast, login_as, shoot):
    login_as(page, cast.colleague)
    page.goto("/tokens")
    page.fill("#name", "浏览器创建")
    page.click("form[action='/tokens'] button[type=submit]")
    secret = page.locator("[data-secret]").inner_text().strip()
    assert secret.startswith("yzt_")
    shoot(page, "token-created")
    page.goto("/tokens")
    assert secret not in page.content()
