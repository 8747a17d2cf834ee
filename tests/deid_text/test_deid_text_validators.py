"""Check digits and calendar checks behind the pattern recognizers."""

from yizhi.deid.text.recognizers import validators as v


def test_resident_id_with_correct_check_digit_is_confident():
    assert v.cn_resident_id("11010519491231002X") == 0.99


def test_resident_id_with_wrong_check_digit_is_kept_with_lower_confidence():
    # recall first: a mistyped 身份证号 still identifies the patient
    assert v.cn_resident_id("110105194912310021") == 0.8


def test_resident_id_with_impossible_birth_date_is_rejected():
    assert v.cn_resident_id("110105194913310021") is None


def test_legacy_15_digit_id_needs_a_real_birth_date():
    assert v.cn_resident_id_legacy("110105491231002") == 0.85
    assert v.cn_resident_id_legacy("110105491331002") is None


def test_luhn_accepts_a_card_and_rejects_one_digit_off():
    assert v.luhn_card("4111 1111 1111 1111") == 0.95
    assert v.luhn_card("4111 1111 1111 1112") is None


def test_numeric_dates_reject_impossible_days():
    assert v.numeric_date("2024-02-29") == 0.9
    assert v.numeric_date("2023-02-29") is None
    assert v.numeric_date("03/14/1951") == 0.9


def test_compact_date_only_when_the_calendar_agrees():
    assert v.compact_date("20240305") == 0.6
    assert v.compact_date("20241305") is None


def test_ip_addresses_are_validated():
    assert v.ipv4("192.168.10.1") == 0.9
    assert v.ipv4("300.1.1.1") is None
    assert v.ipv6("fe80::1ff:fe23:4567:890a") == 0.9
