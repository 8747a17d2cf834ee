"""Matching a need to solutions and a solution to needs, through the process's matching index."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Person
from yizhi.errors import ValidationFailed
from yizhi.needs.common import check
from yizhi.needs.index import get_index, is_matchable_need, need_document, solution_document, vector_from_row
from yizhi.needs.matching.engine import Filters, rank
from yizhi.needs.models import Need, Solution, SolutionStatus


@dataclass(frozen=True)
class MatchResult:
    row: object  # Solution or Need
    score: float
    similarity: float
    shared_terms: tuple[str, ...]
    why: str
    good: bool = False  # relevance at or above the threshold chosen on the labelled set

    def as_dict(self) -> dict:
        side = "solution_id" if isinstance(self.row, Solution) else "need_id"
        return {
            side: self.row.id,
            "external_id": self.row.external_id,
            "title": self.row.title,
            "score": self.score,
            "good_match": self.good,
            "why": self.why,
        }


def match_filters(category: str | None = None, modalities: Iterable[str] = (), min_maturity: str | None = None) -> Filters:
    try:
        return Filters(
            categories=frozenset([category]) if category else frozenset(),
            modalities=frozenset(m.strip().lower() for m in modalities if m.strip()),
            min_maturity=min_maturity or None,
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="filters") from None


def matches_for_need(session: Session, person: Person | None, need: Need, *, filters: Filters | None = None,
                     top: int = 10, lang: str = "zh") -> list[MatchResult]:
    check(person, "needs.match", need)
    index = get_index(session, "solution")
    corpus = index.engine.corpus("solution")
    doc = need_document(need)
    vector = vector_from_row(need, index.model_name)
    if vector is None:
        vector = corpus.encoder.encode([doc.dense_text()])[0]
    terms = corpus.analyzer.terms(doc.title) + corpus.analyzer.terms(doc.text)
    found = rank(corpus, terms, vector, filters=filters, top=top * 2, lang=lang)
    return _resolve(session, found, Solution, permissions_check=lambda s: s.status == SolutionStatus.published)[:top]


def matches_for_solution(session: Session, person: Person | None, solution: Solution, *,
                         filters: Filters | None = None, top: int = 10, lang: str = "zh") -> list[MatchResult]:
    check(person, "solutions.view", solution)
    index = get_index(session, "need")
    corpus = index.engine.corpus("need")
    doc = solution_document(solution)
    vector = vector_from_row(solution, index.model_name)
    if vector is None:
        vector = corpus.encoder.encode([doc.dense_text()])[0]
    terms = corpus.analyzer.terms(doc.title) + corpus.analyzer.terms(doc.text)
    if filters is not None and filters.min_maturity:
        filters = Filters(categories=filters.categories, modalities=filters.modalities)  # needs have no maturity
    found = rank(corpus, terms, vector, filters=filters, top=top * 2, lang=lang)
    return _resolve(session, found, Need, permissions_check=is_matchable_need)[:top]


def _resolve(session: Session, found, model, permissions_check) -> list[MatchResult]:
    """Turn engine keys into rows, dropping any the index holds but the database no longer agrees with."""
    ids = [int(m.key) for m in found]
    rows = {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids or [-1])))}
    out = []
    for match in found:
        row = rows.get(int(match.key))
        if row is None or not permissions_check(row):
            continue
        out.append(MatchResult(row, match.score, match.similarity, match.shared_terms, match.why, match.good))
    return out
