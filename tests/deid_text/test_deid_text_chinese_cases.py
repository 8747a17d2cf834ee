"""The hard cases of Chinese notes the issue names, one behaviour per test."""

import pytest

from yizhi.deid.text import detect

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def spans_of(text):
    return {(s.text, s.type) for s in detect(text, "zh")}


def found_texts(text):
    return {s.text for s in detect(text, "zh")}


def test_compound_surname_is_one_name():
    assert ("欧阳明华", "NAME") in spans_of("患者欧阳明华，男，65岁，因胸闷入院。")


def test_surname_alone_before_title_keeps_the_title_outside():
    found = spans_of("张女士今日复诊，李护士测量血压。")
    assert ("张", "NAME") in found and ("李", "NAME") in found
    assert not any("女士" in text or "护士" in text for text, _ in found)


def test_clinician_title_stays_outside_the_span():
    found = found_texts("上级医师：司马光主任查房。")
    assert "司马光" in found
    assert not any("主任" in text for text in found)


@pytest.mark.parametrize("name", ["王平安", "高明", "黄海", "林立", "方圆"])
def test_names_that_are_also_words_are_found_by_context(name):
    assert name in found_texts(f"患者{name}，女，70岁。家属{name}签字。")


@pytest.mark.parametrize("term", ["帕金森病", "阿尔茨海默病", "霍奇金淋巴瘤", "高血压病"])
def test_disease_eponyms_are_not_names(term):
    assert detect(f"诊断：{term}，予对症治疗。", "zh") == []


def test_durations_doses_lab_values_and_blood_pressure_are_not_identifiers():
    text = "反复胸闷3天，2周后复查。血压150/90mmHg，心率88次/分，HBV-DNA 1234567890 IU/mL，阿司匹林100mg qd。"
    assert detect(text, "zh") == []


def test_the_year_of_an_event_in_the_history_is_a_date_and_an_edition_year_is_not():
    """GUIDELINE.md (issue 16): a year given as the date of an event in the patient's history narrows the
    timeline and is a DATE ("MI in '92", 2020年起); the year of a guideline edition or a decade is not."""
    assert [(s.text, s.type) for s in detect("2019年行冠脉支架植入术。", "zh")] == [("2019年", "DATE")]
    assert [(s.text, s.type) for s in detect("患者2019年起血压升高。", "zh")] == [("2019年", "DATE")]
    assert detect("按2019年版指南给予抗凝治疗。", "zh") == []
    assert detect("1990年代曾务农。", "zh") == []


@pytest.mark.parametrize("date", ["2024年3月5日", "3月5日", "2024.09.12", "2024-03-05", "2024/3/5"])  # a clock time after one: quality5
def test_dates_in_every_form(date):
    assert (date, "DATE") in spans_of(f"患者于{date}入院。")


def test_admission_number_that_looks_like_a_date_is_a_record_number():
    assert ("20240305", "RECORD_NUMBER") in spans_of("住院号：20240305")


def test_id_with_wrong_check_digit_is_still_an_id():
    assert ("110105194912310021", "ID_NUMBER") in spans_of("身份证号110105194912310021")


def test_phones_mobile_and_landline():
    found = spans_of("手机13812345678，座机010-87654321，传真(021)62345678")
    assert {("13812345678", "PHONE"), ("010-87654321", "PHONE"), ("(021)62345678", "PHONE")} <= found


def test_address_runs_from_city_to_room_and_postcode_is_separate():
    found = spans_of("现住址：北京市朝阳区建国路88号院3号楼2单元501室，邮编100022。")
    assert ("北京市朝阳区建国路88号院3号楼2单元501室", "ADDRESS") in found
    assert ("100022", "ZIP") in found


def test_identifying_organisations_but_not_generic_ones():
    found = found_texts("曾在上海市第六人民医院就诊，现转入我院心内科，就职于华为技术有限公司。")
    assert "上海市第六人民医院" in found and "华为技术有限公司" in found
    assert not any("我院" in text or "心内科" in text for text in found)


def test_plates_social_ids_cards_and_serials():
    found = spans_of("车牌京B·T6789，微信号 wx_zhang88，银行卡6222020200112233445，起搏器序列号 PM2024X77")
    kinds = {kind for _, kind in found}
    assert {"PLATE", "SOCIAL_ID", "BANK_CARD", "DEVICE_ID"} <= kinds


def test_age_over_89_only():
    assert ("92岁", "AGE") in spans_of("患者92岁。")
    assert detect("患者65岁。", "zh") == []


def test_pinyin_name_inside_a_chinese_note():
    assert "Zhang Wei" in found_texts("患者英文名 Zhang Wei，来自北京。")
