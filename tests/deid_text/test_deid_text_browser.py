"""A hospital member pastes a note in a real browser and sees the identifiers highlighted."""

import pytest

pytestmark = pytest.mark.browser


def test_colleague_pastes_a_note_and_sees_highlights(page, cast, login_as, shoot):
    login_as(page, cast.colleague)
    page.goto("/deid/text")
    page.fill("#deid-text", "患者欧阳明华，女，92岁，于2024年3月5日入院。家属：张三，电话13812345678。")
    page.click("#deid-submit")
    page.wait_for_selector("#deid-result")
    marks = page.locator("#deid-original mark.phi")
    assert marks.count() >= 5
    highlighted = set(marks.all_inner_texts())
    assert {"欧阳明华", "92岁", "2024年3月5日", "张三", "13812345678"} <= highlighted
    result = page.inner_text("#deid-result")
    assert "[姓名]" in result and "欧阳明华" not in result and "13812345678" not in result
    assert page.input_value("#deid-text").startswith("患者欧阳明华")  # the pasted note stays in the form
    shoot(page, "deid_text_page_zh")


def test_surrogate_choice_in_english(page, cast, login_as):
    login_as(page, cast.owner)
    page.goto("/deid/text?lang=en")
    page.fill("#deid-text", "Seen by Dr. Margaret Okafor on Jun 3, 2024. Call (617) 555-1234.")
    page.select_option("#deid-policy", "surrogate")
    page.click("#deid-submit")
    page.wait_for_selector("#deid-result")
    result = page.inner_text("#deid-result")
    assert "Okafor" not in result and "555-1234" not in result and result.startswith("Seen by Dr. ")
    assert "identifiers found" in page.inner_text("#deid-summary")
