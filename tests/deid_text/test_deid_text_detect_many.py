"""detect_many (pipeline.py) answers what detect answers, note by note: only the order of the work differs.

It runs the English tagger over a batch in a pass of its own (see pipeline's docstring for why), so
each note's findings must still reach the overlap resolution in registry order. Compared here on every
labelled file, the presidio-research set, notes of both languages mixed under "auto", empty notes and
a plug-in recognizer.
"""

from __future__ import annotations

import re

import pytest
from deid_text_corpora import LABELED, labeled_texts, presidio_texts

from yizhi.deid.text import LanguageError, detect
from yizhi.deid.text.pipeline import _passes, detect_many
from yizhi.deid.text.recognizers import base
from yizhi.deid.text.recognizers.base import PatternRecognizer, PatternRule

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent



@pytest.mark.parametrize("name", LABELED)
def test_labelled_files_give_what_detect_gives(name):
    texts = labeled_texts(name)
    lang = name[:2]
    for first in range(0, len(texts), 64):
        batch = texts[first : first + 64]
        assert detect_many(batch, lang) == [detect(text, lang) for text in batch]


def test_presidio_sentences_give_what_detect_gives():
    texts = presidio_texts()
    if not texts:
        pytest.skip("presidio-research synth_dataset_v2 is not in ../shared/data/deid-text")
    for first in range(0, len(texts), 100):
        batch = texts[first : first + 100]
        assert detect_many(batch, "en") == [detect(text, "en") for text in batch]


def test_mixed_languages_empty_notes_and_repeats():
    en, zh = labeled_texts("en_test", 20), labeled_texts("zh_test", 20)
    batch = [text for pair in zip(en, zh) for text in pair] + ["", "   ", "\n", en[0], zh[0], "Dr. Ana Ruiz, 555-123-4567"]
    assert detect_many(batch) == [detect(text) for text in batch]
    assert detect_many(iter(batch[:5]), "auto") == [detect(text) for text in batch[:5]]
    assert detect_many([]) == []


def test_bad_input_fails_as_detect_does():
    with pytest.raises(TypeError):
        detect_many(["fine", b"bytes"])
    with pytest.raises(LanguageError):
        detect_many(["fine"], "fr")
    with pytest.raises(LanguageError):  # the first note's error, as a loop over detect() would meet it
        detect_many(["fine", b"bytes"], "fr")


def test_a_plug_in_recognizer_is_run_in_its_place():
    recognizer = PatternRecognizer("plugin_kx", frozenset({"en"}), [PatternRule("RECORD_NUMBER", re.compile(r"KX-\d{4}"), 0.9)])
    base.register(recognizer)
    try:
        batch = ["Ward KX-4471 seen by Dr. Ana Ruiz", "please call jonas berg about KX-1234", "nothing here"]
        assert detect_many(batch, "en") == [detect(text, "en") for text in batch]
        assert any("plugin_kx" in span.recognizer for span in detect_many(batch, "en")[0])
    finally:
        base.unregister("plugin_kx")


def test_passes_keep_registry_order_and_put_the_tagger_alone():
    recognizers = base.registered("en")
    passes = _passes(recognizers)
    assert [recognizer for group in passes for recognizer in group] == recognizers
    assert [[r.name for r in group] for group in passes if any(r.name == "en_tagger" for r in group)] == [["en_tagger"]]
    assert _passes(base.registered("zh")) == [base.registered("zh")]  # nothing declares a pass of its own there
