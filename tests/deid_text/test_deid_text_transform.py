"""Policies: redact, mask, surrogate (keyed, consistent) and date shifting that keeps intervals."""

import datetime as dt
import re

import pytest
from deid_text_corpora import labeled_texts, presidio_samples

from yizhi.deid.text import PolicyError, deidentify, detect
from yizhi.deid.text.metrics import presidio_split
from yizhi.deid.text.transform import shift_date

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

NOTE = "患者张三，电话13812345678，于2024年3月5日入院，2024年3月9日出院。"
KEY = b"k" * 32


def test_spans_point_into_the_original_text():
    result = deidentify(NOTE)
    assert result.spans
    for span in result.spans:
        assert NOTE[span.start : span.end] == span.text


def test_redact_writes_type_tags_in_the_note_language():
    assert deidentify(NOTE).text == "患者[姓名]，电话[电话]，于[日期]入院，[日期]出院。"
    assert deidentify("Seen by Dr. Smith on Jun 3, 2024.").text == "Seen by Dr. [NAME] on [DATE]."


def test_mask_keeps_length_and_hides_every_character():
    masked = deidentify(NOTE, policy="mask").text
    assert len(masked) == len(NOTE)
    assert "张三" not in masked and "13812345678" not in masked


def test_surrogates_are_consistent_under_one_key_and_differ_under_another():
    first = deidentify(NOTE, policy="surrogate", key=KEY).text
    again = deidentify(NOTE, policy="surrogate", key=KEY).text
    other = deidentify(NOTE, policy="surrogate", key=b"x" * 32).text
    assert first == again
    assert first != other
    assert "张三" not in first and "13812345678" not in first


def test_surrogate_phone_keeps_the_shape_of_a_chinese_mobile():
    text = deidentify("电话13812345678", policy="surrogate", key=KEY).text
    assert re.fullmatch(r"电话1[3-9]\d{9}", text)


@pytest.mark.parametrize("phone", ["+1 901 473 8686", "1 (901) 473-8686", "138 1234 5678"])
def test_surrogate_phone_with_eleven_digits_apart_keeps_its_layout(phone):
    # Regression: an 11-digit number starting with 1 whose digits are not contiguous crashed the
    # surrogate (and with it a whole CLI run) with a ValueError.
    text = deidentify(f"Call {phone} today.", lang="en", policy="surrogate", key=KEY).text
    replaced = text[len("Call ") : -len(" today.")]
    assert replaced != phone
    assert re.sub(r"\d", "0", replaced) == re.sub(r"\d", "0", phone)


def _dates(text):
    return [dt.date(int(y), int(m), int(d)) for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)]


def test_date_shift_keeps_intervals_for_one_patient():
    shifted = deidentify(NOTE, policy="surrogate", key=KEY, patient_id="p-1").text
    before, after = _dates(NOTE), _dates(shifted)
    assert len(after) == 2
    assert after != before
    assert (after[1] - after[0]) == (before[1] - before[0])


def test_each_patient_gets_their_own_offset():
    offsets = set()
    for patient in ("p-1", "p-2", "p-3", "p-4"):
        after = _dates(deidentify(NOTE, policy="surrogate", key=KEY, patient_id=patient).text)
        offsets.add((after[0] - _dates(NOTE)[0]).days)
    assert len(offsets) > 1
    assert 0 not in offsets


@pytest.mark.parametrize(
    "value, days, expected",
    [
        ("2024年3月5日", 1, "2024年3月6日"),
        ("2024-03-05 07:35", -5, "2024-02-29 07:35"),
        ("03/14/1951", 20, "04/03/1951"),
        ("Jun 3, 2024", 30, "July 3, 2024"),
        ("3月5日", 365, "3月5日"),  # leap reference year 2000: +365 days lands on 2001-03-05
        ("20240305", 1, "20240306"),
    ],
)
def test_shift_date_formats(value, days, expected):
    assert shift_date(value, days) == expected


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(PolicyError, match="unknown policy 'blur'"):
        deidentify(NOTE, policy="blur")


def test_unknown_language_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        detect(NOTE, lang="fr")


def test_auto_language_detection():
    assert deidentify("患者张三入院。").lang == "zh"
    assert deidentify("Patient John Smith admitted.").lang == "en"


def test_empty_text_has_no_spans():
    assert deidentify("").text == "" and deidentify("   ").spans == []


def test_surrogates_stay_consistent_under_concurrent_requests():
    from concurrent.futures import ThreadPoolExecutor

    notes = [f"患者张{c}，电话1381234567{i % 10}。" for i, c in enumerate("一二三四五六七八")]
    expected = [deidentify(n, policy="surrogate", key=KEY).text for n in notes]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            got = list(pool.map(lambda n: deidentify(n, policy="surrogate", key=KEY).text, notes))
            assert got == expected


def _dev_texts():
    # presidio's dev sentences add foreign phones, addresses and cards where ../shared is present
    return [*labeled_texts("zh_dev"), *labeled_texts("en_dev"),
            *(sample["full_text"] for sample in presidio_samples() if presidio_split(sample["template_id"]) == "dev")]


@pytest.mark.parametrize("policy", ["redact", "mask", "surrogate"])
def test_every_policy_transforms_every_dev_note(policy):
    """Each policy on every dev note (and presidio's dev sentences): no crash (one value the surrogate
    code did not expect used to fail a whole CLI run), every identifier replaced, none by itself."""
    for index, text in enumerate(_dev_texts()):
        result = deidentify(text, policy=policy, key=KEY, patient_id=f"p{index % 5}")
        spans = sorted(result.spans, key=lambda span: span.start)
        assert len(result.replacements) == len(spans)
        for span, replacement in zip(spans, result.replacements):
            assert replacement != span.text, (index, span)
            if policy == "mask":
                assert len(replacement) == len(span.text) and not any(ch.isalnum() for ch in replacement), (index, span)
            elif policy == "redact":
                assert re.fullmatch(r"\[[^\]]+\]", replacement), (index, span)
