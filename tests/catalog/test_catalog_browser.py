"""In a real browser: a hospital member creates a dataset, uploads files in resumable chunks
(with progress), builds a version, reads the version page, fills the card and publishes."""

import pytest
from playwright.sync_api import expect

from catalog_helpers import FULL_CARD, LABS_CSV, NOTES_JSONL, PROFILE, run_jobs

pytestmark = pytest.mark.browser


def test_upload_ingest_version_page_and_publish(page, cast, login_as, shoot, tmp_path):
    (tmp_path / "labs.csv").write_text(LABS_CSV, encoding="utf-8")
    (tmp_path / "notes.jsonl").write_text(NOTES_JSONL, encoding="utf-8")
    login_as(page, cast.owner)
    page.goto("/datasets/new")
    page.fill("input[name=slug]", "dm-browser")
    page.fill("input[name=title]", "糖尿病门诊病历")
    page.select_option("select[name=template]", "t2dm-emr")
    page.click("#new-dataset button[type=submit]")
    page.wait_for_url("**/datasets/dm-browser")

    page.set_input_files("#upload-files", [str(tmp_path / "labs.csv"), str(tmp_path / "notes.jsonl")])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-list li[data-state=stored] >> nth=1")
    assert page.locator("#upload-list progress").count() == 2
    assert page.locator("#ingest-form input[name=upload]").count() == 2
    page.fill("textarea[name=profile]", PROFILE)
    shoot(page, "catalog_upload_zh")
    page.click("#start-ingest")
    page.wait_for_url("**/datasets/dm-browser/1")
    assert page.inner_text("#version-state") == "构建中"

    run_jobs()   # the embedded worker is off in tests: run the build here; the page polls and refreshes
    expect(page.locator("#version-state")).to_have_text("就绪", timeout=20000)
    assert page.locator("#quality svg").count() >= 2
    assert "张三" not in page.content()
    shoot(page, "catalog_version_ready_zh")

    page.fill("#card-form textarea[name=description]", FULL_CARD["description"])
    page.fill("#card-form input[name=contact_point]", FULL_CARD["contact_point"])
    page.fill("#card-form input[name=legal_basis]", "dpv:Consent")
    page.fill("#card-form input[name=purpose]", "dpv:ResearchAndDevelopment")
    page.fill("#card-form textarea[name=inclusion_criteria]", FULL_CARD["inclusion_criteria"])
    page.fill("#card-form textarea[name=reference_standard]", FULL_CARD["reference_standard"])
    page.click("#save-card")
    page.wait_for_selector(".flash.ok")
    page.click("#publish")
    expect(page.locator("#version-state")).to_have_text("已发布")
    shoot(page, "catalog_version_published_zh")

    page.goto("/catalog/dm-browser/1?lang=en")
    assert "HbA1c results" in page.inner_text("main")
    assert "<10" in page.inner_text("#public-tables")
    shoot(page, "catalog_public_card_en")
