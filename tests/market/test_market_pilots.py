"""Pilots from the supermarket: a hospital's request becomes the needs library's engagement and
pilot (with the agreed outcome measures); the closing report closes it; a rating needs a closed
pilot; post-market reports are answered and, repeated, raise a re-evaluation request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from market_helpers import make_product, person

from yizhi.errors import Conflict, NotFound, PermissionDenied


def _request(db, cast, version, **over):
    from yizhi.market import pilots
    from yizhi.market.schemas import PilotRequestIn

    data = {"site": "内分泌科门诊", "scenario": "Screen outpatients before an OGTT",
            "start_date": date.today().isoformat(), "end_date": (date.today() + timedelta(days=90)).isoformat(),
            "outcome_measures": "Sensitivity against OGTT ≥ 0.6; OGTTs avoided per 100 patients"}
    data.update(over)
    found = pilots.request_pilot(db, person(db, cast.owner.email), version, PilotRequestIn(**data))
    db.commit()
    return found


def test_request_becomes_engagement_and_pilot_in_the_needs_library(db, cast, pima_report):
    from yizhi.market import pilots
    from yizhi.needs.models import EngagementStatus, NeedStatus, PilotStatus

    product, version = make_product(db, pima_report)
    request = _request(db, cast, version)
    assert request.engagement_id is None
    pilots.decide(db, person(db, cast.company.email), request, True, "agreed")
    db.commit()
    engagement, pilot, need = request.engagement, request.pilot, request.need
    assert engagement.status == EngagementStatus.accepted
    assert engagement.company_org_id == product.organization_id and engagement.solution_id == product.solution_id
    assert need.org_id == request.hospital_id and need.status == NeedStatus.piloting
    assert pilot.status == PilotStatus.running
    assert pilot.outcome_measures == request.outcome_measures and pilot.site == "内分泌科门诊"
    assert product.solution.title == product.name


def test_an_existing_published_need_is_used(db, cast, pima_report):
    from yizhi.market import pilots
    from yizhi.needs import service as needs
    from yizhi.needs.models import NeedStatus
    from yizhi.needs.schemas import NeedIn

    _, version = make_product(db, pima_report)
    owner = person(db, cast.owner.email)
    need = needs.create_need(db, owner, owner.memberships[0].organization,
                             NeedIn(title="糖尿病高危人群筛查", description="门诊筛查", category="chronic_disease"))
    need.status = NeedStatus.published
    db.commit()
    request = _request(db, cast, version, need_id=need.id)
    pilots.decide(db, person(db, cast.company.email), request, True)
    db.commit()
    assert request.need_id == need.id and need.status == NeedStatus.piloting


def test_a_rating_needs_a_closed_pilot(db, cast, pima_report):
    from yizhi.market import pilots
    from yizhi.market.schemas import PilotCloseIn, RatingIn

    _, version = make_product(db, pima_report)
    request = _request(db, cast, version)
    owner, company = person(db, cast.owner.email), person(db, cast.company.email)
    rating = RatingIn(accuracy=4, workflow_fit=3, support=5, comment="Fitted the outpatient flow after training")
    with pytest.raises(Conflict) as not_yet:                      # requested, no pilot yet
        pilots.rate(db, owner, request, rating)
    assert not_yet.value.code == "pilot_not_closed"
    db.rollback()
    pilots.decide(db, company, request, True)
    db.commit()
    with pytest.raises(Conflict) as running:
        pilots.rate(db, owner, request, rating)
    assert running.value.code == "pilot_not_closed"
    db.rollback()
    pilots.close_pilot(db, owner, request, PilotCloseIn(closing_report="Sensitivity 0.63 vs OGTT on 412 patients"))
    db.commit()
    saved = pilots.rate(db, owner, request, rating)
    db.commit()
    assert (saved.accuracy, saved.workflow_fit, saved.support) == (4, 3, 5)
    assert pilots.ratings_summary(db, [version.id]) == {"count": 1, "accuracy": 4.0, "workflow_fit": 3.0,
                                                       "support": 5.0}
    with pytest.raises(Conflict):
        pilots.rate(db, owner, request, rating)


def test_only_the_hospital_rates_and_only_the_company_agrees(db, cast, pima_report):
    from yizhi.accounts.permissions import can
    from yizhi.market import pilots

    _, version = make_product(db, pima_report)
    request = _request(db, cast, version)
    with pytest.raises(PermissionDenied):
        pilots.decide(db, person(db, cast.owner.email), request, True)
    with pytest.raises(NotFound):
        pilots.decide(db, person(db, cast.outsider.email), request, True)
    assert can(person(db, cast.colleague.email), "market.pilot.view", request)
    assert not can(person(db, cast.outsider.email), "market.pilot.view", request)


def test_uncertified_versions_are_not_piloted(db, cast, pima_report):
    from yizhi.market import pilots
    from yizhi.market.schemas import PilotRequestIn

    _, version = make_product(db, pima_report, certify=False)
    with pytest.raises(NotFound):      # a version not in the supermarket is not there for the hospital
        pilots.request_pilot(db, person(db, cast.owner.email), version, PilotRequestIn(
            site="x", start_date=date.today(), outcome_measures="y"))


def test_repeated_reports_raise_one_reevaluation_request(db, cast, pima_report):
    from yizhi.market import postmarket
    from yizhi.market.models import ReevaluationRequest
    from yizhi.market.notify import notifications_for
    from yizhi.market.schemas import IncidentIn

    _, version = make_product(db, pima_report)
    owner, company = person(db, cast.owner.email), person(db, cast.company.email)
    reports = []
    for n in range(3):
        reports.append(postmarket.report(db, owner, version, IncidentIn(
            kind="drift", severity="medium", description=f"Sensitivity fell in month {n + 1}",
            occurred_on=date.today().isoformat())))
        db.commit()
        if n < 2:
            assert db.query(ReevaluationRequest).count() == 0
    request = db.query(ReevaluationRequest).one()
    assert request.incident_ids == [r.id for r in reports] and request.ledger_index is not None
    admin = person(db, cast.admin.email)
    assert any(n.kind == "reevaluation_requested" for n in notifications_for(db, admin))
    postmarket.answer(db, company, reports[0], "Recalibrated for this site's population")
    db.commit()
    assert reports[0].state.value == "answered"
    with pytest.raises(Conflict):
        postmarket.answer(db, company, reports[0], "again")
    postmarket.report(db, owner, version, IncidentIn(kind="incident", description="One more",
                                                     occurred_on=date.today().isoformat()))
    db.commit()
    assert db.query(ReevaluationRequest).count() == 1, "each report counts once"
