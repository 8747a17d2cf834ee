"""The learned English span filter (english_span_filter.py): the shipped coefficients load, scores are
deterministic, a product name a capitalised run guessed is dropped in a clinical note, and spans resting on
strong evidence (a title, a pattern) never reach the model."""

from __future__ import annotations

from yizhi.deid.text import detect
from yizhi.deid.text.recognizers import english_span_filter as span_filter
from yizhi.deid.text.spans import Span

NOTE = ("PROCEDURE: Left lower lobectomy. The patient was placed in the lateral position and the chest entered. "
        "A curved Glover was placed around the bronchus and the stapler fired. Estimated blood loss 200 mL. "
        "The patient tolerated the procedure well and was taken to the recovery room in stable condition.")


def _guessed(text: str, value: str, kind: str = "NAME", recognizer: str = "en_capitalised") -> Span:
    start = text.index(value)
    return Span(start, start + len(value), kind, value, 0.8, recognizer)


def test_the_shipped_model_loads_with_its_threshold_and_weights():
    model = span_filter.model()
    assert 0.0 < model["threshold"] < 1.0
    assert len(model["weights"]) > 50
    assert "reviewed MTSamples check2" in model["held_out"]  # (the honest figure's sample was not trained on)


def test_scores_are_deterministic_and_probabilities():
    span = _guessed(NOTE, "Glover")
    first = span_filter.probability(NOTE, span, True)
    assert first == span_filter.probability(NOTE, span, True)
    assert 0.0 < first < 1.0


def test_an_instrument_name_guessed_as_a_name_is_dropped():
    span = _guessed(NOTE, "Glover")
    assert span_filter.eligible(NOTE, span)
    assert span_filter.filter_guessed(NOTE, [span]) == []


def test_a_name_after_a_title_is_kept_whatever_the_model_says():
    text = NOTE.replace("A curved Glover was placed", "Dr. Glover placed a clamp")
    span = _guessed(text, "Glover")
    assert not span_filter.eligible(text, span)
    assert span_filter.filter_guessed(text, [span]) == [span]
    assert any(found.text == "Glover" for found in detect(text, "en"))


def test_pattern_spans_and_shouted_runs_never_reach_the_model():
    text = NOTE + " Seen 3/14/2019. TRANSFERRED FROM CAPE COD HOSP WITH PANCREATITIS."
    date = _guessed(text, "3/14/2019", "DATE", "patterns_en")
    shouted = _guessed(text, "FROM CAPE COD HOSP WITH PANCREATITIS")
    assert not span_filter.eligible(text, date) and not span_filter.eligible(text, shouted)
    assert span_filter.filter_guessed(text, [date, shouted]) == [date, shouted]


def test_general_english_is_left_alone():
    text = "Glover and Smith went to the market on Tuesday."
    span = _guessed(text, "Glover")
    assert span_filter.filter_guessed(text, [span]) == [span]
