"""Accuracy on labeled notes the recognizers were NOT tuned on (the held-out splits).

Chinese: tests/deid_text/data/zh_test.jsonl (templates variant 1, seed 29, odd-CRC value pools; tuning
used zh_dev.jsonl only). English clinical notes: en_test.jsonl, built the same way (tuning used en_dev).
English general text: presidio-research synth_dataset_v2, odd template ids (tuning used even), scored on
the labels that are Safe Harbor identifiers (``metrics.presidio_gold`` lists what is left out and why).
"""

import json
from pathlib import Path

import pytest

from yizhi.deid.text import detect
from yizhi.deid.text.evalset import generate, generate_en
from yizhi.deid.text.metrics import Evaluation, presidio_gold, presidio_split, score_document

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

DATA = Path(__file__).parent / "data"
PRESIDIO = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deid-text" / "presidio_synth_dataset_v2.json"


def load(split, language="zh"):
    return [json.loads(line) for line in (DATA / f"{language}_{split}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_committed_sets_are_what_the_generator_makes():
    for split in ("dev", "test"):
        assert generate(split)[:25] == load(split)[:25]
        assert generate_en(split)[:25] == load(split, "en")[:25]


def test_splits_share_no_identifier_values():
    dev = {s["text"] for note in load("dev") for s in note["spans"] if s["type"] in {"ADDRESS", "ORGANIZATION"}}
    test = {s["text"] for note in load("test") for s in note["spans"] if s["type"] in {"ADDRESS", "ORGANIZATION"}}
    assert not dev & test


def test_chinese_set_size_and_kinds():
    notes = load("test")
    assert len(notes) >= 300
    assert len({n["kind"] for n in notes}) >= 8
    assert sum(len(n["spans"]) for n in notes) >= 3000


def test_chinese_held_out_recall_and_precision():
    evaluation = Evaluation()
    for note in load("test"):
        predicted = [s.public() for s in detect(note["text"], "zh")]
        score_document(note["text"], note["spans"], predicted, evaluation, note["id"])
    overall = evaluation.report()["overall"]
    # 0.991 before issue 16's precision work on real notes; 0.9706 / 0.987 after it (2026-12-06): the
    # synthetic notes' single unknown capitalised names are no longer taken without a title or cue.
    assert overall["char_recall"] >= 0.97, overall
    assert overall["char_precision"] >= 0.85, overall
    assert overall["entity_recall"] >= 0.97, overall


def test_english_clinical_held_out_recall_and_precision():
    evaluation = Evaluation()
    for note in load("test", "en"):
        predicted = [s.public() for s in detect(note["text"], "en")]
        score_document(note["text"], note["spans"], predicted, evaluation, note["id"])
    overall = evaluation.report()["overall"]
    # 0.991 before issue 16's precision work on real notes; 0.9706 / 0.987 after it (2026-12-06): the
    # synthetic notes' single unknown capitalised names are no longer taken without a title or cue.
    assert overall["char_recall"] >= 0.97, overall
    assert overall["char_precision"] >= 0.85, overall


def test_english_held_out_recall_and_precision():
    if not PRESIDIO.exists():
        pytest.skip("shared/data/deid-text/presidio_synth_dataset_v2.json is not present")
    evaluation = Evaluation()
    for index, sample in enumerate(json.loads(PRESIDIO.read_text(encoding="utf-8"))):
        if presidio_split(sample["template_id"]) != "test":
            continue
        predicted = [s.public() for s in detect(sample["full_text"], "en")]
        score_document(sample["full_text"], presidio_gold(sample), predicted, evaluation, str(index))
    overall = evaluation.report()["overall"]
    # Measured 2026-11-22 with the English CRF tagger trained on augmented copies (value swaps, lower case,
    # context dropout; see train_en_tagger): recall 0.9735, precision 0.908 (first tagger 0.965 / 0.911,
    # rules alone 0.935 / 0.944); with address runs widened and lower-case text's rare words kept (en-tagger3)
    # 0.9785 / 0.909; with the international rules (postcodes, phone formats, organisation cues and legal
    # forms, foreign streets; branch en-recall, made on the dev half and a Faker stress set, not on these)
    # 0.9810 / 0.906: the issue's 0.98 recall. Issue 16's first round (2026-12-06) traded general-English
    # recall for precision on real clinical notes (0.830 / 0.959 here). Second round (2026-12-07): those
    # precision rules apply only to text that shows it is clinical (english.clinical_context; no sentence
    # of this set does), and recall is back at 0.9810 / 0.9047 (same spans as before issue 16 on this half).
    assert overall["char_recall"] >= 0.975, overall
    assert overall["char_precision"] >= 0.89, overall


def test_presidio_gold_drops_only_what_safe_harbor_keeps():
    sample = {"full_text": "Founded in 1977 by Ana, 93, a Polish chef, on Monday 3/4/2001 aged 45.",
              "spans": [{"entity_type": t, "start_position": a, "end_position": b} for t, a, b in
                        [("DATE_TIME", 11, 15), ("PERSON", 19, 22), ("AGE", 24, 26), ("NRP", 30, 36), ("TITLE", 37, 41),
                         ("DATE_TIME", 46, 52), ("DATE_TIME", 53, 61), ("AGE", 67, 69)]]}
    kept = [(g["type"], sample["full_text"][g["start"]:g["end"]]) for g in presidio_gold(sample)]
    assert kept == [("PERSON", "Ana"), ("AGE", "93"), ("DATE_TIME", "3/4/2001")]
    assert len(presidio_gold(sample, safe_harbor=False)) == 8
