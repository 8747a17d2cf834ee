"""In headless Chromium (zh-CN): anyone audits the ledger page, looks up an entry and its proof;
a hospital owner registers the hospital's witness through the form."""

import pytest

from yizhi.ledger.note import generate_signer

pytestmark = pytest.mark.browser


def test_public_ledger_page_lookup_and_witness_registration(page, cast, api, login_as, shoot):
    status = api().get("/api/v1/ledger").json()
    api(cast.admin).post("/api/v1/ledger/checkpoint")

    page.goto("/ledger")
    assert "存证" in page.locator("h1").inner_text()
    assert page.locator("[data-fingerprint]").inner_text() == status["fingerprint"]
    assert page.locator("[data-checkpoint]").inner_text().startswith(status["origin"])
    page.fill("#index", "1")
    page.click("#lookup button[type=submit]")
    page.wait_for_selector("[data-audit-path]")
    entry = api().get("/api/v1/ledger/entries/1").json()
    assert page.locator("[data-leaf-hash]").inner_text() == entry["leaf_hash"]
    assert page.locator("a[download]").get_attribute("href") == "/api/v1/ledger/entries/1/receipt"
    shoot(page, "ledger-public-lookup")

    login_as(page, cast.owner)
    page.goto("/ledger#witnesses")
    key = generate_signer("witness.browser.test", "cosignature/v1").verifier.vkey
    page.fill("#vkey", key)
    page.click("form[action='/ledger/witnesses'] button[type=submit]")
    page.wait_for_selector("#witnesses td.mono")
    assert "witness.browser.test" in page.locator("#witnesses").inner_text()
    shoot(page, "ledger-witness-registered")
