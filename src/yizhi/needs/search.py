"""Browsing and searching needs and solutions: visibility, filters, and relevance ranking."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, joinedload

from yizhi.accounts.models import Organization, Person
from yizhi.accounts.permissions import is_platform_admin
from yizhi.errors import N_, ValidationFailed
from yizhi.needs import permissions
from yizhi.needs.index import get_index, need_document, solution_document, vector_from_row
from yizhi.needs.models import Need, NeedStatus, Solution, SolutionStatus


@dataclass
class NeedQuery:
    q: str = ""
    category: str | None = None
    status: str | None = None
    org: str | None = None
    modality: str | None = None
    mine: bool = False
    limit: int = 50
    offset: int = 0


def visible_needs_clause(person: Person):
    """SQL condition: needs this person may see (mirrors the needs.view rule)."""
    own = [m.organization_id for m in person.memberships]
    clauses = [Need.status.in_(permissions.PUBLIC_NEED_STATES)]
    if own:
        clauses.append(Need.org_id.in_(own))
    if is_platform_admin(person):
        clauses.append(Need.status != NeedStatus.draft)
    return or_(*clauses)


SEARCH_MIN_SIMILARITY = 0.35  # below this cosine, a need with no shared term is not a search hit


def _need_conditions(person: Person, query: NeedQuery) -> list:
    conditions = [visible_needs_clause(person)]
    if query.category:
        conditions.append(Need.category == query.category)
    if query.status:
        try:
            conditions.append(Need.status == NeedStatus(query.status))
        except ValueError:
            raise ValidationFailed(N_("unknown status '%(status)s'"), params={"status": query.status}, field="status") from None
    if query.org:
        conditions.append(Need.org_id.in_(select(Organization.id).where(Organization.slug == query.org)))
    if query.mine:
        conditions.append(Need.org_id.in_([m.organization_id for m in person.memberships] or [-1]))
    if query.modality:
        # JSON text contains the quoted value: portable across SQLite and PostgreSQL
        wanted = json.dumps(query.modality.strip().lower())
        conditions.append(cast(Need.modalities, String).like(f"%{wanted}%"))
    return conditions


def search_needs(session: Session, person: Person, query: NeedQuery) -> tuple[list[Need], int]:
    """Browse/search needs visible to the person: newest first, or by relevance to a text query."""
    conditions = _need_conditions(person, query)
    if not query.q.strip():
        # The list shows each need's hospital: loaded with the page, not one query per row. The
        # total comes with it, as a window count (evaluated before LIMIT/OFFSET): one statement
        # instead of two, unless the page is empty.
        page = (select(Need, func.count().over().label("total")).where(*conditions)
                .options(joinedload(Need.organization)).order_by(Need.updated_at.desc(), Need.id.desc()))
        rows = session.execute(page.limit(query.limit).offset(query.offset)).all()
        if rows:
            return [row[0] for row in rows], rows[0][1]
        if not query.offset:
            return [], 0  # nothing visible at all
        # A page past the end: the count alone.
        return [], session.scalar(select(func.count()).select_from(Need).where(*conditions)) or 0
    ids = list(session.scalars(select(Need.id).where(*conditions)))
    ranked = _rank_ids_by_text(session, "need", ids, query.q)
    page_ids = ranked[query.offset : query.offset + query.limit]
    rows = {n.id: n for n in session.scalars(select(Need).where(Need.id.in_(page_ids or [-1]))
                                             .options(joinedload(Need.organization)))}
    return [rows[i] for i in page_ids if i in rows], len(ranked)


def _rank_ids_by_text(session: Session, side: str, ids: list[int], text: str) -> list[int]:
    """Order ids of needs or solutions by relevance to `text`: reciprocal rank fusion of a lexical
    and a semantic score, dropping rows with neither signal.

    Matchable rows are scored from the matching index (vectorised); the few visible rows that are
    not in it (the person's own drafts, closed or withdrawn ones) are scored directly.
    """
    if not ids:
        return []
    model, to_document = (Need, need_document) if side == "need" else (Solution, solution_document)
    index = get_index(session, side)
    corpus = index.engine.corpus(side)
    terms = corpus.analyzer.terms(text)
    query_vector = corpus.encoder.encode([text])[0]
    size = corpus.size()
    bm25 = corpus.bm25.scores(terms, size=size)
    sims = corpus.dense.similarities(query_vector, size)
    lexical: dict[int, float] = {}
    semantic: dict[int, float] = {}
    outside = []
    for need_id in ids:
        slot = corpus.slot_of.get(str(need_id))
        if slot is None:
            outside.append(need_id)
        else:
            lexical[need_id], semantic[need_id] = float(bm25[slot]), float(sims[slot])
    if outside:
        query_terms = set(terms)
        for row in session.scalars(select(model).where(model.id.in_(outside))):
            doc = to_document(row)
            shared = query_terms & set(corpus.analyzer.terms(f"{doc.title} {doc.text}"))
            ids_known = corpus.bm25.query_ids(shared)
            lexical[row.id] = float(corpus.bm25._idf(ids_known).sum()) if len(ids_known) else float(len(shared))
            vector = vector_from_row(row, index.model_name)
            semantic[row.id] = float(vector @ query_vector) if vector is not None else 0.0
    hits = [i for i in ids if lexical[i] > 0 or semantic[i] >= SEARCH_MIN_SIMILARITY]
    fused = dict.fromkeys(hits, 0.0)
    for scores in (lexical, semantic):
        for position, need_id in enumerate(sorted(hits, key=lambda i: (-scores[i], i))):
            fused[need_id] += 1.0 / (60 + position + 1)
    return sorted(hits, key=lambda i: (-(lexical[i] > 0), -fused[i], i))


def search_solutions(session: Session, person: Person, q: str = "", category: str | None = None,
                     maturity: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Solution], int]:
    own = [m.organization_id for m in person.memberships]
    conditions = [or_(Solution.status == SolutionStatus.published, Solution.org_id.in_(own or [-1]))]
    if category:
        conditions.append(Solution.category == category)
    if maturity:
        conditions.append(Solution.maturity == maturity)
    if not q.strip():
        total = session.scalar(select(func.count()).select_from(Solution).where(*conditions)) or 0
        page = select(Solution).where(*conditions).order_by(Solution.updated_at.desc(), Solution.id.desc())
        return list(session.scalars(page.limit(limit).offset(offset))), total
    ranked = _rank_ids_by_text(session, "solution", list(session.scalars(select(Solution.id).where(*conditions))), q)
    page_ids = ranked[offset : offset + limit]
    rows = {s.id: s for s in session.scalars(select(Solution).where(Solution.id.in_(page_ids or [-1])))}
    return [rows[i] for i in page_ids if i in rows], len(ranked)
