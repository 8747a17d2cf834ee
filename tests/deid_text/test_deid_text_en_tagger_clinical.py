"""The English tagger's clinical-text model hook and its real-style training data (train_en_tagger_real)."""

from __future__ import annotations

import json
import logging
from collections import defaultdict

import pytest

from yizhi.deid.text.recognizers import english_tagger, english_tagger_clinical
from yizhi.deid.text.recognizers.english import clinical_context
from yizhi.deid.text.train_en_tagger_real import DATA, review_documents, training_documents

pytestmark = pytest.mark.db_independent

# A nursing line written for this test (in no training file), clinical by english.clinical_context.
NURSING_LINE = "pt resting, sats 96% on 2L NC, heparin gtt at 900u/hr. wife marta visited, updated by RN."
# Short lines for a tiny model trained in the test: a first name after a relation word is a NAME.
TRAINING_LINES = [f"pt afebrile, on heparin gtt, vss. {relation} {name} visited, questions answered."
                  for relation in ("wife", "son", "daughter", "husband", "sister")
                  for name in ("greta", "olaf", "irma", "bertil", "selma", "ragnar")]


def tagger_spans(text: str) -> list[tuple[int, int, str]]:
    return [(s.start, s.end, s.type) for s in english_tagger.EnglishTaggerRecognizer().find(text)]


@pytest.fixture
def tiny_clinical_model(tmp_path):
    import pycrfsuite

    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params({"c1": 0.0, "c2": 0.01, "max_iterations": 50})
    for line in TRAINING_LINES:
        start = line.index(" visited") - len(line.split(" visited")[0].split()[-1])
        tokens = english_tagger.tokenize(line)
        labels = english_tagger.bio_labels(line, tokens, [(start, line.index(" visited"), "NAME")])
        words = english_tagger.word_features(tokens)
        for first, stop, items in english_tagger.windows(words):
            trainer.append(items, labels[first:stop])
    path = tmp_path / "clinical.crfsuite"
    trainer.train(str(path))
    english_tagger.use_model(path, clinical=True)
    yield path
    english_tagger.use_model(english_tagger.CLINICAL_MODEL_PATH, clinical=True)


def test_shipped_clinical_model_tags_a_lower_case_name_in_a_nursing_line_it_never_saw():
    assert english_tagger.CLINICAL_MODEL_PATH.stat().st_size < 1_000_000
    assert clinical_context(NURSING_LINE)
    start = NURSING_LINE.index("marta")
    assert (start, start + len("marta"), "NAME") in tagger_spans(NURSING_LINE)


def test_without_the_clinical_model_clinical_text_gets_no_tagger_span(tmp_path, caplog):
    english_tagger.use_model(tmp_path / "absent.crfsuite", clinical=True)
    try:
        with caplog.at_level(logging.WARNING, logger=english_tagger.__name__):
            assert tagger_spans(NURSING_LINE) == []
        assert not caplog.records  # (a missing clinical model is no error: the rules still run)
    finally:
        english_tagger.use_model(english_tagger.CLINICAL_MODEL_PATH, clinical=True)


@pytest.mark.parametrize("text, span, kept", [
    ("Senna S 2 tablets", "Senna", None),  # one capitalised word: a drug or device
    ("Plan d/c to Cardiac Rehab", "Cardiac Rehab", None),  # two words of the clinical lexicon: a service
    ("works at Legal Sea Foods", "Legal Sea Foods", "Legal Sea Foods"),
    ("HD at fmc taunton MWF", "fmc taunton MWF", "fmc taunton"),  # shorthand capitals at the end
    ("faxed by Pulmonary Associates of Lowell faxed PFTs", "Pulmonary Associates of Lowell faxed PFTs",
     "Pulmonary Associates of Lowell"),  # a lower-case clinical word after capitalised ones
    ("wife marta visited", "marta", "marta"),
])
def test_clinical_model_spans_need_evidence(text, span, kept):
    start = text.index(span)
    new_start, new_end = english_tagger_clinical.with_clinical_evidence(text, start, start + len(span))
    assert (text[new_start:new_end] or None) == kept


def test_dictated_clinical_prose_gets_no_tagger_span_even_with_a_clinical_model(tiny_clinical_model, monkeypatch):
    prose = ("HISTORY OF PRESENT ILLNESS: The patient is a 67-year-old female with hypertension and "
             "hyperlipidemia who was seen by her wife greta and referred for evaluation of chest pain. "
             "Electrocardiogram showed normal sinus rhythm. She was started on metoprolol and aspirin.")
    assert clinical_context(prose)
    assert tagger_spans(prose) == []
    monkeypatch.setattr(english_tagger, "telegraphic_note", lambda text: True)  # the gate is what keeps it out
    assert tagger_spans(prose)


def test_a_clinical_model_tags_clinical_text_and_its_floor_drops_unsure_labels(tiny_clinical_model, monkeypatch):
    start = NURSING_LINE.index("marta")
    assert tagger_spans(NURSING_LINE) == [(start, start + len("marta"), "NAME")]  # a name it never saw
    monkeypatch.setattr(english_tagger, "CLINICAL_MIN_MARGINAL", 1.01)  # no label is that sure
    assert tagger_spans(NURSING_LINE) == []
    assert tagger_spans("please forward the invoice to jonas berg before friday.")  # general text: the general model


def test_training_documents_leave_the_set_out_and_keep_only_the_tagger_types():
    sets = {"a": [{"id": "1", "text": "wife ann on 3/4", "spans": [{"start": 5, "end": 8, "type": "NAME"},
                                                               {"start": 12, "end": 15, "type": "DATE"}]}],
            "b": [{"id": "2", "text": "x", "spans": []}]}
    documents = training_documents(sets, [], left_out="b")
    assert [(d["id"], d["spans"]) for d in documents] == [("a:1", [(5, 8, "NAME")])]


def test_review_training_never_reads_the_held_out_check2_sample():
    samples = {json.loads(line)["id"]: json.loads(line)["sample"]
               for line in (DATA / "real" / "review_unannotated.jsonl").read_text(encoding="utf-8").splitlines()}
    documents = review_documents(defaultdict(str))
    assert documents and {samples[d["id"]] for d in documents} == {"tune", "check"}
    assert any(d["spans"] for d in documents)


def test_nursing_copies_swap_names_towns_and_organisations_keeping_spans_aligned_and_repeatable(monkeypatch):
    from yizhi.deid.text import train_en_tagger_copies
    from yizhi.deid.text.train_en_tagger_copies import nursing_copies

    # (small stand-ins for Faker's names and the ZIP database's towns: reading the latter takes seconds)
    monkeypatch.setattr(train_en_tagger_copies, "_names", lambda: (["Greta", "Olaf"], ["Lindqvist", "Berg"]))
    monkeypatch.setattr(train_en_tagger_copies, "_towns", lambda: ["Hingham", "Randolph"])

    text = "dtr Mary Kowalski called from Brockton, pt to go to Partners Home Care. wife ANNA at bedside."
    spans = [(text.index(v), text.index(v) + len(v), kind) for v, kind in (
        ("Mary Kowalski", "NAME"), ("Brockton", "LOCATION"), ("Partners Home Care", "ORGANIZATION"), ("ANNA", "NAME"))]
    other = "transfer to Hebrew Rehab today."
    docs = [{"id": "a", "template": "nursing dev", "text": text, "spans": spans},
            {"id": "b", "template": "nursing dev2", "text": other, "spans": [(12, 24, "ORGANIZATION")]},
            {"id": "c", "template": "review", "text": "Seen by Dr. Smith.", "spans": [(12, 17, "NAME")]}]
    copies = nursing_copies(docs)
    assert copies == nursing_copies(docs)  # one seeded generator: the same copies every time
    assert {doc["id"] for doc in copies} == {"a-swap0", "b-swap0", "a-lower", "b-lower", "a-swap0-lower", "b-swap0-lower"}
    swapped = next(doc for doc in copies if doc["id"] == "a-swap0")
    values = [(swapped["text"][start:end], kind) for start, end, kind in swapped["spans"]]
    assert [kind for _, kind in values] == ["NAME", "LOCATION", "ORGANIZATION", "NAME"]
    assert values[0][0] != "Mary Kowalski" and values[1][0] != "Brockton"
    assert values[0][0].split()[0] in ("Greta", "Olaf") and values[1][0] in ("Hingham", "Randolph")
    assert values[2][0] in ("Hebrew Rehab", "Partners Home Care")  # (among the nursing notes' own)
    assert values[3][0] in ("GRETA", "OLAF", "LINDQVIST", "BERG")  # case kept
    assert swapped["text"].startswith("dtr ") and swapped["text"].endswith(" at bedside.")
    lowered = next(doc for doc in copies if doc["id"] == "a-lower")
    assert lowered["text"] == text.lower() and lowered["spans"] == spans
