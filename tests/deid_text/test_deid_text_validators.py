"""Check digits and calendar checks behind the pattern recognizers."""

from yizhi.deid.text.recognizers import validators as v

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


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


def test_fast_check_digits_agree_with_stdnum():
    import random

    from stdnum import luhn
    from stdnum.cn import ric

    rng = random.Random(1)
    regions = ["110105", "310101", "440305", "510107", "120101", "999999", "000000", "652901", "110000", "371000",
               "110088", "110185"]  # (the last two make stdnum raise KeyError)
    for _ in range(4000):
        body = rng.choice(regions) + str(rng.randint(1890, 2030)) + f"{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        body += f"{rng.randint(0, 999):03d}"
        number = body + (ric.calc_check_digit(body + "0") if rng.random() < 0.7 else rng.choice("0123456789X"))
        try:
            expected = ric.is_valid(number)
        except KeyError:  # stdnum's own failure on some regions: now a number that is not valid
            expected = False
        assert v._resident_id_valid(number) == expected, number
    for _ in range(4000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(13, 19)))
        assert (v._luhn_sum(digits) % 10 == 0) == luhn.is_valid(digits), digits
    assert v.luhn_card("4111 1111 1111 111١") is None  # an Arabic-Indic digit: stdnum rejects it too


def test_resident_id_where_stdnum_raises_is_judged_by_its_birth_date():
    # stdnum.cn.ric raises KeyError for regions without a county (detect() used to fail on such numbers)
    assert v.cn_resident_id("110088198001010011") == 0.8
