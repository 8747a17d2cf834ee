"""JSON API of the needs domain under /api/v1/needs (needs, releases, solutions, matches,
engagements, pilots, notifications). Routes only translate HTTP; the rules live in ``service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, NotFound, ValidationFailed
from yizhi.needs import permissions as _rules  # noqa: F401  (registers the permission rules)
from yizhi.needs import service
from yizhi.needs.matching.categories import default_suggester
from yizhi.needs.models import SolutionStatus
from yizhi.needs.schemas import (
    DecisionIn,
    EngagementPublic,
    InterestIn,
    MessageIn,
    MessagePublic,
    NeedIn,
    NeedPublic,
    NotificationPublic,
    PilotCloseIn,
    PilotIn,
    PilotPublic,
    ReleaseIn,
    ReleasePublic,
    ReviewIn,
    SolutionIn,
    SolutionPublic,
)
from yizhi.web.deps import CurrentPerson, DbSession, public, reads_only

router = APIRouter(prefix="/api/v1/needs", tags=["needs"])


def acting_org(db, person: Person, slug: str | None, kinds: tuple[OrgKind, ...]) -> Organization:
    """The organisation a create request acts for: the named one, or the person's only fitting one."""
    if slug:
        return service.org_by_slug(db, slug)
    fitting = [m.organization for m in person.memberships if m.organization.kind in kinds]
    if len(fitting) != 1:
        names = " or ".join(k.value for k in kinds)
        raise ValidationFailed(N_("say which %(names)s you act for (the `org` parameter)"), params={"names": names}, field="org")
    return fitting[0]


def _match_rows(results) -> list[dict]:
    out = []
    for m in results:
        out.append({
            "id": m.row.id, "external_id": m.row.external_id, "title": m.row.title, "org_id": m.row.org_id,
            "score": m.score, "good_match": m.good, "similarity": m.similarity, "shared_terms": list(m.shared_terms), "why": m.why,
        })
    return out


# ----- category suggestion, notifications, releases (fixed paths first) -------------------------------------
@router.get("/suggest-category")
def suggest_category(text: Annotated[str, Query(min_length=2, max_length=20_000)], person: CurrentPerson) -> list[dict]:
    return [{"category": s.category, "confidence": s.confidence} for s in default_suggester().suggest(text, top=3)]


@router.get("/notifications")
def notifications(db: DbSession, person: CurrentPerson, unread: bool = False) -> dict:
    rows = service.notifications_for(db, person, unread_only=unread)
    return {"unread": service.unread_count(db, person),
            "items": [NotificationPublic.model_validate(n).model_dump(mode="json") for n in rows]}


@router.post("/notifications/read")
def read_all(db: DbSession, person: CurrentPerson) -> dict:
    count = service.mark_read(db, person)
    db.commit()
    return {"marked": count}


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: int, db: DbSession, person: CurrentPerson) -> dict:
    count = service.mark_read(db, person, notification_id)
    db.commit()
    return {"marked": count}


@router.get("/releases")
@public
def releases(db: DbSession) -> list[ReleasePublic]:
    return [ReleasePublic.model_validate(r) for r in service.list_releases(db)]


@router.post("/releases", status_code=201)
def create_release(body: ReleaseIn, db: DbSession, person: CurrentPerson) -> ReleasePublic:
    release = service.release_needs_list(db, person, title=body.title, notes=body.notes)
    db.commit()
    return ReleasePublic.model_validate(release)


@router.get("/releases/{release_id}")
@public
def release(release_id: int, db: DbSession) -> dict:
    found = service.get_release(db, release_id)
    return {**ReleasePublic.model_validate(found).model_dump(mode="json"), "needs": found.snapshot}


@router.post("/releases/{release_id}/revise", status_code=201)
def revise_release(release_id: int, body: ReleaseIn, db: DbSession, person: CurrentPerson) -> ReleasePublic:
    revised = service.revise_release(db, person, service.get_release(db, release_id), notes=body.notes)
    db.commit()
    return ReleasePublic.model_validate(revised)


@router.get("/releases/{release_id}/export.{fmt}")
@public
def export_release(release_id: int, fmt: str, db: DbSession) -> Response:
    found = service.get_release(db, release_id)
    stem = f"needs-list-{found.year}-{found.number}-v{found.version}"
    if fmt == "csv":
        return Response(service.release_csv(found), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    if fmt == "xlsx":
        return Response(service.release_xlsx(found),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
    raise NotFound(N_("no export format '%(fmt)s'; use csv or xlsx"), params={"fmt": fmt})


# ----- solutions ------------------------------------------------------------------------------------------------
@router.get("/solutions")
def list_solutions(db: DbSession, person: CurrentPerson, q: str = "", category: str | None = None,
                   maturity: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    rows, total = service.search_solutions(db, person, q, category, maturity, limit, offset)
    return {"total": total, "items": [SolutionPublic.model_validate(s).model_dump(mode="json") for s in rows]}


@router.post("/solutions", status_code=201)
def create_solution(body: SolutionIn, db: DbSession, person: CurrentPerson, org: str | None = None) -> SolutionPublic:
    organization = acting_org(db, person, org, (OrgKind.company, OrgKind.university))
    solution = service.create_solution(db, person, organization, body)
    db.commit()
    return SolutionPublic.model_validate(solution)


@router.get("/solutions/{solution_id}")
def get_solution(solution_id: int, db: DbSession, person: CurrentPerson) -> SolutionPublic:
    return SolutionPublic.model_validate(service.get_solution(db, person, solution_id))


@router.put("/solutions/{solution_id}")
def update_solution(solution_id: int, body: SolutionIn, db: DbSession, person: CurrentPerson) -> SolutionPublic:
    solution = service.update_solution(db, person, service.get_solution(db, person, solution_id), body)
    db.commit()
    return SolutionPublic.model_validate(solution)


@router.post("/solutions/{solution_id}/withdraw")
def withdraw_solution(solution_id: int, db: DbSession, person: CurrentPerson) -> SolutionPublic:
    solution = service.get_solution(db, person, solution_id)
    service.set_solution_status(db, person, solution, SolutionStatus.withdrawn)
    db.commit()
    return SolutionPublic.model_validate(solution)


@router.get("/solutions/{solution_id}/matches")
def solution_matches(solution_id: int, db: DbSession, person: CurrentPerson,
                     top: Annotated[int, Query(ge=1, le=100)] = 10, category: str | None = None,
                     modality: Annotated[list[str] | None, Query()] = None, lang: str = "zh") -> list[dict]:
    solution = service.get_solution(db, person, solution_id)
    filters = service.match_filters(category, modality or [])
    return _match_rows(service.matches_for_solution(db, person, solution, filters=filters, top=top, lang=lang))


# ----- engagements and pilots -------------------------------------------------------------------------------------
def _engagement_out(db, engagement) -> dict:
    pilot = service.pilot_of(db, engagement)
    return {
        **EngagementPublic.model_validate(engagement).model_dump(mode="json"),
        "messages": [MessagePublic.model_validate(m).model_dump(mode="json") for m in engagement.messages],
        "pilot": PilotPublic.model_validate(pilot).model_dump(mode="json") if pilot else None,
    }


@router.get("/engagements")
def list_engagements(db: DbSession, person: CurrentPerson) -> list[EngagementPublic]:
    return [EngagementPublic.model_validate(e) for e in service.engagements_for(db, person)]


@router.get("/engagements/{engagement_id}")
def get_engagement(engagement_id: int, db: DbSession, person: CurrentPerson) -> dict:
    return _engagement_out(db, service.get_engagement(db, person, engagement_id))


@router.post("/engagements/{engagement_id}/decision")
def decide(engagement_id: int, body: DecisionIn, db: DbSession, person: CurrentPerson) -> dict:
    engagement = service.decide_engagement(db, person, service.get_engagement(db, person, engagement_id),
                                           body.accept, body.note)
    db.commit()
    return _engagement_out(db, engagement)


@router.post("/engagements/{engagement_id}/withdraw")
def withdraw(engagement_id: int, db: DbSession, person: CurrentPerson) -> dict:
    engagement = service.withdraw_engagement(db, person, service.get_engagement(db, person, engagement_id))
    db.commit()
    return _engagement_out(db, engagement)


@router.post("/engagements/{engagement_id}/messages", status_code=201)
def post_message(engagement_id: int, body: MessageIn, db: DbSession, person: CurrentPerson) -> MessagePublic:
    message = service.post_message(db, person, service.get_engagement(db, person, engagement_id), body.body)
    db.commit()
    return MessagePublic.model_validate(message)


@router.post("/engagements/{engagement_id}/pilot", status_code=201)
def start_pilot(engagement_id: int, body: PilotIn, db: DbSession, person: CurrentPerson) -> PilotPublic:
    pilot = service.start_pilot(db, person, service.get_engagement(db, person, engagement_id), body)
    db.commit()
    return PilotPublic.model_validate(pilot)


@router.post("/pilots/{pilot_id}/close")
def close_pilot(pilot_id: int, body: PilotCloseIn, db: DbSession, person: CurrentPerson) -> PilotPublic:
    pilot = service.close_pilot(db, person, service.get_pilot(db, person, pilot_id), body)
    db.commit()
    return PilotPublic.model_validate(pilot)


# ----- needs --------------------------------------------------------------------------------------------------------
@router.get("")
@reads_only
def list_needs(db: DbSession, person: CurrentPerson, q: str = "", category: str | None = None,
               status: str | None = None, org: str | None = None, modality: str | None = None, mine: bool = False,
               limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    query = service.NeedQuery(q=q, category=category, status=status, org=org, modality=modality, mine=mine,
                              limit=limit, offset=offset)
    rows, total = service.search_needs(db, person, query)
    return {"total": total, "items": [NeedPublic.model_validate(n).model_dump(mode="json") for n in rows]}


@router.get("/review-queue")
def review_queue(db: DbSession, person: CurrentPerson) -> list[NeedPublic]:
    authorize(person, "needs.review_queue", None)
    rows, _ = service.search_needs(db, person, service.NeedQuery(limit=500))
    return [NeedPublic.model_validate(n) for n in rows if n.status.value in ("submitted", "under_review")]


@router.post("", status_code=201)
def create_need(body: NeedIn, db: DbSession, person: CurrentPerson, org: str | None = None) -> NeedPublic:
    organization = acting_org(db, person, org, (OrgKind.hospital,))
    need = service.create_need(db, person, organization, body)
    db.commit()
    return NeedPublic.model_validate(need)


@router.get("/{need_id}")
def get_need(need_id: int, db: DbSession, person: CurrentPerson) -> NeedPublic:
    return NeedPublic.model_validate(service.get_need(db, person, need_id))


@router.put("/{need_id}")
def update_need(need_id: int, body: NeedIn, db: DbSession, person: CurrentPerson) -> NeedPublic:
    need = service.update_need(db, person, service.get_need(db, person, need_id), body)
    db.commit()
    return NeedPublic.model_validate(need)


@router.delete("/{need_id}", status_code=204)
def delete_draft(need_id: int, db: DbSession, person: CurrentPerson) -> Response:
    service.delete_draft(db, person, service.get_need(db, person, need_id))
    db.commit()
    return Response(status_code=204)


@router.post("/{need_id}/submit")
def submit_need(need_id: int, db: DbSession, person: CurrentPerson) -> NeedPublic:
    need = service.submit_need(db, person, service.get_need(db, person, need_id))
    db.commit()
    return NeedPublic.model_validate(need)


@router.post("/{need_id}/start-review")
def start_review(need_id: int, db: DbSession, person: CurrentPerson) -> NeedPublic:
    need = service.start_review(db, person, service.get_need(db, person, need_id))
    db.commit()
    return NeedPublic.model_validate(need)


@router.post("/{need_id}/review")
def review_need(need_id: int, body: ReviewIn, db: DbSession, person: CurrentPerson) -> NeedPublic:
    need = service.review_need(db, person, service.get_need(db, person, need_id), body.decision, body.comment)
    db.commit()
    return NeedPublic.model_validate(need)


@router.post("/{need_id}/close")
def close_need(need_id: int, db: DbSession, person: CurrentPerson) -> NeedPublic:
    need = service.close_need(db, person, service.get_need(db, person, need_id))
    db.commit()
    return NeedPublic.model_validate(need)


@router.get("/{need_id}/matches")
def need_matches(need_id: int, db: DbSession, person: CurrentPerson, top: Annotated[int, Query(ge=1, le=100)] = 10,
                 category: str | None = None, modality: Annotated[list[str] | None, Query()] = None,
                 min_maturity: str | None = None, lang: str = "zh") -> list[dict]:
    need = service.get_need(db, person, need_id)
    filters = service.match_filters(category, modality or [], min_maturity)
    return _match_rows(service.matches_for_need(db, person, need, filters=filters, top=top, lang=lang))


@router.post("/{need_id}/interest", status_code=201)
def express_interest(need_id: int, body: InterestIn, db: DbSession, person: CurrentPerson) -> EngagementPublic:
    engagement = service.express_interest(db, person, service.get_need(db, person, need_id), body)
    db.commit()
    return EngagementPublic.model_validate(engagement)


@router.get("/{need_id}/engagements")
def need_engagements(need_id: int, db: DbSession, person: CurrentPerson) -> list[EngagementPublic]:
    need = service.get_need(db, person, need_id)
    return [EngagementPublic.model_validate(e) for e in service.engagements_for(db, person, need)]
