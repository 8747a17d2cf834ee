"""Regressions for the seventh round of issue 16's English rules (branch en-dates): slash pairs that are
grades, fractions, pressures, counts or device settings, not month/day dates; each phenomenon on a
sentence written here by hand, beside the nursing-note dates that must stay removed."""

import pytest

from yizhi.deid.text import detect

# Two clinical words make a note clinical (english.clinical_context), where the precision rules apply.
CLINICAL = "Pt afebrile, on lasix prn. "


def found(text: str) -> dict[str, str]:
    return {span.text: span.type for span in detect(CLINICAL + text, "en")}


@pytest.mark.parametrize("sentence, value", [
    ("Motor: 5/5 BUE, LE: 4+/5- prox, 5/5 distal to hips.", "5/5"),  # a grade with a sign near it
    ("Upper extremity is +4/5.  Lower extremity is 3/5.  Tone normal.", "3/5"),
    ("Right lower extremity is 4/5, left is normal.", "4/5"),  # an exam word near a proper fraction
    ("Grip 4/5 on the left.", "4/5"),
    ("Catheter in the atrium where the right atrial pressure was 10/7 mmHg.", "10/7"),  # a pressure
    ("Right atrial pressures were 12/8 on the pullback.", "12/8"),
    ("Gleason score 4+3 with 85% burden and 8/12 cores positive.", "8/12"),  # counted cores
    ("She is 11 inches in the right biceps, 10 1/2 in the left.", "1/2"),  # a mixed fraction, two digits
    ("He is able to walk approximately a 1/2-mile a day.", "1/2"),  # a unit joined by a hyphen
    ("Tonsil removed with Coblation Evac Xtra Wand on 7/3.  Hemostasis obtained.", "7/3"),  # a power setting
    ("Adenoid removed with the coblator at 9/5 without bleeding.", "9/5"),
    # (from seeds 7, 11, 29 and 83 of unannotated MTSamples reports)
    ("RIGHT LOWER EXTREMITY: Knee extension 5/5, hip flexion 5/5, knee flexion 4/5.", "4/5"),  # by movement
    ("CN: Pupils 4/2 decreasing to 3/1 on exposure to light.", "3/1"),  # a constricted pupil
    ("Meds: 1. Diovan 320/12.5 daily. 2. Lotrel 10/20 daily.", "10/20"),  # a drug's strength, then a frequency
    ("He was on 3/4 L of oxygen at home.", "3/4"),  # litres of oxygen after "on"
    ("He has 3/3 object registration and 1/3 recall in 5 minutes.", "3/3"),
    ("Qualitative amniotic fluid volume is 8/8 on the biophysical profile.", "8/8"),
])
def test_a_grade_a_fraction_or_a_setting_is_no_date(sentence, value):
    assert value not in found(sentence)


@pytest.mark.parametrize("sentence, value", [
    ("EKG 7/21 NSR, no acute changes.", "7/21"),
    ("cx 7/21 NGTD, cont vanc.", "7/21"),
    ("Pt admitted 7/21 with CHF exacerbation.", "7/21"),
    ("on 7/21 pt extubated to 4L NC.", "7/21"),
    ("Placed on vent on 5/5 after arrest.", "5/5"),  # "on" after no device: a date
    ("Strength 5/5 all ext. Seen in clinic 5/4, f/u 6/1.", "5/4"),  # a date near a grade
    ("Walked 1/2 mile. Last BM 3/12.", "3/12"),
    ("Wand placed 7/3 per ENT.", "7/3"),
    ("Lipid profile 7/21: LDL 130.", "7/21"),
    ("Pressure ulcer on sacrum noted 7/21.", "7/21"),
])
def test_month_day_dates_in_nursing_notes_stay(sentence, value):
    assert found(sentence).get(value) == "DATE"


@pytest.mark.parametrize("sentence, value", [
    ("She was transferred to Methodist for further care.", "Methodist"),  # a move cue before
    ("Kidney biopsy to be performed closer to home at Ochsner where his family is.", "Ochsner"),  # "where" after
    ("Referred to Mayo for evaluation of the mass.", "Mayo"),
])
def test_a_hospital_the_lexicon_knows_is_taken_when_the_context_names_an_institution(sentence, value):
    assert found(sentence).get(value) == "ORGANIZATION"


@pytest.mark.parametrize("sentence, value", [
    ("Instruments were passed to Mayo stand.", "Mayo"),  # a noun after it: a thing
    ("The patient was then transferred to Recovery in stable condition.", "Recovery"),  # written in lower case too
    ("He presented to Dr. Y's office with a rash.", "Dr"),  # a title
    ("He recently made a trip to California where he visited family.", "California"),  # a state stays
    ("Dressing was switched to Xeroform for further healing.", "Xeroform"),  # no move: a product
])
def test_a_lexicon_word_without_an_institution_context_stays(sentence, value):
    assert value not in found(sentence)


@pytest.mark.parametrize("sentence, value", [
    ("MRI: Arnold Chiari II with syrinx: severe basilar invagination.", "Arnold Chiari II"),  # a type
    ("Hunt Hess III subarachnoid hemorrhage on CT.", "Hunt Hess III"),
])
def test_an_eponymous_grade_is_no_name(sentence, value):
    assert value not in found(sentence)


def test_a_name_with_a_generation_suffix_stays():
    assert found("Mr. John Smith III was seen in clinic today.").get("John Smith III") == "NAME"


def test_a_full_date_heading_an_entry_is_no_ventilator_setting():
    note = "Replete K+, start TPN, decrease TV, review ABGs,4/18/01:,S: Sedated and intubated, vent AC 500/14/5."
    spans = found(note)
    assert spans.get("4/18/01") == "DATE" and "500/14/5" not in spans


def test_a_phone_extension_near_a_date_leaves_it_a_date():
    assert found("Daughter called from work, extension 233, visited 5/6.").get("5/6") == "DATE"


@pytest.mark.parametrize("sentence, value, kept", [
    ("I proceeded manually to withdraw 2000 mL of a light milky fluid. Hysterectomy in 1986.", "2000", "1986"),
    ("Basal energy expenditure 1960 x 1.44 activity factor. Cholecystectomy in 1976.", "1960", "1976"),
])
def test_an_amount_is_no_year(sentence, value, kept):
    spans = found(sentence)
    assert value not in spans and spans.get(kept) == "DATE"
