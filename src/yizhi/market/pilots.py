"""Pilot requests, agreed pilots in the needs library, closing reports and ratings (no HTTP here).

A hospital asks to pilot a certified version, naming the outcome measures. When the company
agrees, the request becomes the needs library's own objects, made through its service so its
rules, notifications and ledger events apply: the hospital's need (one it names, or one opened for
the request), the company's engagement on it (accepted by the hospital that asked), and the pilot
with the agreed outcome measures. A need opened for a request goes straight to the engagement: it
is addressed to one certified product, not a call to every company, so it skips the commission's
review of public needs. The pilot is closed with the needs library's closing report; only then may
the hospital rate the product.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.accounts.permissions import can
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed
from yizhi.market import permissions as rules
from yizhi.market.models import PilotRequest, PilotRequestState, Product, ProductVersion, Rating
from yizhi.market.notify import notify, org_people
from yizhi.market.products import _check, actor_of
from yizhi.market.schemas import PilotCloseIn, PilotRequestIn, RatingIn
from yizhi.needs import service as needs
from yizhi.needs.models import Need, NeedStatus, PilotStatus, Solution, SolutionStatus
from yizhi.needs.schemas import InterestIn, NeedIn, PilotIn, SolutionIn
from yizhi.needs.schemas import PilotCloseIn as NeedsPilotCloseIn

OPEN_NEED_STATES = (NeedStatus.published, NeedStatus.in_engagement)


def _params(request: PilotRequest) -> dict:
    version = request.version
    return {"product": version.product.name, "version": version.label, "hospital": request.hospital.name,
            "company": version.product.organization.name, "hospital_en": request.hospital.display_name("en"),
            "company_en": version.product.organization.display_name("en")}


def _link(request: PilotRequest) -> str:
    return f"/market/pilots/{request.id}"


def get_request(session: Session, request_id: int) -> PilotRequest:
    found = session.get(PilotRequest, request_id) if 0 < request_id < 2**31 else None
    if found is None:
        raise NotFound(N_("no pilot request %(id)s"), params={"id": request_id})
    return found


def _acting_hospital(person: Person | None, slug: str | None, session: Session) -> Organization:
    if person is None:
        if not slug:
            raise ValidationFailed(N_("name the hospital"), field="hospital")
        from yizhi.market.products import org_by_slug

        org = org_by_slug(session, slug)
        if org.kind != OrgKind.hospital:
            raise ValidationFailed(N_("%(org)s is not a hospital"), params={"org": slug}, field="hospital")
        return org
    hospitals = rules.writer_orgs(person, (OrgKind.hospital,))
    if slug:
        hospitals = [h for h in hospitals if h.slug == slug]
        if not hospitals:
            raise PermissionDenied(N_("you cannot act for %(org)s"), params={"org": slug})
    if len(hospitals) != 1:
        raise ValidationFailed(N_("say which hospital you act for (the hospital field)"), field="hospital")
    return hospitals[0]


def request_pilot(session: Session, person: Person | None, version: ProductVersion, data: PilotRequestIn) -> PilotRequest:
    _check(person, "market.pilot.request", version)
    if rules.live_certificate(version) is None:
        raise Conflict(N_("%(ref)s is not certified; only certified versions are piloted from the supermarket"),
                       params={"ref": version.ref}, code="not_certified")
    hospital = _acting_hospital(person, data.hospital, session)
    if data.end_date is not None and data.end_date < data.start_date:
        raise ValidationFailed(N_("the pilot must end after it starts"), field="end_date")
    need = None
    if data.need_id is not None:
        need = session.get(Need, data.need_id)
        if need is None or need.org_id != hospital.id:
            raise NotFound(N_("%(org)s has no need %(id)s"), params={"org": hospital.slug, "id": data.need_id})
        if need.status not in OPEN_NEED_STATES:
            raise Conflict(N_("need %(id)s is %(state)s; a pilot needs a published need"),
                           params={"id": need.id, "state": need.status.value}, code="need_not_open")
    open_one = session.scalar(select(PilotRequest.id).where(
        PilotRequest.version_id == version.id, PilotRequest.hospital_id == hospital.id,
        PilotRequest.state == PilotRequestState.requested))
    if open_one is not None:
        raise Conflict(N_("%(org)s already asked to pilot this version (request %(id)s)"),
                       params={"org": hospital.slug, "id": open_one})
    request = PilotRequest(version_id=version.id, hospital_id=hospital.id, requested_by_id=person.id if person else None,
                           need_id=need.id if need else None, site=data.site, scenario=data.scenario,
                           start_date=data.start_date, end_date=data.end_date, outcome_measures=data.outcome_measures)
    request.version, request.hospital = version, hospital
    session.add(request)
    session.flush()
    ledger.record(session, "market.pilot_requested", f"pilot_request:{request.id}",
                  {"pilot_request_id": request.id, "version_id": version.id, "need_id": request.need_id},
                  actor=actor_of(person), org=hospital.slug)
    notify(session, org_people(session, version.product.organization_id), "pilot_requested", _params(request),
           _link(request), actor=person)
    return request


def withdraw_request(session: Session, person: Person | None, request: PilotRequest) -> PilotRequest:
    _check(person, "market.pilot.withdraw", request)
    if request.state != PilotRequestState.requested:
        raise Conflict(N_("this pilot request is already %(state)s"), params={"state": request.state.value})
    request.state = PilotRequestState.withdrawn
    session.flush()
    return request


def _still_acting(session: Session, person_id: int | None, org: Organization) -> Person | None:
    """The hospital person who asked, if they still act for the hospital (else the operator acts)."""
    person = session.get(Person, person_id) if person_id else None
    return person if person is not None and rules.writes_for(person, org) else None


def _product_solution(session: Session, company_person: Person | None, product: Product) -> Solution:
    """The product's entry among the needs library's solutions (made once, kept in step)."""
    data = SolutionIn(title=product.name[:200], description=f"{product.intended_use}\n\n{product.description}"[:20000],
                      category=product.category, modalities=list(product.modalities or [])[:20],
                      maturity="nmpa_registered" if product.nmpa_class else "product", nmpa_class=product.nmpa_class)
    if product.solution is not None and product.solution.status == SolutionStatus.published:
        return product.solution
    solution = needs.create_solution(session, company_person, product.organization, data)
    product.solution_id, product.solution = solution.id, solution
    return solution


def _open_need(session: Session, requester: Person | None, request: PilotRequest) -> Need:
    product, version = request.version.product, request.version
    data = NeedIn(title=f"{product.name} {version.label}"[:200], description=request.scenario or product.intended_use,
                  category=product.category, modalities=list(product.modalities or [])[:20],
                  expected_outcome=request.outcome_measures, success_measures=request.outcome_measures)
    need = needs.create_need(session, requester, request.hospital, data)
    need.status, need.published_at, need.updated_at = NeedStatus.published, utcnow(), utcnow()
    need.review_comment = "opened by a pilot request of the product supermarket"
    session.flush()
    ledger.record(session, "market.need_opened", f"need:{need.id}",
                  {"need_id": need.id, "pilot_request_id": request.id}, actor=actor_of(requester),
                  org=request.hospital.slug)
    return need


def decide(session: Session, person: Person | None, request: PilotRequest, accept: bool, note: str = "") -> PilotRequest:
    """The company agrees (the pilot starts in the needs library) or declines."""
    _check(person, "market.pilot.decide", request)
    if request.state != PilotRequestState.requested:
        raise Conflict(N_("this pilot request is already %(state)s"), params={"state": request.state.value})
    request.decided_by_id, request.decided_at, request.decision_note = (person.id if person else None), utcnow(), note
    if not accept:
        request.state = PilotRequestState.declined
        session.flush()
        notify(session, org_people(session, request.hospital_id), "pilot_declined", _params(request), _link(request),
               actor=person)
        return request
    if rules.live_certificate(request.version) is None:
        raise Conflict(N_("%(ref)s is no longer certified; the pilot cannot start"),
                       params={"ref": request.version.ref}, code="not_certified")
    _start_in_needs_library(session, person, request)
    request.state = PilotRequestState.accepted
    session.flush()
    ledger.record(session, "market.pilot_agreed", f"pilot_request:{request.id}",
                  {"pilot_request_id": request.id, "engagement_id": request.engagement_id,
                   "pilot_id": request.pilot_id, "need_id": request.need_id}, actor=actor_of(person),
                  org=request.version.product.organization.slug)
    notify(session, org_people(session, request.hospital_id), "pilot_agreed", _params(request), _link(request),
           actor=person)
    return request


def _start_in_needs_library(session: Session, person: Person | None, request: PilotRequest) -> None:
    product = request.version.product
    requester = _still_acting(session, request.requested_by_id, request.hospital)
    need = request.need
    if need is not None and need.status not in OPEN_NEED_STATES:
        raise Conflict(N_("need %(id)s is %(state)s; a pilot needs a published need"),
                       params={"id": need.id, "state": need.status.value}, code="need_not_open")
    if need is None:
        need = _open_need(session, requester, request)
        request.need_id, request.need = need.id, need
    solution = _product_solution(session, person, product)
    interest = InterestIn(message=f"{product.name} {request.version.label}: {request.scenario}"[:5000] or product.name,
                          proposed_approach=request.outcome_measures[:10000], solution_id=solution.id,
                          org=product.organization.slug)
    if person is None:
        raise PermissionDenied(N_("a member of the company agrees to a pilot"))
    engagement = needs.express_interest(session, person, need, interest)
    needs.decide_engagement(session, requester, engagement, True, note=request.outcome_measures[:5000])
    pilot = needs.start_pilot(session, requester, engagement, PilotIn(
        site=request.site, product=f"{product.name} {request.version.label}"[:200], scenario=request.scenario,
        start_date=request.start_date, end_date=request.end_date, outcome_measures=request.outcome_measures))
    request.engagement_id, request.pilot_id = engagement.id, pilot.id
    request.engagement, request.pilot = engagement, pilot


def close_pilot(session: Session, person: Person | None, request: PilotRequest, data: PilotCloseIn):
    """The hospital closes the pilot with its closing report (the needs library's own close)."""
    _check(person, "market.pilot.close", request)
    if request.pilot is None:
        raise Conflict(N_("this request has no pilot"), code="no_pilot")
    return needs.close_pilot(session, person, request.pilot, NeedsPilotCloseIn(
        closing_report=data.closing_report, feedback=data.feedback))


def rate(session: Session, person: Person | None, request: PilotRequest, data: RatingIn) -> Rating:
    """A structured rating, once per pilot, and only after its closing report."""
    _check(person, "market.pilot.rate", request)
    if request.pilot is None or request.pilot.status != PilotStatus.closed:
        raise Conflict(N_("a rating needs a closed pilot: close the pilot with its closing report first"),
                       code="pilot_not_closed")
    if session.scalar(select(Rating.id).where(Rating.pilot_request_id == request.id)) is not None:
        raise Conflict(N_("this pilot is rated already"))
    rating = Rating(pilot_request_id=request.id, version_id=request.version_id, hospital_id=request.hospital_id,
                    accuracy=data.accuracy, workflow_fit=data.workflow_fit, support=data.support,
                    comment=data.comment, created_by_id=person.id if person else None)
    rating.pilot_request = request
    session.add(rating)
    session.flush()
    ledger.record(session, "market.rated", f"pilot_request:{request.id}",
                  {"rating_id": rating.id, "version_id": request.version_id, "accuracy": data.accuracy,
                   "workflow_fit": data.workflow_fit, "support": data.support}, actor=actor_of(person),
                  org=request.hospital.slug)
    return rating


# ----- what the product's page shows -----------------------------------------------------------------------------
def visible_requests(session: Session, person: Person) -> list[PilotRequest]:
    rows = session.scalars(select(PilotRequest).order_by(PilotRequest.id.desc()).limit(500))
    return [r for r in rows if can(person, "market.pilot.view", r)]


def pilots_of(session: Session, product: Product) -> list[PilotRequest]:
    """Agreed pilots of the product's versions (public: site, dates, status, closing report)."""
    ids = [v.id for v in product.versions] or [-1]
    return list(session.scalars(select(PilotRequest).where(PilotRequest.version_id.in_(ids),
                                                           PilotRequest.state == PilotRequestState.accepted)
                                .order_by(PilotRequest.id.desc())))


def ratings_summary(session: Session, version_ids: list[int]) -> dict:
    row = session.execute(select(func.count(Rating.id), func.avg(Rating.accuracy), func.avg(Rating.workflow_fit),
                                 func.avg(Rating.support)).where(Rating.version_id.in_(version_ids or [-1]))).one()
    count = int(row[0] or 0)
    average = (lambda v: round(float(v), 2) if v is not None else None)  # noqa: E731
    return {"count": count, "accuracy": average(row[1]), "workflow_fit": average(row[2]), "support": average(row[3])}


def ratings_of(session: Session, version_ids: list[int]) -> list[Rating]:
    return list(session.scalars(select(Rating).where(Rating.version_id.in_(version_ids or [-1]))
                                .order_by(Rating.id.desc())))
