"""In Chromium: the grantee builds a crosstab on the grant page and sees the table, the chart and the
suppressed cells marked; the owner's rules page."""

from __future__ import annotations

import pytest
from space_helpers import grant_on, version_of

from space_data import synthetic_tables

pytestmark = pytest.mark.browser


@pytest.fixture
def granted(cast):
    from yizhi.db import session_scope

    with session_scope() as db:
        version = version_of(db, "emr-browser", synthetic_tables())
        grant = grant_on(db, cast, version, epsilon=1.0)
        grant.title = "糖尿病研究"
        return grant.id


def test_query_builder_in_the_browser(page, login_as, shoot, cast, granted):
    login_as(page, cast.company)
    page.goto(f"/space/grants/{granted}")
    page.select_option("select[name=table]", "patients")
    page.select_option("select[name=op]", "crosstab")
    page.fill("input[name=rows]", "ward")
    page.fill("input[name=columns]", "sex")
    page.click("#builder button[type=submit]")
    page.wait_for_selector("#result[data-status=released]")
    assert page.locator("#result svg").count() == 1
    assert page.locator("#result td[data-suppressed]").count() >= 2      # the rare ward's cells
    assert page.locator("#result svg rect[data-suppressed]").count() >= 2
    shoot(page, "space-query-crosstab")
    page.select_option("select[name=op]", "count")
    page.fill("input[name=rows]", "")
    page.fill("input[name=columns]", "")
    page.check("input[name=dp]")
    page.fill("#epsilon", "0.3")
    page.click("#builder button[type=submit]")
    page.wait_for_selector("#result[data-status=released]")
    assert page.locator("[data-epsilon-left]").inner_text() == "0.7"
    shoot(page, "space-query-dp-history")


def test_owner_rules_page_in_the_browser(page, login_as, shoot, cast, granted):
    login_as(page, cast.owner)
    page.goto("/space/datasets/emr-browser")
    page.fill("#round_to", "5")
    page.click("#rules button[type=submit]")
    page.wait_for_selector("#round_to[value='5']")
    shoot(page, "space-dataset-rules")
