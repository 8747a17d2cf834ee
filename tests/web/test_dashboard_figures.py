"""The dashboard's figures and charts, per role, in both languages; each sees only its own."""

from __future__ import annotations

import re

from web_world import build


def figure(html: str, key: str) -> int:
    match = re.search(rf'data-figure="{key}">\s*<span class="figure-value">(\d+)</span>', html)
    assert match, key
    return int(match.group(1))


def bars(html: str, chart_key: str) -> dict[str, int]:
    block = re.search(rf'<svg[^>]*id="chart-[^"]*-{chart_key}".*?</svg>', html, re.S)
    assert block, chart_key
    return {label: int(value) for label, value in re.findall(r'data-label="([^"]*)" data-value="(\d+)"', block.group(0))}


def test_commission_sees_the_platform_in_chinese_and_english(api, web, cast):
    build(api, cast)
    admin = web(cast.admin)
    zh = admin.get("/?lang=zh").text
    assert figure(zh, "needs-waiting") == 1
    assert figure(zh, "orgs-pending") == 0
    by_state = bars(zh, "needs-by-state")
    assert sum(by_state.values()) == 3 and "draft" not in by_state and "草稿" in by_state
    assert bars(zh, "needs-by-category")  # categories in Chinese too
    assert "published" not in bars(zh, "needs-by-state")
    en = admin.get("/?lang=en").text
    assert set(bars(en, "needs-by-state")) >= {"draft", "submitted"} or "Draft" in str(bars(en, "needs-by-state"))
    assert "Needs by state" in en and "<table" in en  # the table beside the chart


def test_hospital_sees_its_pending_interest_and_nothing_of_the_platform(api, web, cast):
    build(api, cast)
    html = web(cast.owner).get("/?lang=en").text
    assert figure(html, "interests-pending") == 1
    assert figure(html, "datasets") == 0
    assert 'data-panel="commission"' not in html
    assert sum(bars(html, "needs-by-state").values()) == 3
    other = web(cast.outsider).get("/?lang=en").text
    assert figure(other, "interests-pending") == 0
    assert 'id="chart-org-other-hospital-needs-by-state"' not in other  # no needs: the empty text instead


def test_company_sees_new_matches_and_its_engagements(api, web, cast):
    build(api, cast)
    html = web(cast.company).get("/?lang=zh").text
    assert figure(html, "new-matches") == 1  # the published imaging need; the submitted pathology one is not public
    assert figure(html, "engagements") == 1
    assert figure(html, "submissions") == 0
    assert sum(bars(html, "engagements-by-state").values()) == 1
    assert 'data-panel="commission"' not in html and 'data-figure="interests-pending"' not in html
