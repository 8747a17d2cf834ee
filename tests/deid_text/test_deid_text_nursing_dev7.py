"""Regressions for the rules of issue 16's en-nursing7 round (english_dates.py, english_numbers.py,
english_nursing_names.py, the all-capitals edges in english_clean.py), each on a sentence written here by
hand, not taken from the dev sets: ordinal days, month-name ranges, months alone and holidays in
telegraphic notes (and not in dictated prose); a street address's town and ZIP; streets named after "on";
record numbers a few words after their label; hospitals, services and employers by their form; the
ordinary words at the edges of an all-capitals span — and what must stay."""

import pytest

from yizhi.deid.text import detect
from yizhi.deid.text.recognizers.english_dates import telegraphic

from nursing_lines import NOTE, covered, removed

pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("line, value", [
    ("pt c/o CP since the 9th, worse today.", "9th"),
    ("foley placed on the 21st per OSH records.", "21st"),
    ("dtr says pt was at baseline until the 2nd", "2nd"),
    ("held at OSH Nov 4th-6th for syncope.", "6th"),
    ("held at OSH Nov 4-6 for syncope.", "6"),
    ("Cr 0.9 back in Aug, now 2.4.", "Aug"),
    ("pt fell at home on Christmas eve, no LOC.", "Christmas eve"),
])
def test_dates_telegraphic_notes_write_without_a_month_number(line, value):
    assert covered(line, value), removed(line)


@pytest.mark.parametrize("line, kept", [
    ("seen for the 2nd time this wk for falls.", "2nd"),
    ("pt moved to bed 4 on the 3rd floor.", "3rd"),
    ("pain at the 5th rib, splinting.", "5th"),
    ("in May be able to wean further.", "May"),
    ("2/2 bleeding from trach site, surgicel applied.", "2/2"),
    ("hypotension 2/2 sepsis, levophed up.", "2/2"),
    ("I/O +1200/-800 for shift.", "+1200"),
])
def test_counts_and_shorthand_stay(line, kept):
    assert not any(kept in text for text in removed(line)), removed(line)


def test_ordinal_days_and_months_alone_stay_in_dictated_prose():
    prose = ("The patient is a pleasant woman who was seen here originally on the 13th with a headache. "
             "Her creatinine was 1.2 in December. She denies chest pain or dyspnea. ") * 2
    assert not telegraphic(prose)
    assert not any(span.type == "DATE" for span in detect(prose, "en"))
    assert telegraphic(NOTE + "pt w/ fever, abx started.")


@pytest.mark.parametrize("line, values", [
    ("lives alone at 48 Quarry St, Braintree, 02184, 2nd floor.", ["48 Quarry St", "Braintree", "02184"]),
    ("home: 7 linden ave apt 2, medford", ["7 linden ave apt 2", "medford"]),
    ("pt rents a room on Wollaston Ave w/ a friend.", ["Wollaston Ave"]),
])
def test_an_address_with_its_town_zip_and_a_street_named_alone(line, values):
    for value in values:
        assert covered(line, value), (value, removed(line))


def test_a_town_after_an_address_rule_does_not_retype_the_address():
    text = "Contact: 7512 Day Drive, Bradleyton, GU 88987 for records."
    found = [span for span in detect(text, "en") if "Day Drive" in span.text]
    assert found and all(span.type == "ADDRESS" for span in found)


@pytest.mark.parametrize("line, value", [
    ("MRN at Tufts: 50661203, chart requested.", "50661203"),
    ("insurance call ref # QX40917 for auth.", "QX40917"),
])
def test_record_numbers_a_few_words_after_their_label(line, value):
    assert covered(line, value), removed(line)


def test_a_lot_reference_is_no_record():
    line = "Implants used: two 4.5 anchors, reference #ZK0300871, lot #01447."
    assert "ZK0300871" not in removed(line, "OPERATIVE NOTE\n")


@pytest.mark.parametrize("line, value", [
    ("pt accepted to Framingham Union neuro ICU.", None),  # (no "General": nothing to read by form)
    ("pt went to Norwood General ED last month.", "Norwood General"),
    ("OSH: Anna Jaques, CT head neg there.", "Anna Jaques"),
    ("BIBA Armstrong from home, found down.", "Armstrong"),
    ("transported by Lifestar, arrived 0300.", "Lifestar"),
    ("pt had PPM placed at LGH 2011.", "LGH"),
    ("pt volunteers at Our Lady of Sorrows.", "Our Lady of Sorrows"),
    ("wife works as a cashier at Market Basket in Tewksbury.", "Market Basket"),
])
def test_hospitals_services_and_employers_by_form(line, value):
    if value is not None:
        assert covered(line, value), removed(line)


@pytest.mark.parametrize("line, kept", [
    ("Surgeon General warning on pack noted by pt.", "Surgeon"),
    ("recovering from SDH, neuro checks q1h.", "SDH"),
    ("NGT to LIS, 200cc out.", "LIS"),
    ("per Cardiology, hold heparin.", "Cardiology"),
])
def test_offices_conditions_and_services_stay(line, kept):
    assert not any(kept in text for text in removed(line)), removed(line)


def test_two_facilities_joined_by_and_are_two_spans():
    found = removed("screened by Fairview Commons and Harbor House Rehab today.")
    assert not any(" and " in text for text in found), found


@pytest.mark.parametrize("line, name, dropped", [
    ("PT'S SON GERALD CALLED FOR UPDATE AT 2200.", "GERALD", "CALLED"),
    ("HUSBAND WALTER IN TO VISIT, QUESTIONS ANSWERED.", "WALTER", "VISIT"),
    ("PT TRANSFERRED FROM NORWOOD HOSP ON 3/3.", "NORWOOD HOSP", "TRANSFERRED"),
])
def test_an_all_capitals_name_without_the_words_around_it(line, name, dropped):
    assert covered(line, name), removed(line)
    assert not any(dropped in text for text in removed(line)), removed(line)


@pytest.mark.parametrize("line, name, role", [
    ("pt's sig other glenn at bedside.", "glenn", None),
    ("bf tyrone called, updated.", "tyrone", None),
    ("Great-niece Marisol is HCP.", "Marisol", "Great-niece"),
    ("CNA dolores assisted w/ bath.", "dolores", None),
    ("found by PCT Okafor at 0300.", "Okafor", "PCT"),
    ("Drs. Patel/Nguyen at bedside for family mtg.", "Nguyen", "Drs"),
])
def test_relations_roles_and_doctors(line, name, role):
    assert covered(line, name), removed(line)
    if role is not None:
        assert not any(role in text for text in removed(line)), removed(line)


@pytest.mark.parametrize("line, value", [
    ("s/p AVR x2 3/9, doing well.", "3/9"),  # (a count before a date is no mixed fraction)
    ("s/p lap appy 10-14 at OSH.", "10-14"),
    ("pt reached at work (Harbor Freight Tools), will come after.", "Harbor Freight Tools"),
])
def test_dates_after_a_count_or_history_cue_and_employers_in_brackets(line, value):
    assert covered(line, value), removed(line)


def test_a_mixed_fraction_stays():
    assert not any("1/2" in text for text in removed("give 1 1/2 tabs of senna qhs."))


def test_a_social_workers_signature():
    line = "SW will call the shelter in am.\nT. Whitcomb, MSW"
    assert covered(line, "T. Whitcomb"), removed(line)
