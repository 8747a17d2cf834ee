"""In headless Chromium: the unread badge follows the notices, the notifications page marks them read,
and the dashboard draws its charts (with the table behind them) in Chinese and in English."""

from __future__ import annotations

import pytest

from web_world import build

pytestmark = pytest.mark.browser


def test_badge_and_notifications_page(page, cast, api, db, login_as, shoot):
    from yizhi.notify.service import unread_count

    build(api, cast)  # the need's publication and the company's interest notify the hospital's people
    unread = unread_count(db, cast.owner.id)
    assert unread == 2
    login_as(page, cast.owner)
    badge = page.locator("#notifications-link .unread-badge")
    assert badge.inner_text() == str(unread)
    page.goto("/needs")
    assert page.locator("#notifications-link .unread-badge").inner_text() == str(unread)  # on every page
    shoot(page, "badge-zh")
    page.click("#notifications-link")
    page.wait_for_url("**/notifications")
    rows = page.locator("#notifications tr.unread")
    assert rows.count() == unread
    assert "医图科技" in rows.first.inner_text() and "合作意向" in rows.first.inner_text()  # newest first, in Chinese
    shoot(page, "notifications-zh")
    page.click("#mark-all-read")
    page.wait_for_url("**/notifications")
    assert page.locator("#notifications-link .unread-badge").count() == 0
    assert page.locator("#notifications tr.unread").count() == 0
    page.goto("/notifications?lang=en")
    assert "is interested in" in page.locator("#notifications").inner_text()
    shoot(page, "notifications-en")


def test_dashboard_charts_for_commission_and_company(page, browser, live_server, cast, api, login_as, shoot):
    build(api, cast)
    login_as(page, cast.admin)
    chart = page.locator("svg#chart-commission-needs-by-state")
    assert chart.is_visible()
    labels = chart.locator("g.bar").evaluate_all("nodes => nodes.map(n => n.dataset.label)")
    assert "草稿" in labels and sum(int(v) for v in chart.locator("g.bar").evaluate_all(
        "nodes => nodes.map(n => n.dataset.value)")) == 3
    assert page.locator("[data-figure='needs-waiting'] .figure-value").inner_text() == "1"
    # the same figures as a table, for screen readers and copying
    page.locator("[data-chart='needs-by-state'] summary").click()
    assert "草稿" in page.locator("[data-chart='needs-by-state'] table").inner_text()
    shoot(page, "dashboard-commission-zh")
    page.goto("/?lang=en")
    assert page.locator("svg#chart-commission-needs-by-state title").text_content() == "Needs by state"
    shoot(page, "dashboard-commission-en")

    company = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    login_as(company, cast.company)
    assert company.locator("[data-figure='new-matches'] .figure-value").inner_text() == "1"
    assert company.locator("svg#chart-org-company-engagements-by-state").is_visible()
    assert company.locator("[data-panel='commission']").count() == 0
    shoot(company, "dashboard-company-zh")
    company.context.close()
