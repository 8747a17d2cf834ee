"""The English CRF tagger (recognizers/english_tagger.py): shipped model, what it adds, what it costs."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from yizhi.deid.text import detect
from yizhi.deid.text.recognizers import base, english_tagger

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

PRESIDIO = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deid-text" / "presidio_synth_dataset_v2.json"
NO_PRESIDIO = "presidio-research synth_dataset_v2 is not in ../shared/data/deid-text (a fresh clone has no training data)"

# Sentences written for this test (not from any training file), with what the shipped model tags.
FIXED_SAMPLE = {
    "please forward the invoice to jonas berg before friday.": [(30, 40, "NAME")],
    "She is an analyst at Blue Fern in the city.": [(21, 30, "ORGANIZATION")],
    "she moved to 12 rue des lilas, 69003 lyon last month.": [(13, 41, "ADDRESS")],
    "They met at the corner of Vesivärava 3 and Tartu maantee.": [(12, 56, "ADDRESS")],  # with "the corner of"
    "my friend tomasz nowak moved to the coast.": [(10, 22, "NAME")],
    "History of Parkinson's disease and Hodgkin lymphoma, on Lipitor and aspirin.": [],
}


def tagger_spans(text):
    return [(s.start, s.end, s.type) for s in english_tagger.EnglishTaggerRecognizer().find(text)]


def without_tagger(text):
    recognizer = next(r for r in base.registered("en") if r.name == english_tagger.EnglishTaggerRecognizer.name)
    base.unregister(recognizer.name)
    try:
        return detect(text, "en")
    finally:
        base.register(recognizer)


def test_registered_for_english_only():
    assert "en_tagger" in [r.name for r in base.registered("en")]
    assert "en_tagger" not in [r.name for r in base.registered("zh")]


def test_shipped_model_tags_the_fixed_sample_as_recorded():
    assert english_tagger.MODEL_PATH.stat().st_size < 3_000_000
    assert {text: tagger_spans(text) for text in FIXED_SAMPLE} == FIXED_SAMPLE


@pytest.mark.slow
def test_shipped_model_is_what_the_training_script_makes(tmp_path):
    if not PRESIDIO.exists():
        pytest.skip(NO_PRESIDIO)
    from yizhi.deid.text import train_en_tagger

    assert train_en_tagger.main(["--out", str(tmp_path / "model.crfsuite")]) == 0
    assert (tmp_path / "model.crfsuite").read_bytes() == english_tagger.MODEL_PATH.read_bytes()


@pytest.mark.parametrize(("text", "found"), [
    ("please forward the invoice to jonas berg before friday.", "jonas berg"),  # lower-case name
    ("She is an analyst at Blue Fern in the city.", "Blue Fern"),  # company of common words
    # a lower-case address without a postcode (with one, "12 rue des lilas, 69003", the street rule finds it)
    ("she moved to 12 rue des lilas near lyon last month.", "12 rue des lilas"),
])
def test_finds_what_the_rules_miss(text, found):
    assert not any(found in s.text or s.text in found for s in without_tagger(text))
    assert any(found in s.text for s in detect(text, "en"))


def test_extends_a_rule_span():
    text = "They met at the corner of Vesivärava 3 and Tartu maantee."
    assert [s.text for s in without_tagger(text)] == ["the corner of Vesivärava 3 and Tartu"]
    assert [s.text for s in detect(text, "en")] == ["the corner of Vesivärava 3 and Tartu maantee"]


def test_all_capitals_and_codes_are_left_to_the_rules():
    assert tagger_spans("CHEST PA AND LATERAL") == []
    assert tagger_spans("Abdomen^1_AbdomenRoutine (Adult)") == []


def test_without_crfsuite_the_rules_still_run(monkeypatch, caplog):
    text = "Seen by Dr. Margaret Okafor; please forward the invoice to jonas berg."
    monkeypatch.setitem(sys.modules, "pycrfsuite", None)  # import pycrfsuite now raises ImportError
    english_tagger.use_model(english_tagger.MODEL_PATH)
    try:
        with caplog.at_level(logging.WARNING, logger=english_tagger.__name__):
            assert tagger_spans(text) == []
            assert tagger_spans(text) == []
            found = [s.text for s in detect(text, "en")]
        assert "Margaret Okafor" in found and "jonas berg" not in found
        assert sum("python-crfsuite" in r.getMessage() for r in caplog.records) == 1  # logged once
    finally:
        monkeypatch.undo()
        english_tagger.use_model(english_tagger.MODEL_PATH)
    assert tagger_spans(text)


# The held-out presidio floor is in test_deid_text_accuracy.py (test_english_held_out_recall_and_precision).


@pytest.mark.parametrize("text", ["", "  ", "5638 Aasa 43\nHumilimont, nan 78618", "a\tb\r\nc  d\u00a0e\u2028f x_y (Greek)."])
def test_token_offsets_two_ways_agree(text):
    tokens = english_tagger.tokenize(text)
    assert english_tagger.tokens_and_starts(text) == (tokens, english_tagger.offsets(text, tokens))


def test_greek_words_are_places():
    assert tagger_spans("She flew in from ΚΑΤΩ ΠΟΛΕΜΙ∆ΙΑ yesterday.") == [(17, 31, "LOCATION")]


@pytest.mark.parametrize(("text", "found"), [
    # an address's later lines (town, state code, postcode) are weak alone but kept after the street
    ("Please mail it to 14 Birch Lane\nHolmfirth\n, WY\n 40213 by Monday.", "14 Birch Lane\nHolmfirth\n, WY\n 40213"),
    # in text written all in lower case a common word ("south") or a lone letter ("g") may be part of one
    ("send it to 7 rue des pins, 75011 paris, south france please", "7 rue des pins, 75011 paris, south france"),
    ("letter from eric g. samoylova arrived", "eric g. samoylova"),
])
def test_whole_identifier_kept_across_lines_and_lower_case(text, found):
    assert [text[start:end] for start, end, _ in tagger_spans(text)] == [found]


@pytest.mark.parametrize("text", ["Temp 38.2, RR 22", "ZIP: 3520"])
def test_stretches_that_cannot_stand_are_not_tagged(text):
    words = english_tagger.word_features(english_tagger.tokenize(text))
    assert english_tagger.windows(words) and not english_tagger.windows(words, hopeless_too=False)


@pytest.mark.parametrize(("text", "found"), [
    # a leading house or building number the model left outside
    ("The bus drops you off at 8116 56 rue La Boétie St.", "8116 56 rue La Boétie"),
    # the two streets of a crossing, one address with "the corner of" (presidio-research's gold holds it)
    ("it is the corner of Bygget 64 and Komel Club", "the corner of Bygget 64 and Komel Club"),
    ("Please write to Hanne and ul. Stefana 28 soon.", "Hanne and ul. Stefana 28"),
    # a postcode after the state code, over commas and line breaks
    ("Ship it to 5 Oak Road\nLeeds, NY 10001", "5 Oak Road\nLeeds, NY 10001"),
    ("I moved to 31 Kungsgatan, Umeå, AC 90325 last year.", "31 Kungsgatan, Umeå, AC 90325"),
])
def test_address_runs_take_house_numbers_crossings_and_corners(text, found):
    assert [text[start:end] for start, end, _ in tagger_spans(text)] == [found]


def test_only_runs_with_an_address_are_joined_over_and():
    text = "Ana and Tom"
    assert english_tagger.joined_intersections(text, [(0, 3, "NAME"), (8, 11, "NAME")]) == [
        (0, 3, "NAME"), (8, 11, "NAME")]
    assert english_tagger.joined_intersections(text, [(0, 3, "ORGANIZATION"), (8, 11, "ADDRESS")]) == [
        (0, 3, "ORGANIZATION"), (8, 11, "ADDRESS")]
    assert english_tagger.joined_intersections(text, [(0, 3, "NAME"), (8, 11, "ADDRESS")]) == [(0, 11, "ADDRESS")]


def test_rare_lower_case_words_stand_only_in_lower_case_text():
    # the model tags the name either way; the run checks keep it where capitals carry no signal
    assert tagger_spans("did you see okonkwo adebayo at the party?") == [(12, 27, "NAME")]
    assert tagger_spans("Did you see okonkwo adebayo at the party?") == []
