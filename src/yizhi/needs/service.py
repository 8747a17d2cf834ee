"""The rules of the needs domain: lifecycle, releases, solutions, matching, engagements, pilots.

Functions take the acting ``person`` (``None`` means the operator at the command line, who is
trusted like a database administrator) and check permission first, then change, then ``flush``:
the caller commits, so each state change, its notifications and its ledger record are one
transaction.

Need lifecycle (every transition in ``TRANSITIONS``; anything else is refused)::

    draft ─submit─► submitted ─start_review─► under_review ─approve─► published
      ▲                 │                         │                     │ accept interest
      └──── returned ◄──┴──────── return ─────────┘                     ▼
            (edit, submit again)                                 in_engagement ─start pilot─► piloting
                                                                        │                      │ close pilot
                                            close (no pilot) ───────────┴─────────► closed ◄───┘
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from pathlib import Path

import numpy as np
from pydantic import ValidationError
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, joinedload

from yizhi.accounts.models import Membership, Organization, OrgKind, Person, Role
from yizhi.accounts.permissions import authorize, is_platform_admin
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed, localize_problem, problem
from yizhi.exports import safe_cell, safe_row, unescape_cell
from yizhi.needs import permissions
from yizhi.needs.index import (
    get_index,
    is_matchable_need,
    need_document,
    solution_document,
    vector_from_row,
    vector_to_bytes,
)
from yizhi.needs.matching.categories import default_suggester
from yizhi.needs.matching.dense import default_encoder
from yizhi.needs.matching.engine import Filters, rank
from yizhi.needs.models import (
    Engagement,
    EngagementMessage,
    EngagementStatus,
    Level,
    Need,
    NeedStatus,
    Notification,
    Pilot,
    PilotStatus,
    Release,
    Solution,
    SolutionStatus,
)
from yizhi.needs.schemas import (
    InterestIn,
    NeedImport,
    NeedIn,
    PilotCloseIn,
    PilotIn,
    SolutionImport,
    SolutionIn,
)

TRANSITIONS: dict[tuple[NeedStatus, str], NeedStatus] = {
    (NeedStatus.draft, "submit"): NeedStatus.submitted,
    (NeedStatus.returned, "submit"): NeedStatus.submitted,
    (NeedStatus.submitted, "start_review"): NeedStatus.under_review,
    (NeedStatus.submitted, "approve"): NeedStatus.published,
    (NeedStatus.under_review, "approve"): NeedStatus.published,
    (NeedStatus.submitted, "return"): NeedStatus.returned,
    (NeedStatus.under_review, "return"): NeedStatus.returned,
    (NeedStatus.published, "engage"): NeedStatus.in_engagement,
    (NeedStatus.in_engagement, "start_pilot"): NeedStatus.piloting,
    (NeedStatus.in_engagement, "disengage"): NeedStatus.published,
    (NeedStatus.piloting, "close"): NeedStatus.closed,
    (NeedStatus.published, "close"): NeedStatus.closed,
    (NeedStatus.in_engagement, "close"): NeedStatus.closed,
}

RELEASED_STATES = (NeedStatus.published, NeedStatus.in_engagement, NeedStatus.piloting)


# ----- small helpers ---------------------------------------------------------------------------------
def _ledger(session: Session, kind: str, subject: str, data: dict, person: Person | None, org: Organization) -> None:
    from yizhi import ledger

    actor = f"user:{person.id}" if person is not None else "cli"
    ledger.record(session, kind, subject, data, actor=actor, org=org.slug)


def _check(person: Person | None, action: str, obj) -> None:
    if person is not None:
        authorize(person, action, obj)


def _transition(need: Need, action: str) -> None:
    target = TRANSITIONS.get((need.status, action))
    if target is None:
        allowed = sorted(a for (state, a) in TRANSITIONS if state == need.status)
        raise Conflict(N_("a need that is %(status)s does not allow '%(action)s' (allowed: %(allowed)s)"),
                       params={"status": need.status.value, "action": action, "allowed": ", ".join(allowed) or "-"})
    need.status = target
    need.updated_at = utcnow()


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation with slug '%(slug)s'"), params={"slug": slug})
    return org


def org_members(session: Session, org_id: int, roles: Iterable[Role] = (Role.owner, Role.member)) -> list[int]:
    query = select(Membership.person_id).where(Membership.organization_id == org_id, Membership.role.in_(list(roles)))
    return list(session.scalars(query))


def commission_staff(session: Session) -> list[int]:
    query = (
        select(Membership.person_id)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Organization.kind == OrgKind.commission, Organization.approved.is_(True))
        .where(Membership.role.in_([Role.owner, Role.member, Role.reviewer]))
    )
    return list(session.scalars(query))


def notify(
    session: Session, person_ids: Iterable[int], kind: str, params: dict, link: str, *, actor: Person | None = None
) -> int:
    """One notification per person concerned (never to the person who caused it)."""
    sent = 0
    for person_id in sorted(set(person_ids)):
        if actor is not None and person_id == actor.id:
            continue
        session.add(Notification(person_id=person_id, kind=kind, params=params, link=link))
        sent += 1
    session.flush()
    _to_platform(session, person_ids, kind, params, link, actor)
    return sent


def _to_platform(session: Session, person_ids: Iterable[int], kind: str, params: dict, link: str,
                 actor: Person | None) -> None:
    """The same notice in the platform's list, badge and e-mail (``yizhi.notify``)."""
    from yizhi.needs.messages import NOTIFICATIONS
    from yizhi.notify import service as platform

    platform.notify(session, person_ids, f"needs.{kind}", NOTIFICATIONS.get(kind, kind), params, link, actor=actor)


def _fill_category(row, data_category: str | None, vector: np.ndarray | None = None) -> None:
    if data_category:
        row.category, row.category_suggested = data_category, False
    else:
        text = f"{row.title}。{row.description}"
        row.category = default_suggester().suggest(text, top=1, vector=vector)[0].category
        row.category_suggested = True


def _embed(row, document) -> np.ndarray:
    encoder = default_encoder()
    vector = encoder.encode([document.dense_text()])[0]
    row.embedding, row.embedding_model = vector_to_bytes(vector), encoder.name
    return vector


# ----- needs -----------------------------------------------------------------------------------------
NEED_FIELDS = (
    "title", "description", "importance", "urgency", "department", "modalities", "data_available",
    "expected_outcome", "success_measures", "budget_min", "budget_max", "deadline", "contact_name", "contact_info",
)


def _set_need_fields(need: Need, data: NeedIn) -> None:
    for name in NEED_FIELDS:
        setattr(need, name, getattr(data, name))
    need.importance, need.urgency = Level(data.importance), Level(data.urgency)


def _apply_need(need: Need, data: NeedIn) -> None:
    _set_need_fields(need, data)
    vector = _embed(need, need_document(need))
    _fill_category(need, data.category, vector)
    need.updated_at = utcnow()


def create_need(session: Session, person: Person | None, org: Organization, data: NeedIn) -> Need:
    _check(person, "needs.create", org)
    if org.kind != OrgKind.hospital:
        raise ValidationFailed(N_("%(slug)s is not a hospital; only hospitals file clinical needs"), params={"slug": org.slug}, field="org")
    need = Need(org_id=org.id, created_by_id=person.id if person else None, status=NeedStatus.draft, category="other")
    _apply_need(need, data)
    session.add(need)
    session.flush()
    return need


def update_need(session: Session, person: Person | None, need: Need, data: NeedIn) -> Need:
    _check(person, "needs.edit", need)
    if need.status not in permissions.EDITABLE_NEED_STATES:
        raise Conflict(N_("a need that is %(status)s can no longer be edited"), params={"status": need.status.value})
    _apply_need(need, data)
    session.flush()
    return need


def get_need(session: Session, person: Person | None, need_id: int) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(N_("no need %(need_id)s"), params={"need_id": need_id})
    _check(person, "needs.view", need)
    return need


def find_need(session: Session, reference: str) -> Need:
    """A need by id, or by external id (the CLI's NEED argument)."""
    if reference.isdigit():
        need = session.get(Need, int(reference))
        if need is not None:
            return need
    found = list(session.scalars(select(Need).where(Need.external_id == reference)).all())
    if not found:
        raise NotFound(N_("no need with id or external id '%(reference)s'"), params={"reference": reference})
    if len(found) > 1:
        orgs = ", ".join(sorted(n.organization.slug for n in found))
        raise Conflict(N_("external id '%(reference)s' is used by several organisations (%(orgs)s); give the numeric id"), params={"reference": reference, "orgs": orgs})
    return found[0]


def delete_draft(session: Session, person: Person | None, need: Need) -> None:
    """Delete a draft (never submitted, so no one outside the hospital has seen it)."""
    _check(person, "needs.delete", need)
    if need.status != NeedStatus.draft:
        raise Conflict(N_("only drafts can be deleted; a need that is %(status)s keeps its history"),
                       params={"status": need.status.value})
    session.delete(need)
    session.flush()


def submit_need(session: Session, person: Person | None, need: Need) -> Need:
    _check(person, "needs.submit", need)
    _transition(need, "submit")
    need.submitted_at = utcnow()
    notify(session, commission_staff(session), "need_submitted", {"need_id": need.id, "title": need.title},
           f"/needs/{need.id}", actor=person)
    session.flush()
    return need


def start_review(session: Session, person: Person | None, need: Need) -> Need:
    _check(person, "needs.review", need)
    _transition(need, "start_review")
    need.reviewed_by_id = person.id if person else None
    _notify_need_org(session, need, "need_under_review", person)
    return need


def review_need(session: Session, person: Person | None, need: Need, decision: str, comment: str = "") -> Need:
    _check(person, "needs.review", need)
    if decision == "return":
        if not comment.strip():
            raise ValidationFailed("say what the hospital should change when returning a need", field="comment")
        _transition(need, "return")
        need.review_comment = comment.strip()
        need.reviewed_by_id = person.id if person else None
        _notify_need_org(session, need, "need_returned", person)
        return need
    if decision != "approve":
        raise ValidationFailed("decision must be approve or return", field="decision")
    _publish(session, person, need, comment)
    return need


def _publish(session: Session, person: Person | None, need: Need, comment: str = "") -> None:
    _transition(need, "approve")
    need.review_comment = comment.strip()
    need.reviewed_by_id = person.id if person else None
    need.published_at = utcnow()
    _ledger(session, "need.published", f"need:{need.id}", {"need_id": need.id, "category": need.category},
            person, need.organization)
    _notify_need_org(session, need, "need_published", person)


def close_need(session: Session, person: Person | None, need: Need) -> Need:
    _check(person, "needs.close", need)
    _transition(need, "close")
    need.closed_at = utcnow()
    _notify_need_org(session, need, "need_closed", person)
    return need


def _notify_need_org(session: Session, need: Need, kind: str, actor: Person | None) -> None:
    recipients = org_members(session, need.org_id)
    notify(session, recipients, kind, {"need_id": need.id, "title": need.title}, f"/needs/{need.id}", actor=actor)
    session.flush()


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
        total = session.scalar(select(func.count()).select_from(Need).where(*conditions)) or 0
        # The list shows each need's hospital: loaded with the page, not one query per row.
        page = (select(Need).where(*conditions).options(joinedload(Need.organization))
                .order_by(Need.updated_at.desc(), Need.id.desc()))
        return list(session.scalars(page.limit(query.limit).offset(query.offset))), total
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


# ----- solutions ---------------------------------------------------------------------------------------
SOLUTION_FIELDS = (
    "title", "description", "modalities", "maturity", "nmpa_class", "deployments", "contact_name", "contact_info",
)


def _apply_solution(solution: Solution, data: SolutionIn) -> None:
    for name in SOLUTION_FIELDS:
        setattr(solution, name, getattr(data, name))
    vector = _embed(solution, solution_document(solution))
    _fill_category(solution, data.category, vector)
    solution.updated_at = utcnow()


def create_solution(session: Session, person: Person | None, org: Organization, data: SolutionIn) -> Solution:
    _check(person, "solutions.create", org)
    if org.kind not in (OrgKind.company, OrgKind.university):
        raise ValidationFailed(N_("%(slug)s is not a company or university"), params={"slug": org.slug}, field="org")
    solution = Solution(org_id=org.id, created_by_id=person.id if person else None, category="other",
                        status=SolutionStatus.published)
    _apply_solution(solution, data)
    session.add(solution)
    session.flush()
    return solution


def update_solution(session: Session, person: Person | None, solution: Solution, data: SolutionIn) -> Solution:
    _check(person, "solutions.edit", solution)
    _apply_solution(solution, data)
    session.flush()
    return solution


def set_solution_status(session: Session, person: Person | None, solution: Solution, status: SolutionStatus) -> Solution:
    _check(person, "solutions.edit", solution)
    solution.status = status
    solution.updated_at = utcnow()
    session.flush()
    return solution


def get_solution(session: Session, person: Person | None, solution_id: int) -> Solution:
    solution = session.get(Solution, solution_id)
    if solution is None:
        raise NotFound(N_("no solution %(solution_id)s"), params={"solution_id": solution_id})
    _check(person, "solutions.view", solution)
    return solution


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


def solutions_of(session: Session, org_ids: list[int]) -> list[Solution]:
    """Published solutions of the given organisations (to attach one to an interest)."""
    return list(session.scalars(select(Solution).where(
        Solution.org_id.in_(org_ids or [-1]), Solution.status == SolutionStatus.published).order_by(Solution.title)))


# ----- matching ----------------------------------------------------------------------------------------
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
    _check(person, "needs.match", need)
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
    _check(person, "solutions.view", solution)
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


# ----- needs-list releases --------------------------------------------------------------------------------
RELEASE_COLUMNS = (
    ("no", "序号 No."), ("need_id", "需求编号 ID"), ("title", "需求名称 Title"), ("organization", "提出单位 Hospital"),
    ("department", "科室 Department"), ("category", "类别 Category"), ("importance", "重要性 Importance"),
    ("urgency", "紧迫性 Urgency"), ("description", "需求描述 Description"), ("modalities", "数据模态 Modalities"),
    ("data_available", "可提供数据 Data available"), ("expected_outcome", "预期成果 Expected outcome"),
    ("success_measures", "评价指标 Success measures"), ("budget", "预算(万元) Budget (10k CNY)"),
    ("deadline", "截止日期 Deadline"), ("contact", "联系人 Contact"),
)


def _snapshot_row(position: int, need: Need) -> dict:
    budget = ""
    if need.budget_min is not None or need.budget_max is not None:
        budget = f"{need.budget_min if need.budget_min is not None else ''}-{need.budget_max if need.budget_max is not None else ''}"
    return {
        "no": position,
        "need_id": need.id,
        "title": need.title,
        "organization": need.organization.name,
        "organization_en": need.organization.name_en or "",
        "department": need.department,
        "category": need.category,
        "importance": need.importance.value,
        "urgency": need.urgency.value,
        "description": need.description,
        "modalities": "、".join(need.modalities or []),
        "data_available": need.data_available,
        "expected_outcome": need.expected_outcome,
        "success_measures": need.success_measures,
        "budget": budget,
        "deadline": need.deadline.isoformat() if need.deadline else "",
        "contact": " ".join(x for x in (need.contact_name, need.contact_info) if x),
    }


def _snapshot_hash(rows: list[dict]) -> str:
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def released_need_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for snapshot in session.scalars(select(Release.snapshot)):
        ids.update(row["need_id"] for row in snapshot)
    return ids


def release_needs_list(session: Session, person: Person | None, *, title: str | None = None, notes: str = "",
                       year: int | None = None) -> Release:
    """Freeze the approved needs not yet in any list into the next numbered list of the year."""
    _check(person, "needs.release", None)
    year = year or utcnow().year
    already = released_need_ids(session)
    needs = [
        n for n in session.scalars(select(Need).where(Need.status.in_(RELEASED_STATES)).order_by(Need.published_at, Need.id))
        if n.id not in already
    ]
    if not needs:
        raise Conflict("there is no approved need that is not already in a released list")
    number = (session.scalar(select(func.max(Release.number)).where(Release.year == year)) or 0) + 1
    rows = [_snapshot_row(i + 1, n) for i, n in enumerate(needs)]
    release = Release(
        year=year, number=number, version=1,
        title=title or f"{year}年第{number}期医疗人工智能临床需求清单",
        notes=notes, snapshot=rows, snapshot_sha256=_snapshot_hash(rows), need_count=len(rows),
        org_id=_commission_org_id(session, person), released_by_id=person.id if person else None,
    )
    session.add(release)
    session.flush()
    _ledger(session, "needs_list.released", f"needs_list:{release.id}",
            {"year": year, "number": number, "version": 1, "need_ids": [r["need_id"] for r in rows],
             "sha256": release.snapshot_sha256}, person, session.get(Organization, release.org_id))
    return release


def revise_release(session: Session, person: Person | None, release: Release, notes: str = "") -> Release:
    """A new version of a list: the same needs, as they read now. Earlier versions stay as they were."""
    _check(person, "needs.release", None)
    latest = session.scalar(select(func.max(Release.version)).where(Release.year == release.year,
                                                                      Release.number == release.number))
    needs = [session.get(Need, row["need_id"]) for row in release.snapshot]
    rows = [_snapshot_row(i + 1, n) for i, n in enumerate(n for n in needs if n is not None)]
    revised = Release(
        year=release.year, number=release.number, version=(latest or 1) + 1, title=release.title,
        notes=notes or release.notes, snapshot=rows, snapshot_sha256=_snapshot_hash(rows), need_count=len(rows),
        org_id=release.org_id, released_by_id=person.id if person else None,
    )
    session.add(revised)
    session.flush()
    _ledger(session, "needs_list.released", f"needs_list:{revised.id}",
            {"year": revised.year, "number": revised.number, "version": revised.version,
             "need_ids": [r["need_id"] for r in rows], "sha256": revised.snapshot_sha256},
            person, session.get(Organization, revised.org_id))
    return revised


def _commission_org_id(session: Session, person: Person | None) -> int:
    if person is not None:
        for m in person.memberships:
            if m.organization.kind == OrgKind.commission and m.organization.approved:
                return m.organization_id
    org_id = session.scalar(select(Organization.id).where(Organization.kind == OrgKind.commission).order_by(Organization.id))
    if org_id is None:
        raise ValidationFailed("no commission organisation exists to publish the list", field="org")
    return org_id


def get_release(session: Session, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(N_("no needs list %(release_id)s"), params={"release_id": release_id})
    return release


def list_releases(session: Session) -> list[Release]:
    return list(session.scalars(select(Release).order_by(Release.year.desc(), Release.number.desc(), Release.version.desc())))


def _export_row(row: dict) -> dict:
    """A snapshot row as the bilingual exports print it: the organisation as 中文名 (English name)."""
    english = row.get("organization_en")
    if english and english != row.get("organization"):
        return {**row, "organization": f"{row.get('organization', '')} ({english})"}
    return row


def release_csv(release: Release) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in RELEASE_COLUMNS])
    for row in map(_export_row, release.snapshot):
        writer.writerow(safe_row(row.get(key, "") for key, _ in RELEASE_COLUMNS))  # no formulas (CWE-1236)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def release_xlsx(release: Release) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{release.year}-{release.number}"
    sheet.append([safe_cell(release.title + (f"（第{release.version}版）" if release.version > 1 else ""))])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"SHA-256 {release.snapshot_sha256}"])
    sheet.append([label for _, label in RELEASE_COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in map(_export_row, release.snapshot):
        sheet.append(safe_row(row.get(key, "") for key, _ in RELEASE_COLUMNS))  # text, never a formula
    for column, width in zip("ABCDEFGHIJKLMNOP", (6, 10, 30, 24, 14, 16, 10, 10, 60, 16, 30, 30, 30, 14, 12, 24), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ----- engagements and pilots --------------------------------------------------------------------------------
def express_interest(session: Session, person: Person, need: Need, data: InterestIn) -> Engagement:
    authorize(person, "needs.interest", need)
    companies = permissions.writer_orgs(person, (OrgKind.company, OrgKind.university))
    if data.org:
        companies = [o for o in companies if o.slug == data.org]
        if not companies:
            raise PermissionDenied(N_("you cannot act for '%(org)s'"), params={"org": data.org})
    company = companies[0]
    solution = None
    if data.solution_id is not None:
        solution = session.get(Solution, data.solution_id)
        if solution is None or solution.org_id != company.id:
            raise ValidationFailed("the solution must be one of your organisation's", field="solution_id")
    open_one = session.scalar(select(Engagement).where(
        Engagement.need_id == need.id, Engagement.company_org_id == company.id,
        Engagement.status.in_([EngagementStatus.pending, EngagementStatus.accepted])))
    if open_one is not None:
        raise Conflict(N_("%(slug)s already has an open engagement on this need (#%(id)s)"), params={"slug": company.slug, "id": open_one.id})
    engagement = Engagement(need_id=need.id, solution_id=solution.id if solution else None, company_org_id=company.id,
                            created_by_id=person.id, message=data.message, proposed_approach=data.proposed_approach)
    session.add(engagement)
    session.flush()
    _ledger(session, "engagement.interest_expressed", f"engagement:{engagement.id}",
            {"engagement_id": engagement.id, "need_id": need.id, "solution_id": engagement.solution_id},
            person, company)
    notify(session, org_members(session, need.org_id), "interest_expressed",
           {"need_id": need.id, "title": need.title, "company": company.name,
            "company_en": company.display_name("en")}, f"/needs/engagements/{engagement.id}",
           actor=person)
    return engagement


def get_engagement(session: Session, person: Person | None, engagement_id: int) -> Engagement:
    engagement = session.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(N_("no engagement %(engagement_id)s"), params={"engagement_id": engagement_id})
    _check(person, "engagements.view", engagement)
    return engagement


def decide_engagement(session: Session, person: Person | None, engagement: Engagement, accept: bool, note: str = "") -> Engagement:
    _check(person, "engagements.decide", engagement)
    if engagement.status != EngagementStatus.pending:
        raise Conflict(N_("this engagement is already %(status)s"), params={"status": engagement.status.value})
    engagement.status = EngagementStatus.accepted if accept else EngagementStatus.declined
    engagement.decision_note = note
    engagement.decided_by_id = person.id if person else None
    engagement.decided_at = utcnow()
    need = engagement.need
    if accept:
        if need.status == NeedStatus.published:
            _transition(need, "engage")
        _ledger(session, "engagement.accepted", f"engagement:{engagement.id}",
                {"engagement_id": engagement.id, "need_id": need.id}, person, need.organization)
    kind = "engagement_accepted" if accept else "engagement_declined"
    notify(session, org_members(session, engagement.company_org_id), kind,
           {"need_id": need.id, "title": need.title}, f"/needs/engagements/{engagement.id}", actor=person)
    session.flush()
    return engagement


def withdraw_engagement(session: Session, person: Person, engagement: Engagement) -> Engagement:
    """The company steps back; a need left with no accepted engagement is open to others again."""
    authorize(person, "engagements.withdraw", engagement)
    was_accepted = engagement.status == EngagementStatus.accepted
    engagement.status = EngagementStatus.withdrawn
    session.flush()
    need = engagement.need
    still_engaged = session.scalar(select(Engagement.id).where(
        Engagement.need_id == need.id, Engagement.status == EngagementStatus.accepted).limit(1))
    if was_accepted and need.status == NeedStatus.in_engagement and still_engaged is None:
        _transition(need, "disengage")
    notify(session, org_members(session, need.org_id), "engagement_withdrawn",
           {"need_id": need.id, "title": need.title, "company": engagement.company.name,
            "company_en": engagement.company.display_name("en")},
           f"/needs/engagements/{engagement.id}", actor=person)
    session.flush()
    return engagement


def post_message(session: Session, person: Person, engagement: Engagement, body: str) -> EngagementMessage:
    authorize(person, "engagements.message", engagement)
    org_id = engagement.company_org_id if permissions.acts_for(person, engagement.company_org_id) else engagement.need.org_id
    message = EngagementMessage(engagement_id=engagement.id, author_id=person.id, org_id=org_id, body=body.strip())
    session.add(message)
    other = engagement.need.org_id if org_id == engagement.company_org_id else engagement.company_org_id
    notify(session, org_members(session, other), "engagement_message",
           {"need_id": engagement.need_id, "title": engagement.need.title}, f"/needs/engagements/{engagement.id}",
           actor=person)
    session.flush()
    return message


def start_pilot(session: Session, person: Person | None, engagement: Engagement, data: PilotIn) -> Pilot:
    _check(person, "pilots.start", engagement)
    if session.scalar(select(Pilot).where(Pilot.engagement_id == engagement.id)) is not None:
        raise Conflict("this engagement already has a pilot")
    need = engagement.need
    _transition(need, "start_pilot")
    pilot = Pilot(engagement_id=engagement.id, **data.model_dump())
    session.add(pilot)
    session.flush()
    _ledger(session, "pilot.started", f"pilot:{pilot.id}",
            {"pilot_id": pilot.id, "engagement_id": engagement.id, "need_id": need.id,
             "start_date": pilot.start_date.isoformat()}, person, need.organization)
    for org_id in (need.org_id, engagement.company_org_id):
        notify(session, org_members(session, org_id), "pilot_started", {"need_id": need.id, "title": need.title},
               f"/needs/engagements/{engagement.id}", actor=person)
    return pilot


def close_pilot(session: Session, person: Person | None, pilot: Pilot, data: PilotCloseIn) -> Pilot:
    _check(person, "pilots.close", pilot)
    if pilot.status != PilotStatus.running:
        raise Conflict("this pilot is already closed")
    pilot.status = PilotStatus.closed
    pilot.closing_report = data.closing_report
    pilot.feedback = data.feedback
    pilot.closed_at = utcnow()
    if pilot.end_date is None:
        pilot.end_date = date.today()
    need = pilot.engagement.need
    _transition(need, "close")
    need.closed_at = utcnow()
    _ledger(session, "pilot.closed", f"pilot:{pilot.id}",
            {"pilot_id": pilot.id, "need_id": need.id,
             "report_sha256": hashlib.sha256(data.closing_report.encode()).hexdigest()}, person, need.organization)
    for org_id in (need.org_id, pilot.engagement.company_org_id):
        notify(session, org_members(session, org_id), "pilot_closed", {"need_id": need.id, "title": need.title},
               f"/needs/engagements/{pilot.engagement_id}", actor=person)
    session.flush()
    return pilot


def engagements_for(session: Session, person: Person, need: Need | None = None) -> list[Engagement]:
    own = [m.organization_id for m in person.memberships] or [-1]
    stmt = select(Engagement).join(Need, Need.id == Engagement.need_id)
    if not is_platform_admin(person):
        stmt = stmt.where(or_(Engagement.company_org_id.in_(own), Need.org_id.in_(own)))
    if need is not None:
        stmt = stmt.where(Engagement.need_id == need.id)
    return list(session.scalars(stmt.order_by(Engagement.created_at.desc())))


def pilot_of(session: Session, engagement: Engagement) -> Pilot | None:
    return session.scalar(select(Pilot).where(Pilot.engagement_id == engagement.id))


def get_pilot(session: Session, person: Person | None, pilot_id: int) -> Pilot:
    pilot = session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFound(N_("no pilot %(pilot_id)s"), params={"pilot_id": pilot_id})
    _check(person, "engagements.view", pilot.engagement)
    return pilot


# ----- notifications -------------------------------------------------------------------------------------------
def notifications_for(session: Session, person: Person, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    stmt = select(Notification).where(Notification.person_id == person.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, person: Person) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id == person.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, person: Person, notification_id: int | None = None) -> int:
    stmt = select(Notification).where(Notification.person_id == person.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    rows = list(session.scalars(stmt))
    if notification_id is not None and not rows:
        mine = session.get(Notification, notification_id)
        if mine is None or mine.person_id != person.id:  # another person's notice does not exist for you
            raise NotFound(N_("no notification %(notification_id)s"), params={"notification_id": notification_id})
    now = utcnow()
    for row in rows:
        row.read_at = now
    session.flush()
    if notification_id is None:  # "mark all as read" here clears the platform badge of these notices too
        from yizhi.notify import service as platform

        platform.mark_all_read(session, person.id, "needs")
    return len(rows)


# ----- bulk import (CLI) ------------------------------------------------------------------------------------------
@dataclass
class ImportProblem:
    """A bad line of an import: an English msgid and its values, shown in each reader's language."""

    line: int
    field: str
    msgid: str
    params: dict = dataclass_field(default_factory=dict)
    translate: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return localize_problem({**self.as_problem(), "line": None}, lambda text: text)

    def as_problem(self) -> dict:
        return problem(self.msgid, self.params, line=self.line, field=self.field or None, translate=self.translate)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.field!r}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    suggested_categories: int = 0
    problems: list[ImportProblem] = dataclass_field(default_factory=list)
    ids: list[int] = dataclass_field(default_factory=list)


MAX_IMPORT_PROBLEMS = 1000  # a file that is wrong everywhere is reported by its first thousand lines


def read_records(path: Path, suffix: str | None = None, name: str | None = None) -> list[tuple[int, dict]]:
    """(line number, record) pairs from .jsonl or .csv. A file that cannot be read at all raises
    ValidationFailed; lines that are not records raise one ValidationFailed listing *every* such line.

    `suffix` overrides the file's own (uploads are stored under their SHA-256, without one); `name` is
    what messages call the file (never a path on the server)."""
    shown = name or path.name
    suffix = (suffix or path.suffix).lower()
    if suffix not in (".jsonl", ".csv"):
        raise ValidationFailed(N_("%(file)s: expected a .jsonl or .csv file, not %(suffix)s"),
                               params={"file": shown, "suffix": suffix or "-"}, field="FILE")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationFailed(N_("%(file)s: no such file"), params={"file": shown}, field="FILE") from None
    except UnicodeDecodeError as exc:
        raise ValidationFailed(N_("%(file)s: not UTF-8 text (byte %(byte)s); save it as UTF-8"),
                               params={"file": shown, "byte": exc.start}, field="FILE") from None
    records: list[tuple[int, dict]] = []
    bad: list[dict] = []
    if suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                bad.append(problem(N_("not valid JSON (%(reason)s at column %(column)s)"),
                                   {"reason": getattr(exc, "msg", "too deeply nested"),
                                    "column": getattr(exc, "colno", 1)}, line=number))
                continue
            if not isinstance(record, dict):
                bad.append(problem(N_("expected a JSON object"), line=number))
                continue
            records.append((number, record))
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise ValidationFailed(N_("%(file)s: the CSV file has no header line"), params={"file": shown},
                                   field="FILE")
        for record in reader:
            if None in record:
                bad.append(problem(N_("more values than header columns"), line=reader.line_num))
                continue
            if not any((v or "").strip() for v in record.values()):
                continue
            records.append((reader.line_num, {k.strip(): unescape_cell(v) for k, v in record.items() if k}))
    if bad:
        raise ValidationFailed(N_("%(file)s: %(count)s line(s) cannot be read; nothing was imported"),
                               params={"file": shown, "count": len(bad)}, field="FILE",
                               problems=bad[:MAX_IMPORT_PROBLEMS])
    if not records:
        raise ValidationFailed(N_("%(file)s: no records found"), params={"file": shown}, field="FILE")
    return records


def validate_records(records: list[tuple[int, dict]], schema) -> tuple[list[tuple[int, object]], list[ImportProblem]]:
    """Every problem of every line (not only the first), each as msgid + values."""
    from yizhi.web.validation import as_problems, labels_of

    labels = labels_of(schema)
    valid, problems = [], []
    seen_ids: dict[str, int] = {}
    for line, record in records:
        try:
            item = schema.model_validate(record)
        except ValidationError as exc:
            for found in as_problems(exc.errors(), labels, line=line):
                problems.append(ImportProblem(line, found["field"] or "", found["message"], found["params"],
                                              tuple(found["translate"])))
            continue
        if item.id is not None:
            if item.id in seen_ids:
                problems.append(ImportProblem(line, "id", N_("id %(id)s is also on line %(other)s"),
                                              {"id": item.id, "other": seen_ids[item.id]}))
                continue
            seen_ids[item.id] = line
        valid.append((line, item))
    return valid, problems


def import_needs(session: Session, path: Path, org_slug: str, *, publish: bool = False, progress=None,
                 suffix: str | None = None, name: str | None = None) -> ImportReport:
    """Import needs into `org_slug`; all or nothing. Existing external ids are updated (if still editable)."""
    org = org_by_slug(session, org_slug)
    if org.kind != OrgKind.hospital:
        raise ValidationFailed(N_("%(org_slug)s is a %(kind)s, not a hospital"), params={"org_slug": org_slug, "kind": org.kind.value}, field="--org")
    valid, problems = validate_records(read_records(path, suffix, name), NeedImport)
    report = ImportReport(problems=problems)
    if problems:
        return report
    existing = {n.external_id: n for n in session.scalars(select(Need).where(Need.org_id == org.id, Need.external_id.is_not(None)))}
    for line, item in valid:
        current = existing.get(item.id) if item.id else None
        if current is not None and current.status not in permissions.EDITABLE_NEED_STATES:
            report.problems.append(ImportProblem(
                line, "id", N_("need %(id)s is already %(status)s and cannot be changed by an import"),
                {"id": item.id, "status": current.status.value}, ("status",)))
    if report.problems:
        return report
    docs, rows = [], []
    for line, item in valid:
        need = existing.get(item.id) if item.id else None
        if need is None:
            need = Need(org_id=org.id, external_id=item.id, status=NeedStatus.draft, category="other")
            session.add(need)
            report.imported += 1
        else:
            report.updated += 1
        _set_need_fields(need, item)
        need.updated_at = utcnow()
        rows.append((need, item))
        docs.append(need_document(need))
    _bulk_embed_and_categorise(rows, docs, report, progress)
    session.flush()
    for need, _ in rows:
        if publish:
            need.status = NeedStatus.under_review  # the operator's import is the review
            _publish(session, None, need, "imported")
        report.ids.append(need.id)
    session.flush()
    return report


def import_solutions(session: Session, path: Path, org_slug: str, *, progress=None,
                     suffix: str | None = None, name: str | None = None) -> ImportReport:
    org = org_by_slug(session, org_slug)
    if org.kind not in (OrgKind.company, OrgKind.university):
        raise ValidationFailed(N_("%(org_slug)s is a %(kind)s, not a company or university"), params={"org_slug": org_slug, "kind": org.kind.value}, field="--org")
    valid, problems = validate_records(read_records(path, suffix, name), SolutionImport)
    report = ImportReport(problems=problems)
    if problems:
        return report
    existing = {s.external_id: s for s in session.scalars(select(Solution).where(Solution.org_id == org.id, Solution.external_id.is_not(None)))}
    docs, rows = [], []
    for _line, item in valid:
        solution = existing.get(item.id) if item.id else None
        if solution is None:
            solution = Solution(org_id=org.id, external_id=item.id, status=SolutionStatus.published, category="other")
            session.add(solution)
            report.imported += 1
        else:
            report.updated += 1
        for name in SOLUTION_FIELDS:
            setattr(solution, name, getattr(item, name))
        solution.updated_at = utcnow()
        rows.append((solution, item))
        docs.append(solution_document(solution))
    _bulk_embed_and_categorise(rows, docs, report, progress)
    session.flush()
    report.ids = [s.id for s, _ in rows]
    return report


def _bulk_embed_and_categorise(rows, docs, report: ImportReport, progress=None) -> None:
    encoder = default_encoder()
    batch = 64
    for start in range(0, len(rows), batch):
        chunk = slice(start, start + batch)
        vectors = encoder.encode([d.dense_text() for d in docs[chunk]])
        for (row, item), vector in zip(rows[chunk], vectors, strict=True):
            row.embedding, row.embedding_model = vector_to_bytes(vector), encoder.name
            _fill_category(row, item.category, vector)
            report.suggested_categories += int(row.category_suggested)
        if progress is not None:
            progress(min(start + batch, len(rows)), len(rows))

