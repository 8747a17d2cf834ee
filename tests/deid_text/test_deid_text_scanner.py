"""The compiled scanner (recognizers/scanner.py): each context rule is tried only where its anchor
matched, so every anchor must match wherever its rule can. Checked against the rule's own full scan
on real and hand-written notes, the synthetic sets and random text; and Hyperscan's answer equals
the `re` fallback's."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from yizhi.deid.text.recognizers import chinese_context as zh
from yizhi.deid.text.recognizers import english_context as en
from yizhi.deid.text.recognizers import english_numbers as numbers
from yizhi.deid.text.recognizers import scanner

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

DATA = Path(__file__).parent / "data"
MTSAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "clinical-text" / "en_mtsamples.jsonl"


def _texts() -> list[str]:
    texts = []
    for name in ("notes/en_nursing_dev", "notes/zh_notes_dev", "en_dev", "zh_dev"):
        texts += [json.loads(line)["text"] for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    if MTSAMPLES.exists():
        texts += [json.loads(line)["text"] for line in MTSAMPLES.read_text(encoding="utf-8").splitlines()[:400]]
    rng = random.Random(16)
    alphabet = list("0123456789/.-'’ ()#:年月日于在至原厂先生患者姓名：，。\n") + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    words = ["wife ", "Dr. ", "dr ", "transferred to ", "pager ", "in '92 ", "s/p cabg 99 ", "Hospital ", "rehab ",
             "on 7/21 ", "06/2006 ", "(617) 5551234 ", "王先生", "原北京第二机床厂", "2011.10", "3-28 ", "兰 艳，", "于协和行",
             "93M ", "pt is 91, ", "lives at 22 elm st "]
    for _ in range(300):
        texts.append("".join(rng.choice(words) if rng.random() < 0.3 else rng.choice(alphabet) for _ in range(rng.randrange(5, 80))))
    return texts


TEXTS = _texts()
EN_STARTS = [(en._SHORT_DATE, "short_date"), (en._MONTH_YEAR, "month_year"), (en._APOSTROPHE_YEAR, "apostrophe_year"),
             (en._TWO_DIGIT_YEAR, "two_digit_year"), (en._YEAR, "year"), (en._PAGER, "pager"),
             (en._BRACKET_PHONE, "bracket_phone"), (en._TITLE_LOWER, "title"), (en._RELATIVE, "relative"),
             (en._SOCIAL, "social"), (en._ORG_AFTER_MOVE, "move"), (numbers._AGE_SEX, "age_sex"),
             (numbers._AGE_SAID, "age_said"), (numbers._LOWER_STREET, "residence"), (numbers._SHORT_EXTENSION, "short_extension"),
             (en._DAY_RANGE, "short_date"), (numbers._DOTTED_DATE, "dotted_date")]
ZH_STARTS = [(zh._YEAR_MONTH, "year_digits"), (zh._FULL_DATE, "year_digits"), (zh._YEAR_START, "year_digits"),
             (zh._LABELLED_NAME, "labelled_name"), (zh._PATIENT_NAME, "patient_name"), (zh._DISTRICT_PLACE, "place_cue")]


@pytest.mark.parametrize("pattern,anchor", EN_STARTS, ids=[name for _, name in EN_STARTS])
def test_english_anchors_cover_every_match_start(pattern, anchor):
    for text in TEXTS:
        starts = {start for start, _ in en._ANCHORS.scan(text).get(anchor, ())}
        for match in pattern.finditer(text):
            assert match.start() in starts, (anchor, text[max(0, match.start() - 20) : match.end() + 5])


@pytest.mark.parametrize("pattern,anchor", ZH_STARTS, ids=[f"{name}-{i}" for i, (_, name) in enumerate(ZH_STARTS)])
def test_chinese_anchors_cover_every_match_start(pattern, anchor):
    for text in TEXTS:
        starts = {start for start, _ in zh._ANCHORS.scan(text).get(anchor, ())}
        for match in pattern.finditer(text):
            assert match.start() in starts, (anchor, text[max(0, match.start() - 20) : match.end() + 5])


def test_rules_read_around_their_anchors_are_covered():
    for text in TEXTS:
        en_hits, zh_hits = en._ANCHORS.scan(text), zh._ANCHORS.scan(text)
        for pattern, anchor in ((en._ORG_NOUN, "org_noun"), (en._LOWER_ORG, "lower_org")):
            ends = {end for _, end in en_hits.get(anchor, ())}
            for match in pattern.finditer(text):
                assert match.end(1) in ends, (anchor, match.group())
        ends = {end for _, end in zh_hits.get("org_end", ())}
        for match in zh._ORG_AFTER_CUE.finditer(text):
            assert match.end(1) in ends, match.group()
        spaced = {start + shift for start, _ in zh_hits.get("spaced_name", ()) for shift in (0, 1)}
        for match in zh._SPACED_NAME.finditer(text):
            assert match.start() in spaced, match.group()
        cue_ends = {end for _, end in zh_hits.get("place_cue", ())}
        for match in zh._HOSPITAL_SHORT.finditer(text):
            assert match.start() in cue_ends, match.group()


def test_hyperscan_and_the_re_fallback_agree(monkeypatch):
    if scanner.hyperscan is None:
        pytest.skip("hyperscan is not installed: the fallback is what runs")
    compiled = {id(s): s.scan for s in (en._ANCHORS, zh._ANCHORS)}
    with_hyperscan = [(en._ANCHORS.scan(text), zh._ANCHORS.scan(text)) for text in TEXTS[:200]]
    monkeypatch.setattr(scanner, "hyperscan", None)
    fresh = [scanner.Scanner(s.anchors) for s in (en._ANCHORS, zh._ANCHORS)]
    for text, (en_hits, zh_hits) in zip(TEXTS[:200], with_hyperscan):
        for hits, fallback in ((en_hits, fresh[0]), (zh_hits, fresh[1])):
            plain = fallback.scan(text)
            for name in set(hits) | set(plain):
                # (re reports non-overlapping leftmost matches, Hyperscan the leftmost start of every end: each of
                # re's starts is one of Hyperscan's, or one after it where the anchor opens with \d{1,2})
                starts = {start for start, _ in hits.get(name, ())}
                assert all(start in starts or start - 1 in starts for start, _ in plain.get(name, ())), name
    assert compiled
