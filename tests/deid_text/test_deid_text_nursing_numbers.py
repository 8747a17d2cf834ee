"""Regressions for the numeric identifiers of telegraphic English nursing notes (issue 16, branch en-recall),
each on a sentence written here by hand: ages over 89 written telegraphically, pagers and phones with odd
separators, lower-case street addresses, prefixed record numbers, dashed month-days after a study, a history
year before a full stop, and a clock time cut off a date (GUIDELINE.md) — and what must stay."""

import pytest

from yizhi.deid.text import detect

pytestmark = pytest.mark.db_independent

NOTE = "NURSING PROGRESS NOTE\nPt in MICU, afebrile, on lasix prn.\n"  # a clinical note (english.clinical_context)


def found(line: str) -> dict[str, str]:
    text = NOTE + line
    return {span.text: span.type for span in detect(text, "en") if span.start >= len(NOTE)}


@pytest.mark.parametrize("line, age", [
    ("93M fall down stairs, SDH.", "93"),  # an age and a sex letter at a line's head
    ("pt 95yoF from home.", "95"),
    ("94yoF from NH w/ fever.", "94"),
    ("95 y.o. female, DNR.", "95"),
    ("pt is 91, came in w/ PNA.", "91"),  # an age said of the patient, the number ending the clause
    ("she is 94. lives alone.", "94"),
    ("pt's bday 4/12, turning 92.", "92"),
])
def test_ages_over_89_written_telegraphically(line, age):
    assert found(line).get(age) == "AGE", found(line)


@pytest.mark.parametrize("line", [
    "pt is 78, came in w/ PNA.",  # (ages under 90 are no identifier)
    "pt is 92% on RA, placed on 2L.",
    "Tmax 99F, BP 90s/50s.",
    "pt is 96 on 2L NC.",
    "turned 90 degrees to L side q2h.",
])
def test_no_age_from_saturations_temperatures_or_younger_ages(line):
    assert not any(kind == "AGE" for kind in found(line).values()), found(line)


@pytest.mark.parametrize("line, record", [
    ("Unit No: 2231947.", "2231947"),
    ("Unit #: 3318840", "3318840"),
    ("MR# 04418823", "04418823"),
    ("Med rec # 3345122", "3345122"),
    ("adm # A2231 on face sheet", "A2231"),
    ("Reg #: 5567721", "5567721"),
])
def test_record_numbers_after_the_prefixes_nurses_write(line, record):
    assert found(line).get(record) == "RECORD_NUMBER", found(line)


@pytest.mark.parametrize("line, address", [
    ("pt lives at 22 elm st w/ wife.", "22 elm st"),
    ("son lives at 9 hancock rd, Milton.", "9 hancock rd"),
    ("d/c home to 118 w broadway.", "118 w broadway"),
    ("home: 14 beacon street apt 3", "14 beacon street apt 3"),
    ("pt lives @ 14 oak rd.", "14 oak rd"),
    ("lives in an apt at 7 cedar lane.", "7 cedar lane"),
])
def test_street_addresses_written_in_lower_case_after_a_residence_cue(line, address):
    spans = found(line)  # (the town after it may join the address: "9 hancock rd, Milton")
    assert any(value.startswith(address) and kind == "ADDRESS" for value, kind in spans.items()), spans


def test_no_address_without_a_residence_cue_or_past_the_street_word():
    for line in ("given 2 tabs po at 2 pm, dr aware.", "d/c home in 2 days per dr.", "home 2 wks s/p ct.",
                 "foley d/c'd, pt home 2 days w/ line in place."):
        assert not any(kind == "ADDRESS" for kind in found(line).values()), line
    spans = found("Jacob lives on 90 Whitchurch Road street.")  # (the name's own words end at "Road")
    assert not any("street" in value for value in spans), spans


@pytest.mark.parametrize("line, phone", [
    ("call her at 617/555-0102 if any change.", "617/555-0102"),
    ("RT pager #40716.", "40716"),
    ("pgr for GI fellow PG 55270, paged at 0330.", "55270"),
    ("wife [cell] (617) 5550147.", "(617) 5550147"),
    ("Pager #: 7-1234", "7-1234"),
    ("paged Dr. Lee at 53211, no callback.", "53211"),
    ("Page resident @ 34567 with results.", "34567"),
    ("call 5-1234 with questions.", "5-1234"),
    ("resp therapist pgr 4432.", "4432"),  # four digits after the pager's name
    ("beeper # 4432 for nsgy.", "4432"),  # a hospital extension after a calling cue
    ("reach daughter at 5-1234.", "5-1234"),
])
def test_phones_and_pagers_with_odd_separators(line, phone):
    assert found(line).get(phone) == "PHONE", found(line)


@pytest.mark.parametrize("line, date", [
    ("admitted 3-14 w/ CP. r/o MI x3 neg. stress test 3-15 neg.", "3-15"),  # a dashed month-day after a study
    ("echo 3-15: EF 55%.", "3-15"),
    ("PMH: CVA 2009, MI in '92, s/p cabg 99.", "99"),  # a history year before a full stop
    ("EKG 7/21 NSR, no ectopy.", "7/21"),  # ("NSR" is no "NS" of "1/2 NS")
    ("7/21 CCU admit for NSTEMI.", "7/21"),
    ("cx 7/21 NGTD.", "7/21"),  # (no count of culture bottles)
    ("coumadin held 7/20-21 for procedure.", "7/20"),  # a month/day and a later day
    ("coumadin held 7/20-21 for procedure.", "21"),
    ("s/p inferior STEMI 10.2, taken to cath lab.", "10.2"),  # a dotted month.day after an event
    ("Admitted 12.07 from home.", "12.07"),
])
def test_dates_in_clinical_context(line, date):
    assert found(line).get(date) == "DATE", found(line)


@pytest.mark.parametrize("line", ["rib fx 4-7 L, epidural.", "HR 80-90, BP 110-120.", "IVIG day 3/5.",
                                  "CPAP 5/5 FiO2 35%.", "WBC 10.2, Hct 29.1.", "D5 1/2 NS at 100.", "1/2NS at 75/hr.",
                                  "bcx 2/4 GPC.", "PS 10/5-8 overnight.", "tylenol 1/2-1 tab prn.",
                                  "s/p cabg 2.5 wks ago.", "since 1.5L bolus, UOP up.", "Cr 1.4 (adm 1.2)."])
def test_ranges_scores_and_lab_values_are_no_dates(line):
    assert not any(kind == "DATE" for kind in found(line).values()), found(line)


def test_a_clock_time_after_a_page_or_a_range_after_a_call_is_no_phone():
    assert found("paged resident at 0300, came to bedside.") == {}
    assert found("UOP 0-1500 overnight, will call team.") == {}


def test_clock_time_after_a_state_code_is_no_zip():
    assert found("POD0 CABG. Arrived from OR 1420, Epi 0.02.") == {}


def test_a_clock_time_leaves_the_date_span_in_a_clinical_note_only():
    spans = found("Seen 2024-03-05 14:30 by cards.")
    assert spans.get("2024-03-05") == "DATE" and not any("14:30" in value for value in spans), spans
    general = "When: 2000-04-16 11:34:35\nWhere: the Country Club."  # (general text: one DATE_TIME, as presidio labels it)
    assert "2000-04-16 11:34:35" in {span.text for span in detect(general, "en")}


def test_generated_english_sets_label_dates_without_their_clock_time():
    from yizhi.deid.text.evalset import generate_en

    notes = generate_en("dev", 16)
    dates = [note["text"][s["start"]:s["end"]] for note in notes for s in note["spans"] if s["type"] == "DATE"]
    assert dates and not any(":" in value for value in dates)
    assert any(":" in note["text"][s["end"]:s["end"] + 6] for note in notes for s in note["spans"] if s["type"] == "DATE")
