"""The English tagger's stretches (``windows``) and label-to-span step (``labelled_runs``) are what
their plain readings give.

``windows`` builds its stretches and items in plain loops rather than comprehensions over
comprehensions (each one a function call, several per sentence); the reference is the earlier
reading, compared with and without hopeless stretches on every text and on random token sequences.

``labelled_runs`` reads each label's parts from a small table instead of slicing the label at every
token, and judges the pieces of a name, organisation or place run one by one (an address run's pieces
are grouped into blocks first). The reference below is the earlier, plain reading: runs built by
slicing labels, every run's pieces grouped into blocks (of one piece unless it is an address). Compared
on the model's own labels over every labelled English file and the presidio-research set, and on
random labels (every B-/I- type and O in any order) over the same tokens, which reach runs the model
never produces.
"""

from __future__ import annotations

import random

import pytest
from deid_text_corpora import corpus_texts

from yizhi.deid.text.recognizers import english_tagger as et

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

LABELS = ["O"] * 6 + [f"{prefix}-{kind}" for prefix in "BI" for kind in et.LABEL_TYPES]


def plain_labelled_runs(text, tokens, words, labels, starts):
    tagged = [index for index, label in enumerate(labels) if label != "O"]
    runs = []
    for index in tagged:
        label = labels[index]
        if label[0] == "I" and runs and runs[-1][2] == label[2:] and runs[-1][1] == index - 1:
            runs[-1][1] = index
        else:
            runs.append([index, index, label[2:]])
    lower_text = text.islower()
    cuts = (et._BREAK,) if lower_text else (et._BREAK, et._COMMON)
    found = []
    for first, last, kind in runs:
        if kind == "ADDRESS":
            first, last = et._with_house_numbers(tokens, first), et._with_address_tail(tokens, last)
        pieces = et._pieces(tokens, words, first, last, cuts)
        blocks = et._address_blocks(tokens, pieces) if kind == "ADDRESS" else [[piece] for piece in pieces]
        for block in blocks:
            verdicts = [et._piece_verdict(words[a : b + 1], lower_text) for a, b in block]
            if et._A_CODE in verdicts or et._STANDS not in verdicts:
                continue
            (block_first, _), (_, block_last) = block[0], block[-1]
            found.append((starts[block_first], starts[block_last] + len(tokens[block_last]), kind))
    return found


def plain_windows(words, hopeless_too=True, lower_text=False):
    candidates = [index for index, word in enumerate(words) if not word[et._PLAIN]]
    if not candidates:
        return []
    last = len(words) - 1
    stretches = []
    first, stop = candidates[0] - 2, candidates[0] + 2
    for index in candidates[1:]:
        if index - 2 > stop + 1:
            stretches.append((max(first, 0), min(stop, last) + 1))
            first = index - 2
        stop = index + 2
    stretches.append((max(first, 0), min(stop, last) + 1))
    if not hopeless_too:
        stretches = [(first, stop) for first, stop in stretches if et._may_stand(words[first:stop], lower_text)]
    padded = [et._OUTSIDE, *words, et._OUTSIDE]
    return [(first, stop, [(own[0], own[1], left[2], right[3]) for own, left, right in zip(
                words[first:stop], padded[first:stop], padded[first + 2 : stop + 2])])
            for first, stop in stretches]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return corpus_texts(("en_dev", "en_test"))


def _model_labels(text: str, tokens: list[str], words: list[tuple]) -> list[str]:
    labels = ["O"] * len(tokens)
    for first, stop, items in et.windows(words, hopeless_too=False, lower_text=text.islower()):
        labels[first:stop] = et._tagger().tag(items)
    return labels


def test_runs_from_the_model_labels_are_what_the_plain_reading_finds(texts):
    tagged = 0
    for text in texts:
        tokens, starts = et.tokens_and_starts(text)
        words = et.word_features(tokens)
        labels = _model_labels(text, tokens, words)
        found = list(et.labelled_runs(text, tokens, words, labels, starts))
        assert found == plain_labelled_runs(text, tokens, words, labels, starts), text
        tagged += bool(found)
    assert tagged > len(texts) // 2  # (the comparison saw spans, not only empty lists)


def test_runs_from_random_labels_are_what_the_plain_reading_finds(texts):
    rng = random.Random(41)
    for text in texts[:2000]:
        lowered = rng.random() < 0.2  # (the lower-case text reading too)
        text = text.lower() if lowered else text
        tokens, starts = et.tokens_and_starts(text)
        words = et.word_features(tokens)
        for _ in range(3):
            labels = [rng.choice(LABELS) for _ in tokens]
            assert list(et.labelled_runs(text, tokens, words, labels, starts)) == \
                plain_labelled_runs(text, tokens, words, labels, starts), (text, labels)


def test_windows_are_what_the_plain_reading_gives(texts):
    rng = random.Random(43)
    # plain words, numbers and marks (never candidates alone) among names, places and rare words
    vocabulary = ["the", "and", "was", "of", "12", "2024", ".", ",", "\n", ":", "he", "at", "Temp", "ZIP", "RR",
                  "Ana", "Ruiz", "Paris", "man", "nijito", "Inc", "Street", "Dr", "x_y", "MD", "Lipitor"]
    sequences = [et.tokenize(text) for text in texts]
    sequences += [[rng.choice(vocabulary) for _ in range(rng.randint(0, 40))] for _ in range(5000)]
    stretches = 0
    for tokens in sequences:
        words = et.word_features(tokens)
        for hopeless_too in (True, False):
            for lower_text in (False, True):
                got = et.windows(words, hopeless_too, lower_text)
                assert got == plain_windows(words, hopeless_too, lower_text), tokens
                stretches += len(got)
    assert stretches > len(sequences)  # (the comparison saw stretches, not only empty lists)
