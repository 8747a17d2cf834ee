"""JSON API of the product supermarket under /api/v1/market (vouchers: :mod:`yizhi.market.voucher_api`).

Browsing is public (listing, a listed product and its certified versions, comparison, criteria);
everything else needs a person with the right role. Routes translate HTTP; rules live in services.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from yizhi.accounts.permissions import authorize
from yizhi.errors import N_, NotFound, ValidationFailed
from yizhi.market import certification, pilots, postmarket, present, products
from yizhi.market import permissions as rules
from yizhi.market.models import Incident, PilotRequest, ReevaluationRequest
from yizhi.market.notify import mark_read, notifications_for
from yizhi.market.schemas import (
    AnswerIn,
    AttachIn,
    CriteriaIn,
    DecisionIn,
    IncidentIn,
    NoteIn,
    PilotCloseIn,
    PilotDecisionIn,
    PilotRequestIn,
    ProductFields,
    ProductIn,
    RatingIn,
    VersionIn,
    WithdrawIn,
)
from yizhi.market.voucher_api import router as voucher_router
from yizhi.web.deps import CurrentPerson, DbSession, OptionalPerson, public

router = APIRouter(prefix="/api/v1/market", tags=["market"])


def visible_product(db, person, slug: str):
    product = products.get_product(db, slug)
    if not rules.product_visible(person, product):
        raise NotFound(N_("no product %(slug)s"), params={"slug": slug})
    return product


def visible_version(db, person, slug: str, label: str):
    version = products.get_version(db, visible_product(db, person, slug), label)
    if not rules.version_visible(person, version):
        raise NotFound(N_("product %(slug)s has no version %(label)s"), params={"slug": slug, "label": label})
    return version


# ----- public browsing -------------------------------------------------------------------------------------------
@router.get("/products")
@public
def listing(db: DbSession, q: str = Query("", max_length=100), category: str = Query("", max_length=40),
            deployment: str = Query("", max_length=40), price_model: str = Query("", max_length=20),
            modality: str = Query("", max_length=40)) -> dict:
    rows = products.listing(db, q=q, category=category, deployment=deployment, price_model=price_model,
                            modality=modality)
    withdrawn = [{"ref": c.version.ref, "withdrawn_at": c.withdrawn_at.isoformat(timespec="seconds"),
                  "reason": c.withdrawn_reason} for c in products.withdrawn_certificates(db)]
    return {"listed": [present.listed_out(r) for r in rows], "withdrawn": withdrawn}


@router.get("/products/{slug}")
@public
def product_detail(slug: str, db: DbSession, person: OptionalPerson) -> dict:
    product = visible_product(db, person, slug)
    out = present.product_out(product, person)
    accepted = pilots.pilots_of(db, product)
    out["pilots"] = [{"site": r.site, "version": r.version.label, "start_date": r.start_date.isoformat(),
                      "status": r.pilot.status.value if r.pilot else None} for r in accepted]
    out["ratings"] = pilots.ratings_summary(db, [v.id for v in product.versions])
    return out


@router.get("/products/{slug}/versions/{label}")
@public
def version_detail(slug: str, label: str, db: DbSession, person: OptionalPerson) -> dict:
    version = visible_version(db, person, slug, label)
    out = present.version_out(db, version, person)
    db.commit()  # a receipt may have signed a checkpoint
    return out


@router.get("/compare")
@public
def compare(db: DbSession, person: OptionalPerson, versions: str = Query(..., max_length=400,
                                                                        description="PRODUCT@VERSION,...")) -> dict:
    refs = [r.strip() for r in versions.split(",") if r.strip()]
    if len(refs) > present.MAX_COMPARED:
        raise ValidationFailed(N_("compare between 1 and %(max)s versions"), params={"max": present.MAX_COMPARED},
                               field="versions")
    found = []
    for ref in refs:
        version = products.resolve_version(db, ref)
        if not rules.version_visible(person, version):
            raise NotFound(N_("no product version %(ref)s"), params={"ref": ref})
        found.append(version)
    out = present.compare(db, found)
    db.commit()
    return out


@router.get("/criteria")
@public
def criteria(db: DbSession) -> dict:
    return {category: {"revision": c.revision, "criteria": c.criteria, "nmpa_required": c.nmpa_required,
                       "criteria_sha256": c.criteria_sha256, "published_at": c.published_at.isoformat(timespec="seconds")}
            for category, c in certification.all_current_criteria(db).items()}


# ----- products and versions (the company) ----------------------------------------------------------------------
@router.get("/mine")
def my_products(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [present.product_out(p, person) for p in products.products_of(db, person)]


@router.post("/products", status_code=201)
def create_product(body: ProductIn, db: DbSession, person: CurrentPerson) -> dict:
    product = products.create_product(db, person, body)
    db.commit()
    return present.product_out(product, person)


@router.put("/products/{slug}")
def update_product(slug: str, body: ProductFields, db: DbSession, person: CurrentPerson) -> dict:
    product = products.get_product(db, slug)
    products.update_product(db, person, product, body)
    db.commit()
    return present.product_out(product, person)


@router.post("/products/{slug}/versions", status_code=201)
def add_version(slug: str, body: VersionIn, db: DbSession, person: CurrentPerson) -> dict:
    product = products.get_product(db, slug)
    version = products.add_version(db, person, product, label=body.label, release_notes=body.release_notes,
                                   released_on=body.released_on)
    db.commit()
    return present.version_out(db, version, person)


def _version(db, slug: str, label: str):
    return products.get_version(db, products.get_product(db, slug), label)


@router.post("/products/{slug}/versions/{label}/reports", status_code=201)
def attach_report(slug: str, label: str, body: AttachIn, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, slug, label)
    products.attach_report(db, person, version, body.submission_id)
    db.commit()
    return present.version_out(db, version, person)


@router.delete("/products/{slug}/versions/{label}/reports/{submission_id}")
def detach_report(slug: str, label: str, submission_id: int, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, slug, label)
    products.detach_report(db, person, version, submission_id)
    db.commit()
    return {"detached": submission_id}


@router.post("/products/{slug}/versions/{label}/certification", status_code=201)
def request_certification(slug: str, label: str, body: NoteIn, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, slug, label)
    cert = certification.request_certification(db, person, version, body.note)
    db.commit()
    return present.certificate_out(cert)


# ----- the commission -------------------------------------------------------------------------------------------
@router.get("/certifications")
def certification_queue(db: DbSession, person: CurrentPerson) -> list[dict]:
    authorize(person, "platform.admin", None)
    return [{"ref": c.version.ref, **present.certificate_out(c)} for c in certification.queue(db)]


@router.get("/products/{slug}/versions/{label}/assessment")
def assessment(slug: str, label: str, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, slug, label)
    authorize(person, "market.certify", version)
    out = certification.assess(db, version)
    db.commit()
    return {**out, "reports": {str(k): v for k, v in out["reports"].items()},
            "problems": [certification.problem_text(p) for p in out["problems"]]}


@router.post("/products/{slug}/versions/{label}/decision")
def decide(slug: str, label: str, body: DecisionIn, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, slug, label)
    if body.decision == "certify":
        cert = certification.certify(db, person, version, months=body.months, note=body.note)
    else:
        cert = certification.refuse(db, person, version, body.note)
    db.commit()
    return present.certificate_out(cert)


@router.post("/products/{slug}/versions/{label}/withdraw")
def withdraw(slug: str, label: str, body: WithdrawIn, db: DbSession, person: CurrentPerson) -> dict:
    version = _version(db, slug, label)
    cert = certification.withdraw(db, person, version, body.reason)
    db.commit()
    return present.certificate_out(cert)


@router.post("/criteria/{category}", status_code=201)
def publish_criteria(category: str, body: CriteriaIn, db: DbSession, person: CurrentPerson) -> dict:
    published = certification.publish_criteria(db, person, category, body.criteria, nmpa_required=body.nmpa_required,
                                               note=body.note)
    db.commit()
    return {"category": published.category, "revision": published.revision, "criteria": published.criteria,
            "criteria_sha256": published.criteria_sha256, "ledger_index": published.ledger_index}


# ----- needs, pilots, ratings -------------------------------------------------------------------------------------
@router.get("/products/{slug}/needs")
def product_needs(slug: str, request: Request, db: DbSession, person: CurrentPerson) -> list[dict]:
    product = visible_product(db, person, slug)
    lang = "en" if getattr(request.state, "locale", "zh") == "en" else "zh"
    return [m.as_dict() for m in products.matching_needs(db, person, product, lang=lang)]


def _pilot_out(r: PilotRequest) -> dict:
    return {"id": r.id, "ref": r.version.ref, "hospital": r.hospital.slug, "state": r.state.value,
            "site": r.site, "scenario": r.scenario, "start_date": r.start_date.isoformat(),
            "end_date": r.end_date.isoformat() if r.end_date else None, "outcome_measures": r.outcome_measures,
            "need_id": r.need_id, "engagement_id": r.engagement_id, "pilot_id": r.pilot_id,
            "pilot_status": r.pilot.status.value if r.pilot else None,
            "rating": None if r.rating is None else {"accuracy": r.rating.accuracy,
                                                     "workflow_fit": r.rating.workflow_fit,
                                                     "support": r.rating.support, "comment": r.rating.comment}}


@router.post("/products/{slug}/versions/{label}/pilots", status_code=201)
def request_pilot(slug: str, label: str, body: PilotRequestIn, db: DbSession, person: CurrentPerson) -> dict:
    version = visible_version(db, person, slug, label)
    found = pilots.request_pilot(db, person, version, body)
    db.commit()
    return _pilot_out(found)


@router.get("/pilots")
def my_pilots(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [_pilot_out(r) for r in pilots.visible_requests(db, person)]


def _pilot(db, person, request_id: int) -> PilotRequest:
    found = pilots.get_request(db, request_id)
    authorize(person, "market.pilot.view", found)
    return found


@router.get("/pilots/{request_id}")
def pilot_detail(request_id: int, db: DbSession, person: CurrentPerson) -> dict:
    return _pilot_out(_pilot(db, person, request_id))


@router.post("/pilots/{request_id}/decision")
def decide_pilot(request_id: int, body: PilotDecisionIn, db: DbSession, person: CurrentPerson) -> dict:
    found = _pilot(db, person, request_id)
    pilots.decide(db, person, found, body.accept, body.note)
    db.commit()
    return _pilot_out(found)


@router.post("/pilots/{request_id}/withdraw")
def withdraw_pilot(request_id: int, db: DbSession, person: CurrentPerson) -> dict:
    found = _pilot(db, person, request_id)
    pilots.withdraw_request(db, person, found)
    db.commit()
    return _pilot_out(found)


@router.post("/pilots/{request_id}/close")
def close_pilot(request_id: int, body: PilotCloseIn, db: DbSession, person: CurrentPerson) -> dict:
    found = _pilot(db, person, request_id)
    pilots.close_pilot(db, person, found, body)
    db.commit()
    return _pilot_out(found)


@router.post("/pilots/{request_id}/rating", status_code=201)
def rate(request_id: int, body: RatingIn, db: DbSession, person: CurrentPerson) -> dict:
    found = _pilot(db, person, request_id)
    pilots.rate(db, person, found, body)
    db.commit()
    db.refresh(found)
    return _pilot_out(found)


# ----- post-market ---------------------------------------------------------------------------------------------------
def _incident_out(i: Incident) -> dict:
    return {"id": i.id, "ref": i.version.ref, "hospital": i.hospital.slug, "kind": i.kind.value,
            "severity": i.severity.value, "description": i.description, "occurred_on": i.occurred_on.isoformat(),
            "state": i.state.value, "answer": i.answer or None, "reevaluation_id": i.reevaluation_id}


@router.post("/products/{slug}/versions/{label}/incidents", status_code=201)
def report_incident(slug: str, label: str, body: IncidentIn, db: DbSession, person: CurrentPerson) -> dict:
    version = visible_version(db, person, slug, label)
    incident = postmarket.report(db, person, version, body)
    db.commit()
    return _incident_out(incident)


@router.get("/incidents")
def incidents(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [_incident_out(i) for i in postmarket.visible_incidents(db, person)]


def _incident(db, person, incident_id: int) -> Incident:
    found = postmarket.get_incident(db, incident_id)
    authorize(person, "market.incident.view", found)
    return found


@router.get("/incidents/{incident_id}")
def incident_detail(incident_id: int, db: DbSession, person: CurrentPerson) -> dict:
    return _incident_out(_incident(db, person, incident_id))


@router.post("/incidents/{incident_id}/answer")
def answer_incident(incident_id: int, body: AnswerIn, db: DbSession, person: CurrentPerson) -> dict:
    found = _incident(db, person, incident_id)
    postmarket.answer(db, person, found, body.answer)
    db.commit()
    return _incident_out(found)


def _reevaluation_out(r: ReevaluationRequest) -> dict:
    return {"id": r.id, "ref": r.version.ref, "incident_ids": r.incident_ids, "state": r.state.value, "note": r.note,
            "created_at": r.created_at.isoformat(timespec="seconds"), "ledger_index": r.ledger_index}


@router.get("/reevaluations")
def reevaluations(db: DbSession, person: CurrentPerson) -> list[dict]:
    return [_reevaluation_out(r) for r in postmarket.visible_reevaluations(db, person)]


@router.post("/reevaluations/{request_id}/close")
def close_reevaluation(request_id: int, body: NoteIn, db: DbSession, person: CurrentPerson) -> dict:
    found = postmarket.get_reevaluation(db, request_id)
    authorize(person, "market.reevaluation.view", found)
    postmarket.close_reevaluation(db, person, found, body.note)
    db.commit()
    return _reevaluation_out(found)


# ----- notifications -------------------------------------------------------------------------------------------------
@router.get("/notifications")
def notifications(request: Request, db: DbSession, person: CurrentPerson) -> list[dict]:
    from yizhi.market.messages import notification_text
    from yizhi.web.templating import locale_of, translator

    _, locale = translator(request), locale_of(request)
    return [{"id": n.id, "kind": n.kind, "text": notification_text(_, n.kind, n.params, locale), "link": n.link,
             "read": n.read_at is not None, "at": n.created_at.isoformat(timespec="seconds")}
            for n in notifications_for(db, person)]


@router.post("/notifications/read")
def notifications_read(db: DbSession, person: CurrentPerson) -> dict:
    count = mark_read(db, person)
    db.commit()
    return {"marked": count}


router.include_router(voucher_router)
