"""Certification: only certified versions are listed; an expired NMPA registration is refused;
criteria are checked on every report a version carries; a withdrawn certificate shows its reason;
a new version needs a certificate of its own; every decision is on the ledger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from market_helpers import CRITERIA, make_product, signed_submission

from yizhi.errors import Conflict, ValidationFailed


def _listed_refs(db) -> set[str]:
    from yizhi.market import products

    return {row.version.ref for row in products.listing(db)}


def test_only_certified_versions_are_listed(db, cast, pima_report):
    from yizhi.market import certification, products

    product, v1 = make_product(db, pima_report)
    draft, _ = make_product(db, pima_report, slug="draft-risk", certify=False)
    assert _listed_refs(db) == {"pima-risk@1.0.0"}
    v2 = products.add_version(db, None, product, label="1.1.0")
    db.commit()
    assert _listed_refs(db) == {"pima-risk@1.0.0"}, "a new version is not covered by the old certificate"
    products.attach_report(db, None, v2, signed_submission(db, "company", pima_report))
    certification.request_certification(db, None, v2)
    db.commit()
    assert "pima-risk@1.1.0" not in _listed_refs(db), "requested is not certified"
    certification.certify(db, None, v2)
    db.commit()
    assert _listed_refs(db) == {"pima-risk@1.0.0", "pima-risk@1.1.0"}
    certification.withdraw(db, None, v1, "Drift confirmed at two sites")
    db.commit()
    assert _listed_refs(db) == {"pima-risk@1.1.0"}
    withdrawn = products.withdrawn_certificates(db)
    assert [(c.version.ref, c.withdrawn_reason) for c in withdrawn] == [("pima-risk@1.0.0",
                                                                         "Drift confirmed at two sites")]


def test_listing_drops_a_certificate_past_its_end_and_expiry_job_marks_it(db, cast, pima_report):
    from yizhi.market import certification
    from yizhi.market.models import CertState

    _, version = make_product(db, pima_report)
    cert = version.certifications[-1]
    cert.valid_until = date.today() - timedelta(days=1)
    db.commit()
    assert _listed_refs(db) == set()
    assert certification.expire_due(db) == 1
    db.commit()
    assert cert.state == CertState.expired


def test_certificate_with_expired_nmpa_registration_is_refused(db, cast, pima_report):
    from yizhi.market import certification
    from yizhi.market.models import CertState

    product, version = make_product(db, pima_report, certify=False)
    # the registration was valid when listed; five years pass
    product.nmpa_valid_from = date.today() - timedelta(days=5 * 365)
    product.nmpa_valid_until = date.today() - timedelta(days=3)
    db.commit()
    with pytest.raises(ValidationFailed) as refused:
        certification.certify(db, None, version)
    assert refused.value.code == "nmpa_expired"
    assert "expired on" in refused.value.message and product.nmpa_certificate in refused.value.message
    db.rollback()
    assert all(c.state != CertState.certified for c in version.certifications)
    assert _listed_refs(db) == set()


def test_listing_hides_a_certified_version_once_its_registration_lapses(db, cast, pima_report):
    product, _ = make_product(db, pima_report)
    assert _listed_refs(db) == {"pima-risk@1.0.0"}
    product.nmpa_valid_until = date.today() - timedelta(days=1)
    db.commit()
    assert _listed_refs(db) == set()


def test_certificate_never_outlives_the_registration(db, cast, pima_report):
    until = date.today() + timedelta(days=40)
    _, version = make_product(db, pima_report, nmpa_valid_from=(date.today() - timedelta(days=1700)).isoformat(),
                              nmpa_valid_until=until.isoformat())
    assert version.certifications[-1].valid_until == until


def test_failing_criteria_refuse_with_every_reason(db, cast, pima_report):
    from yizhi.market import certification

    strict = [{"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.95},
              {"kind": "subgroup_gap", "gap": "equalized_odds_difference", "max": 0.05}]
    product, version = make_product(db, pima_report, criteria=strict, certify=False)
    with pytest.raises(ValidationFailed) as refused:
        certification.certify(db, None, version)
    assert refused.value.code == "not_certifiable"
    db.rollback()
    check = certification.assess(db, version)
    rows = next(iter(check["criteria"]["reports"].values()))
    assert [row["passed"] for row in rows] == [False, False]
    observed = pima_report["metrics"]["auroc"]["ci"][0]
    assert rows[0]["observed"] == pytest.approx(observed) and rows[0]["where"] == "metrics.auroc.ci_lower"
    # publishing looser criteria (a new revision) lets the same reports pass
    certification.publish_criteria(db, None, product.category, CRITERIA)
    cert = certification.certify(db, None, version)
    db.commit()
    assert cert.criteria_set.revision == 2 and cert.check["criteria_set"]["revision"] == 2


def test_a_report_changed_after_signing_is_unverified_and_blocks_certification(db, cast, pima_report):
    from yizhi.evaluation.models import Submission
    from yizhi.market import certification

    _, version = make_product(db, pima_report, certify=False)
    submission = db.get(Submission, version.reports[0].submission_id)
    submission.report = {**submission.report, "metrics": {**submission.report["metrics"],
                                                          "auroc": {"value": 0.99, "ci": [0.98, 1.0]}}}
    db.commit()
    check = certification.assess(db, version)
    verification = check["reports"][submission.id]
    assert not verification["verified"]
    assert "the report changed after it was signed" in verification["problems"]
    assert "the platform's signature does not verify" in verification["problems"]
    with pytest.raises(ValidationFailed):
        certification.certify(db, None, version)


def test_report_of_another_company_cannot_be_attached(db, cast, pima_report):
    from yizhi.accounts import service
    from yizhi.errors import NotFound
    from yizhi.market import products

    service.create_organization(db, slug="rival", name="Rival AI", kind="company")
    db.commit()
    product, version = make_product(db, pima_report, certify=False)
    rival_submission = signed_submission(db, "rival", pima_report)
    with pytest.raises(NotFound):
        products.attach_report(db, None, version, rival_submission)


def test_reports_are_locked_while_under_certification(db, cast, pima_report):
    from yizhi.market import products

    _, version = make_product(db, pima_report)
    with pytest.raises(Conflict):
        products.detach_report(db, None, version, version.reports[0].submission_id)


def test_decisions_are_on_the_ledger(db, cast, pima_report):
    import json

    from yizhi.ledger.service import get_entry

    _, version = make_product(db, pima_report)
    cert = version.certifications[-1]
    leaf = json.loads(get_entry(db, cert.ledger_index)["leaf"])
    assert leaf["kind"] == "market.certified"
    assert leaf["data"]["certification_id"] == cert.id
    assert leaf["data"]["reports"] == cert.reports
    assert leaf["data"]["valid_until"] == cert.valid_until.isoformat()
