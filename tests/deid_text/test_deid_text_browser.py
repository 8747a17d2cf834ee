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


def test_hospital_member_scores_the_tool_on_an_uploaded_gold_file(page, cast, login_as, shoot, tmp_path):
    import json

    gold = tmp_path / "gold.jsonl"
    note = "患者张三，电话13812345678，于2024年3月5日入院。家属王先生陪护。"
    spans = [{"start": 2, "end": 4, "type": "NAME"}, {"start": 7, "end": 18, "type": "PHONE"},
             {"start": 20, "end": 29, "type": "DATE"}, {"start": 34, "end": 35, "type": "NAME"}]
    gold.write_text(json.dumps({"id": "n1", "text": note, "spans": spans}, ensure_ascii=False) + "\n", encoding="utf-8")
    login_as(page, cast.colleague)
    page.goto("/deid/text")
    page.click("#deid-evaluate-link")
    page.set_input_files("#evaluate-file", str(gold))
    page.click("#evaluate-submit")
    page.wait_for_selector("#evaluate-table")
    assert "1" in page.inner_text("#evaluate-summary")
    table = page.inner_text("#evaluate-table")
    assert "电话" in table and "1.000" in table  # type labels in Chinese, the phone found whole
    shoot(page, "deid_text_evaluate_zh")
    page.goto("/deid/text/evaluate?lang=en")
    page.set_input_files("#evaluate-file", {"name": "bad.jsonl", "mimeType": "application/json", "buffer": b"not json\n"})
    page.click("#evaluate-submit")
    assert "line 1" in page.inner_text("#evaluate-error")
