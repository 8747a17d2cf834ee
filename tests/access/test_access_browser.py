"""In headless Chromium (zh-CN): a company applies through the form (data minimisation, ethics
file), the commission prescreens, the hospital recommends and decides, and the company opens its
grant — with a screenshot at each step."""

import re

import pytest
from access_helpers import PDF

pytestmark = pytest.mark.browser


def _switch(page, login_as, member):
    page.context.clear_cookies()
    login_as(page, member)


def test_apply_review_decide_in_the_browser(page, cast, dataset, login_as, shoot):
    login_as(page, cast.company)
    page.goto("/access/requests/new")
    page.check(f"input[name=datasets][value='{dataset}']")
    page.click("#choose-datasets")
    page.wait_for_selector("#minimisation")
    page.fill("#title", "糖化血红蛋白轨迹研究")
    page.fill("#lay_summary", "研究糖尿病患者血糖控制随时间的变化。")
    page.check("input[name=col][value='labs/patient']")
    page.check("input[name=col][value='labs/hba1c']")
    page.fill("textarea[name='reason:labs']", "按患者追踪糖化血红蛋白")
    page.fill("#legal_basis", "经伦理委员会批准的科研使用")
    page.fill("#ethics_reference", "IRB-2026-007")
    page.set_input_files("#ethics_file", files=[{"name": "irb.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.fill("#outputs", "论文一篇")
    shoot(page, "access-1-request-form")
    page.click("#save-request")
    page.wait_for_selector("#submit-request")
    request_url = page.url
    assert re.search(r"/access/requests/\d+$", request_url)
    assert "hba1c" in page.locator("#asked").inner_text()
    page.click("#submit-request")
    page.wait_for_selector("#request-state[data-state=submitted]")
    shoot(page, "access-2-submitted")

    _switch(page, login_as, cast.admin)
    page.goto("/access/review")
    page.click("#prescreen-queue a")
    page.fill("#prescreen-comment", "材料齐全")
    page.click("#prescreen-accept")
    page.wait_for_selector("#request-state[data-state=in_review]")
    shoot(page, "access-3-prescreened")

    _switch(page, login_as, cast.owner)
    page.goto("/access/review")
    assert "糖化血红蛋白轨迹研究" in page.locator("#my-steps").inner_text()
    page.click("#my-steps a")
    page.fill("#recommend-comment", "数据最小化合理")
    page.click("#recommend-approve")
    page.wait_for_selector("#decide")
    shoot(page, "access-4-reviewed")
    page.select_option("#decision", "approved_with_conditions")
    page.fill("#conditions", "只发表汇总结果")
    page.click("#decide-submit")
    page.wait_for_selector("#request-state[data-state=granted]")
    assert "只发表汇总结果" in page.locator("#decision-shown").inner_text()
    shoot(page, "access-5-decided")

    _switch(page, login_as, cast.company)
    page.goto(request_url)
    page.click("#grant-link")
    page.wait_for_selector("#grant-state[data-state=active]")
    assert "hba1c" in page.locator("#scope").inner_text()
    shoot(page, "access-6-grant")
    page.goto("/access/register")
    assert "糖化血红蛋白轨迹研究" in page.locator("#register").inner_text()
    shoot(page, "access-7-register")
