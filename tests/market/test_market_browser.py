"""In headless Chromium: a visitor compares certified products; a hospital requests a pilot, the
company agrees, the hospital closes it and rates the product; the rating shows on the product page.
Screenshots are kept in test-artifacts/."""

from __future__ import annotations

from datetime import date

import pytest
from market_helpers import make_product

pytestmark = pytest.mark.browser


def test_compare_request_pilot_agree_close_rate(page, browser, live_server, db, cast, pima_report, login_as, shoot):
    make_product(db, pima_report)
    make_product(db, pima_report, slug="pima-risk-b", name="另一款糖尿病风险评估")
    page.goto("/market")
    assert page.locator("h1").inner_text() == "产品超市"
    page.check("input[value='pima-risk@1.0.0']")
    page.check("input[value='pima-risk-b@1.0.0']")
    page.click("text=比较勾选的版本")
    page.wait_for_url("**/market/compare**")
    assert page.locator("#comparison th", has_text="auroc").count() == 1
    shoot(page, "market-compare")

    login_as(page, cast.owner)
    page.goto("/market/products/pima-risk/versions/1.0.0")
    assert page.locator(".badge.ok", has_text="已验证").count() == 1
    page.fill("#site", "内分泌科门诊")
    page.fill("#start_date", date.today().isoformat())
    page.fill("#outcome_measures", "与 OGTT 相比的灵敏度 ≥ 0.6")
    shoot(page, "market-version-hospital")
    page.click("#pilot button[type=submit]")
    page.wait_for_url("**/market/pilots/*")
    pilot_url = page.url

    company = browser.new_context(base_url=live_server, locale="zh-CN").new_page()
    login_as(company, cast.company)
    company.goto(pilot_url)
    company.click("button[value=yes]")
    company.wait_for_load_state()
    assert "试点已在需求库中开始" in company.content()
    shoot(company, "market-pilot-agreed")
    company.context.close()

    page.goto(pilot_url)
    page.fill("#closing_report", "412 名门诊患者中灵敏度 0.63")
    page.click("form[action$='/close'] button[type=submit]")
    page.wait_for_load_state()
    page.select_option("#accuracy", "4")
    page.select_option("#workflow_fit", "3")
    page.select_option("#support", "5")
    page.click("form[action$='/rating'] button[type=submit]")
    page.wait_for_load_state()
    assert "感谢您的评价" in page.content()
    page.goto("/market/products/pima-risk")
    assert "412 名门诊患者中灵敏度 0.63" in page.content()
    assert "共 1 条评价" in page.content()
    shoot(page, "market-product-rated")
