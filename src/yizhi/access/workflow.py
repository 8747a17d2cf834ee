"""The request state machine: every transition allowed, the history row, the ledger entry.

::

    draft ─submit─► submitted ─start_prescreen─► prescreen ─accept─► in_review ─decide─► approved ─┐
      ▲                 │  └──────────── accept ───────────┘   │                approved_with_  ├─grant─► granted ─close─► closed
      └──── return ─────┴──────────────── return ◄─────────────┘(prescreen)     conditions ─────┘
                                                                         └───► rejected
    draft, submitted, prescreen, in_review ─withdraw─► withdrawn
    submitted ─auto_approve─► approved   (the holder accepts approved organisations of a kind)

Each transition is one history row (:class:`RequestEvent`) and one ledger entry
``access.request_<action>`` carrying ids and the SHA-256 of what the request asks — never its text.
"""

from __future__ import annotations

import hashlib

import rfc8785
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access.grants import actor_label
from yizhi.access.request_models import AccessRequest, RequestEvent, RequestState
from yizhi.accounts.models import Person
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, ValidationFailed

S = RequestState
OPEN = (S.submitted, S.prescreen, S.in_review)
TRANSITIONS: dict[str, tuple[tuple[RequestState, ...], RequestState]] = {
    "submit": ((S.draft,), S.submitted),
    "start_prescreen": ((S.submitted,), S.prescreen),
    "accept": ((S.submitted, S.prescreen), S.in_review),
    "return": ((S.submitted, S.prescreen), S.draft),
    "withdraw": ((S.draft, *OPEN), S.withdrawn),
    "approve": ((S.in_review,), S.approved),
    "approve_with_conditions": ((S.in_review,), S.approved_with_conditions),
    "reject": ((S.in_review,), S.rejected),
    "auto_approve": ((S.submitted,), S.approved),
    "grant": ((S.approved, S.approved_with_conditions), S.granted),
    "close": ((S.granted,), S.closed),
}


def content_hash(request: AccessRequest) -> str:
    """SHA-256 of what the request asks (RFC 8785 JSON): the ledger holds this, never the text."""
    content = {
        "kind": request.kind.value, "title": request.title, "purpose": request.purpose,
        "lay_summary": request.lay_summary, "legal_basis": request.legal_basis,
        "ethics_reference": request.ethics_reference, "ethics_file": request.ethics_file,
        "funding": request.funding, "mode": request.mode, "duration_days": request.duration_days,
        "outputs": request.outputs, "team": sorted(request.team_ids or []),
        "datasets": sorted(({"ref": d.version.ref, "columns": d.columns, "reasons": d.reasons,
                             "series": d.series, "series_reason": d.series_reason} for d in request.datasets),
                           key=lambda item: item["ref"]),
    }
    return hashlib.sha256(rfc8785.dumps(content)).hexdigest()


def transition(session: Session, request: AccessRequest, action: str, person: Person | None, *,
               comment: str = "", data: dict | None = None) -> RequestState:
    """Move ``request`` by ``action`` (Conflict naming what is allowed otherwise); history + ledger."""
    sources, target = TRANSITIONS[action]
    if request.state not in sources:
        allowed = sorted(a for a, (froms, _t) in TRANSITIONS.items() if request.state in froms)
        raise Conflict(N_("a request that is %(state)s does not allow %(action)s (allowed: %(allowed)s)"),
                       params={"state": request.state.value, "action": action,
                               "allowed": ", ".join(allowed) or "-"})
    before = request.state
    request.state, request.updated_at = target, utcnow()
    session.add(RequestEvent(request_id=request.id, action=action, from_state=before.value, to_state=target.value,
                             comment=comment, actor_id=person.id if person else None))
    session.flush()
    ledger.record(session, f"access.request_{action}", f"access_request:{request.id}", {
        "request_id": request.id, "family_id": request.family_id, "version": request.version,
        "from": before.value, "to": target.value, "content_sha256": content_hash(request),
        "holder": request.holder.slug, **(data or {}),
    }, actor=actor_label(person), org=request.organization.slug)
    return target


def record_created(session: Session, request: AccessRequest, person: Person | None) -> None:
    session.add(RequestEvent(request_id=request.id, action="create", from_state=None, to_state=request.state.value,
                             comment=request.change_reason, actor_id=person.id if person else None))
    session.flush()
    ledger.record(session, "access.request_created", f"access_request:{request.id}", {
        "request_id": request.id, "family_id": request.family_id, "version": request.version,
        "change": request.change.value, "kind": request.kind.value, "holder": request.holder.slug,
        "content_sha256": content_hash(request),
    }, actor=actor_label(person), org=request.organization.slug)


class Incomplete(ValidationFailed):
    """A request that cannot be submitted yet; the missing fields are named in the reader's language."""

    code = "incomplete"

    def __init__(self, labels: list[str]):
        self.labels = labels
        super().__init__(N_("the request is incomplete; fill in: %(missing)s"), params={"missing": ", ".join(labels)},
                         field="request")

    def localized(self, gettext) -> str:
        separator = gettext(LIST_SEPARATOR)
        return gettext(self.template) % {"missing": separator.join(gettext(label) for label in self.labels)}


LIST_SEPARATOR = N_(", ")
