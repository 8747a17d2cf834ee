"""In headless Chromium: a doctor files a need (category suggested), the commission publishes it,
a company sees its solution matched with the why line. Screenshots go to test-artifacts/."""

import pytest

pytestmark = pytest.mark.browser


def test_need_from_form_to_matched_solution(page, browser, live_server, cast, login_as, shoot, api):
    solution = api(cast.company).post("/api/v1/needs/solutions", json={
        "title": "颅内出血CT急诊分诊", "description": "急诊头颅CT自动检测脑出血并计算出血量", "modalities": ["ct"],
        "maturity": "nmpa_registered", "nmpa_class": "III"})
    assert solution.status_code == 201

    login_as(page, cast.colleague)
    page.goto("/needs/new")
    page.fill("#title", "急诊头颅CT脑出血优先阅片")
    page.fill("#description", "夜间急诊头颅平扫CT量大，希望AI自动发现颅内出血并计算出血量，阳性排到队列最前。")
    page.wait_for_selector("#category-suggestion [data-suggested=imaging]")  # suggested while typing
    page.fill("#modalities", "ct")
    page.select_option("#importance", "high")
    shoot(page, "needs-form")
    page.click("form[action='/needs/new'] button[type=submit]")
    page.wait_for_url("**/needs/*")
    assert page.locator("#need-status").get_attribute("data-status") == "draft"
    assert "医学影像" in page.locator("main").inner_text()  # the suggested category, in Chinese
    page.click("form[action$='/submit'] button")
    page.wait_for_selector("#need-status[data-status=submitted]")
    need_url = page.url.split("?")[0]

    admin_context = browser.new_context(base_url=live_server, locale="zh-CN")
    admin = admin_context.new_page()
    login_as(admin, cast.admin)
    admin.goto("/needs/review")
    admin.click("#review-queue a")
    admin.click("button[value=approve]")
    admin.wait_for_selector("#need-status[data-status=published]")
    admin_context.close()

    page.goto(need_url)
    first_match = page.locator("table.matches tbody tr").first
    assert "颅内出血CT急诊分诊" in first_match.inner_text()
    assert "共同关键词" in first_match.inner_text()
    shoot(page, "needs-detail-matches")
