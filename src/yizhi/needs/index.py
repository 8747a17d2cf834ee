"""The process's matching index, kept in step with the database.

Every process (web server, worker, CLI) holds one :class:`MatchingIndex`. Before each match it
reads the rows changed since its last look (an indexed ``updated_at`` watermark), so a need or
solution saved by any process is matchable by all of them on their next query — well within the
second the issue asks for — without a message bus. Vectors come from the rows; only rows written
by an older encoder are re-encoded.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.needs.matching.engine import MatchDocument, MatchingEngine
from yizhi.needs.models import Need, Solution, SolutionStatus
from yizhi.needs.permissions import MATCHABLE_NEED_STATES


def need_document(need: Need) -> MatchDocument:
    return MatchDocument(
        key=str(need.id),
        title=need.title,
        text=need.description,
        category=need.category,
        modalities=tuple(need.modalities or ()),
    )


def solution_document(solution: Solution) -> MatchDocument:
    return MatchDocument(
        key=str(solution.id),
        title=solution.title,
        text=solution.description,
        category=solution.category,
        modalities=tuple(solution.modalities or ()),
        maturity=solution.maturity,
    )


def vector_from_row(row, model_name: str) -> np.ndarray | None:
    if row.embedding is None or row.embedding_model != model_name:
        return None
    return np.frombuffer(row.embedding, dtype=np.float32)


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def is_matchable_need(need: Need) -> bool:
    return need.status in MATCHABLE_NEED_STATES


def is_matchable_solution(solution: Solution) -> bool:
    return solution.status == SolutionStatus.published


class MatchingIndex:
    SIDES = {
        "need": (Need, need_document, is_matchable_need),
        "solution": (Solution, solution_document, is_matchable_solution),
    }

    # A transaction may commit a row stamped slightly before rows another one committed first; looking
    # back this far past the watermark catches it, and `_applied` skips rows already applied.
    LOOKBACK = timedelta(seconds=10)

    def __init__(self, engine: MatchingEngine | None = None) -> None:
        self.engine = engine or MatchingEngine()
        self._watermark: dict[str, datetime | None] = {"need": None, "solution": None}
        self._applied: dict[str, dict[int, datetime]] = {"need": {}, "solution": {}}
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self.engine.corpus("need").encoder.name

    def sync(self, session: Session, sides: tuple[str, ...] = ("need", "solution")) -> int:
        """Apply rows changed since the last sync; returns how many were applied."""
        seen = 0
        with self._lock:
            for side in sides:
                model, to_document, matchable = self.SIDES[side]
                query = select(model).order_by(model.updated_at)
                since = self._watermark[side]
                if since is not None:
                    query = query.where(model.updated_at >= since - self.LOOKBACK)
                rows = list(session.scalars(query))
                applied = self._applied[side]
                fresh = [row for row in rows if applied.get(row.id) != row.updated_at]
                seen += len(fresh)
                if rows:
                    self._watermark[side] = max(rows[-1].updated_at, since or rows[-1].updated_at)
                horizon = self._watermark[side] - self.LOOKBACK if self._watermark[side] else None
                for row in fresh:
                    applied[row.id] = row.updated_at
                if horizon is not None:
                    for row_id in [i for i, stamp in applied.items() if stamp < horizon]:
                        del applied[row_id]
                rows = fresh
                upserts, vectors = [], []
                for row in rows:
                    if matchable(row):
                        upserts.append(to_document(row))
                        vectors.append(vector_from_row(row, self.model_name))
                    else:
                        self.engine.remove(side, str(row.id))
                self._upsert(side, upserts, vectors)
        return seen

    def _upsert(self, side: str, docs: list[MatchDocument], vectors: list[np.ndarray | None]) -> None:
        if not docs:
            return
        missing = [i for i, v in enumerate(vectors) if v is None]
        if missing:
            encoded = self.engine.corpus(side).encoder.encode([docs[i].dense_text() for i in missing])
            for i, vector in zip(missing, encoded, strict=True):
                vectors[i] = vector
        self.engine.upsert_many(side, docs, np.vstack(vectors))


_indexes: dict[str, MatchingIndex] = {}
_indexes_lock = threading.Lock()


def get_index(session: Session, side: str | None = None) -> MatchingIndex:
    """The index for the session's database (tests switch databases), synced to it — only the
    side a caller ranks, so a one-off CLI match does not index the other side at all."""
    key = str(session.get_bind().url)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = MatchingIndex()
    index.sync(session, (side,) if side else ("need", "solution"))
    return index


def forget_indexes() -> None:
    with _indexes_lock:
        _indexes.clear()
