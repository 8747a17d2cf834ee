"""Regressions for issue 16's third English precision round (branch en-precision3): the phenomena of the
TUNE sample of bench/deid_text_review.py, each on a sentence written here by hand, beside the identifiers of
the same shape that must stay removed."""

import pytest

from yizhi.deid.text import detect

# Two clinical words make a note clinical (english.clinical_context), where the precision rules apply.
CLINICAL = "Pt afebrile, on lasix prn. Hemostasis was obtained. "


def found(text: str) -> dict[str, str]:
    return {span.text: span.type for span in detect(CLINICAL + text, "en")}


def removed(text: str, value: str) -> bool:
    """Is any character of ``value`` inside a predicted span?"""
    full = CLINICAL + text
    start = full.index(value)
    return any(span.start < start + len(value) and start < span.end for span in detect(full, "en"))


@pytest.mark.parametrize("sentence, value", [
    ("Her previous treatments included Zometa, Faslodex, and Aromasin.", "Aromasin"),  # drugs joined by "and"
    ("Adjuvant chemotherapy with cisplatin, Adriamycin, and Abraxane.", "Abraxane"),
    ("He states he rode to Massachusetts and Maine to pick up clients.", "Maine"),  # states
    ("We followed the IgM, IgG, and IgA being less than 10.", "IgA"),  # mixed-case abbreviations
])
def test_a_list_of_clinical_words_drugs_or_states_is_no_organisation(sentence, value):
    assert not removed(sentence, value)


def test_a_list_of_people_stays():
    assert removed("She lives with her daughters, Ruby and Camilla, in town.", "Camilla")


def test_a_company_named_by_a_plural_stays_in_general_text():
    assert detect("The hosting contract is with Amazon Web Services from next year.", "en")


@pytest.mark.parametrize("sentence, value", [
    ("Do you find that Ms. Xxxxx's injury is caused by natural deterioration?", "Xxxxx"),
    ("Records reviewed: Z physician review; Y office notes; X office notes.", "Y"),
])
def test_the_transcriptions_stand_ins_are_no_identifiers(sentence, value):
    assert not removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("At this point, curved Masterson was used to incorporate the ligament.", "Masterson"),  # a shape word
    ("Straight Masterson was then used to incorporate the uterosacral ligament.", "Masterson"),
    ("Surveillance endoscopy for Barrett in 3 years.", "Barrett"),  # a surname alone: an eponym
    ("Intraocular lens implantation, left eye (Alcon AcrySof, 23.0 D).", "AcrySof"),  # a product
    ("2.  Cordis Vista Brite Tip 6Fr JR 4.0", "Cordis"),  # a size after it
    ("Her MS Contin dose is 150 mg every 8 hours.", "Contin"),  # MS in capitals, no full stop
])
def test_a_capitalised_run_with_no_name_evidence_in_a_clinical_note_is_no_name(sentence, value):
    assert not removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("Natalie was placed under general anesthetic by the team.", "Natalie"),  # a given name alone
    ("He has been going to support groups with Lynn Holmberg in town.", "Holmberg"),
    ("The patient had discussed this issue with Dr. Trask at length.", "Trask"),  # a title
    ("Patient has been following with Ms. Diener for her care.", "Diener"),
    ("0800: Frey alert and oriented x3. BP 150/90.", "Frey"),  # the subject of a sentence
])
def test_a_name_with_evidence_stays(sentence, value):
    assert removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("The tendon was dissected up to Whitnall's tubercle.", "Whitnall"),  # a move cue, then a structure
    ("Ten pound traction was placed via Gardner-Wells tongs.", "Gardner"),
    ("He was seen in Neuroopthalmology Clinic and found to have recovery.", "Neuroopthalmology"),  # a department
    ("I saw him back in Neuro-Oncology Clinic today.", "Oncology"),
    ("She was seen by ENT urgently for epistaxis.", "ENT"),  # a service
    ("He lost a son to SIDS over seven years ago.", "SIDS"),  # a disease
    ("She was referred to Community Mental Health Agencies on discharge.", "Agencies"),  # a plural kind
    ("She recently retired from State of Pennsylvania as an aide.", "Pennsylvania"),  # a state
])
def test_structures_departments_services_and_states_are_no_organisations(sentence, value):
    assert not removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("He was transferred to UIHC for an electrophysiology study.", "UIHC"),
    ("She was taken to Bellaire Hospital for 10 days.", "Bellaire"),
    ("Refer over to Scotland Orthopedics for the knee.", "Scotland"),
])
def test_named_institutions_stay(sentence, value):
    assert removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("General Exam: 2/6 SEM at left sternal border.", "2/6"),  # a murmur
    ("Upper extremities: 5/5 proximally, 5/4 @ elbow/wrist/hand.", "5/4"),  # strength
    ("Reflexes 1+ throughout. 2/2 archilles. Plantar responses flexor.", "2/2"),
    ("Color plate testing scores: 6/14 OD and 10/14 OS.", "10/14"),
    ("He rated himself 4/7 on the Stanford Sleepiness Scale.", "4/7"),
    ("There was a 1/2 atrophy of the left calf.", "1/2"),  # a fraction
    ("PMH: 1) Headaches for 3-4 years.", "3-4"),  # a range before a duration
])
def test_a_score_a_fraction_or_a_duration_is_no_date(sentence, value):
    assert not removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("CXR (12/8): Normal heart size.", "12/8"),
    ("He was last seen in 10/96 in clinic.", "10/96"),
    ("Seen in clinic 5/4, f/u 6/1.", "5/4"),
])
def test_month_day_and_month_year_dates_stay(sentence, value):
    assert found(sentence).get(value) == "DATE"


@pytest.mark.parametrize("sentence, value", [
    ("An SN60WS diopter intraocular lens was inserted.", "60WS"),  # inside a letter token
    ("Lens placed (Alcon AcrySof, SN60AT, 23.0 D).", "SN60AT"),  # before a lens power
    ("A PG 2960 BPX Genesis stent was deployed.", "2960"),  # before a device noun
    ("She was transferred to Operating Suite #1 on the gurney.", "Suite #1"),  # a numbered room
    ("MEDICAL RECORD#: 123, seen today.", "123"),  # a stand-in record number
])
def test_model_numbers_rooms_and_stand_in_numbers_are_no_identifiers(sentence, value):
    assert not removed(sentence, value)


@pytest.mark.parametrize("sentence, value", [
    ("CM Shauna x63340 following.", "63340"),  # a phone extension after "x"
    ("Please call the office at 327-8850 with questions.", "327-8850"),
    ("Serial number 864414 recorded for the implant log.", "864414"),
])
def test_extensions_phones_and_serials_stay(sentence, value):
    assert removed(sentence, value)
