"""Regressions for the fourth round of issue 16's context rules (branch deid-quality), each on a sentence
written here by hand: what must be removed, and what must stay (drugs, devices, units, scores, eponyms)."""

import pytest

from yizhi.deid.text import detect

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

# Two clinical words make a note clinical (english.clinical_context), where the precision rules apply.
CLINICAL = "Pt afebrile, on lasix prn. "


def found(text: str, lang: str = "en") -> dict[str, str]:
    return {span.text: span.type for span in detect(text, lang)}


@pytest.mark.parametrize("sentence, name", [
    ("HCP is son abe.", "abe"),  # (the relation after "HCP is" is read at "son", not at "HCP is")
    ("Daughter- CARMEN aware of plan.", "CARMEN"),
    ("Dtr Noreen will bring in glasses.", "Noreen"),
    ("Her partner Jordan called twice.", "Jordan"),  # (a name that is also a country, after a relation)
    ("His daughter, Patty summarized it best.", "Patty"),
])
def test_names_after_relation_words_without_the_relation_or_the_verb(sentence, name):
    spans = found(CLINICAL + sentence)
    assert spans.get(name) == "NAME", spans
    assert not any(name in text and text != name for text in spans), spans


@pytest.mark.parametrize("sentence, verb", [
    ("Her daughter waxes and wanes in her attention.", "waxes"),
    ("The neighbor suspects that this started last week.", "suspects"),
    ("Her first husband threw her down the stairs.", "threw"),
    ("His daughter adds some detail to the history.", "adds"),
])
def test_a_verb_after_a_relation_word_is_no_name(sentence, verb):
    assert verb not in " ".join(found(CLINICAL + sentence))


def test_pager_number_a_few_words_after_the_word_pager():
    assert found(CLINICAL + "Pager for neurosurg resident #48820.").get("48820") == "PHONE"


@pytest.mark.parametrize("sentence", [
    "HV interval 46 ms.  Sinus node recovery time 1114 ms.  Corrected sinus node recovery 330 ms.  AV nodal.",
    "MS/NEURO- PT AWAKE, ALERT, ORIENTED X3.",
    "We left an 18-French Robinson catheter through the stoma.",
    "Sutures were placed as described by Rowland, et al, and the stoma matured.",
    "She came in with presumptive diagnosis of Kawasaki with fever for 5 days.",
    "Development: Denver II normal pass.",
    "The blood supply to the Meckel's diverticulum was ligated.",
    "She was switched to Brevibloc this morning.",
    "ALLERGIES: Allergic to LOBSTER.",
    "Response recorded from the EDB was decreased.",
    "Sent back to Bacteriology Department for culture.",
    "Admission to the EMU for monitoring.",
    "Awaiting the INRs before restarting heparin.",
    "He is a tailor from Korea.",
    "Lactate 3.1 -> 2.2. PER HO, hold heparin for procedure in am.",
])
def test_clinical_things_are_not_removed(sentence):
    assert found(CLINICAL + sentence) == {}


def test_a_hospital_after_a_move_is_still_found_past_an_earlier_prior_to():
    text = CLINICAL + "For 2 weeks prior to his evaluation at UIHC, he had worsening headaches."
    assert found(text).get("UIHC") == "ORGANIZATION"


def test_names_trimmed_of_a_sentence_after_a_possessive():
    spans = found(CLINICAL + "pt transferred from St. Elizabeth's. C-collar in place.")
    assert "St. Elizabeth's" in spans and not any("collar" in text for text in spans), spans


# --- Chinese ---------------------------------------------------------------------------------------------

def test_rounds_after_a_title_are_no_name():
    spans = found("病程记录\n2024-3-5 10:20 副主任医师查房\n患者秋生，男，67岁。", "zh")
    assert any(text.startswith("2024-3-5") and kind == "DATE" for text, kind in spans.items()), spans
    assert "查房" not in spans and "秋生" in spans, spans


def test_relative_named_by_given_name_and_spaced_name_after_patient():
    assert found("患者丈夫建华前来探视，询问病情。", "zh").get("建华") == "NAME"
    assert found("出院小结\n患者王 芳，女，58岁。", "zh").get("王 芳") == "NAME"


def test_month_day_before_a_return_visit_and_not_a_range():
    spans = found("出院后换药，2-16来我院门诊复查。血压波动在2-16之间。", "zh")
    assert list(spans.values()).count("DATE") == 1, spans


def test_ward_word_is_no_surname_but_a_surname_before_a_title_is():
    assert found("病区护士长查看后嘱加强下床活动。", "zh") == {}
    assert found("家属王先生陪护。", "zh").get("王") == "NAME"


@pytest.mark.parametrize("sentence", [
    "HV interval 150 ms, AH interval 24 ms.",
    "Hx Morton neuroma of the left foot.",
    "2.  Tetralogy of Fallot with the pulmonary atresia.",
    "Incision with a #10 blade Bard Parker.  Electrocautery was used.",
    "Prepped with oral Fleet's the night before.",
    "We used our Endotine Coapt device to elevate the brow.",
    "Senna S 2 tablets twice daily.",
    "HEM:  He denies easy bruising.",
    "Gunshot wound in Southeast Asia.",
])
def test_more_clinical_things_are_not_removed(sentence):
    assert found(CLINICAL + sentence) == {}


def test_town_with_state_still_found_and_titled_surname_kept():
    spans = found(CLINICAL + "Lives in Fayetteville, Tennessee. Dr. Varner will call.")
    assert spans.get("Fayetteville") == "LOCATION" and spans.get("Varner") == "NAME", spans


def test_institution_named_with_its_of_tail_and_a_heading_is_no_organisation():
    spans = found(CLINICAL + "He was evaluated at Baylor College of Medicine in the Occupational Health Program.")
    assert spans.get("Baylor College of Medicine") == "ORGANIZATION", spans
    assert found(CLINICAL + "MOTIVATION TO DONATE:,How did you decide?") == {}
