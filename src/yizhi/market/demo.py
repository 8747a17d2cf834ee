"""Demo data of the product supermarket: the commission's criteria for chronic-disease risk tools, a
product of ``mediai`` whose version 1.0.0 carries the evaluation demo's signed report (its Pima
model on the hidden Pima.te set) and is certified, a pilot the first hospital asked for, and a
compute and a data voucher programme with vouchers issued. The NMPA number is a made-up one in the
real format; everything is marked as a demo."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

PRODUCT = "mediai-diabetes-risk"
CRITERIA = [
    {"kind": "metric", "metric": "auroc", "bound": "ci_lower", "min": 0.75,
     "note": "discrimination: the lower 95% bound, not the point estimate"},
    {"kind": "metric", "metric": "sensitivity", "bound": "value", "min": 0.55},
    {"kind": "worst_group", "metric": "auroc", "min": 0.70, "note": "no age band left behind"},
    {"kind": "subgroup_gap", "gap": "equalized_odds_difference", "max": 0.50,
     "note": "wide because prevalence rises with age in this population"},
    {"kind": "robustness", "metric": "auroc", "min_delta": -0.10},
    {"kind": "verdict"},
]


def _report_of_mediai(session: Session, mediai):
    from yizhi.evaluation.models import Submission, SubmissionState

    return session.scalar(select(Submission).where(
        Submission.organization_id == mediai.id, Submission.state == SubmissionState.scored)
        .order_by(Submission.id.desc()).execution_options(populate_existing=True))


def _product(session: Session, orgs: dict, people: dict) -> int:
    from yizhi.market import certification, pilots, products
    from yizhi.market.schemas import PilotRequestIn, ProductIn

    submission = _report_of_mediai(session, orgs["mediai"])
    if submission is None:
        return 0   # the evaluation demo did not run (its optional packages are missing)
    engineer, admin = people.get("engineer@mediai.demo"), people.get("admin@commission.demo")
    today = date.today()
    registered = today - timedelta(days=400)
    product = products.create_product(session, engineer, ProductIn(
        slug=PRODUCT, org="mediai", name="糖尿病风险评估软件（演示） / Diabetes risk assessment (demo)",
        category="chronic_disease", modalities=["tabular", "emr"],
        description="Logistic model on seven routine measurements (demo product of the platform's demo company).",
        intended_use="Flag adult women at high risk of type 2 diabetes for a confirmatory glucose test.",
        population="Women aged 21 or more in primary care and endocrinology outpatients.",
        nmpa_class="III", nmpa_certificate=f"国械注准{registered.year}3210417", nmpa_valid_from=registered,
        nmpa_valid_until=registered + timedelta(days=5 * 365 - 2),
        deployments=["on_premises", "his_integration", "cloud"], price_model="subscription",
        price_note="¥120,000 per hospital per year (demo)", contact_name="郑工程师", contact_info="sales@mediai.demo"))
    version = products.add_version(session, engineer, product, label="1.0.0", released_on=today - timedelta(days=30),
                                   release_notes="First release: trained on MASS Pima.tr, evaluated on Pima.te.")
    products.attach_report(session, engineer, version, submission.id)
    if certification.current_criteria(session, product.category) is None:
        certification.publish_criteria(session, admin, product.category, CRITERIA,
                                       note="Demo criteria for chronic-disease risk tools")
    certification.request_certification(session, engineer, version, "Please certify version 1.0.0.")
    certification.certify(session, admin, version, months=12, note="Reports verified; all criteria met.")
    owner = people.get("owner@hospital1.demo")
    pilots.request_pilot(session, owner, version, PilotRequestIn(
        site="内分泌科门诊 / Endocrinology outpatients", scenario="Screen outpatients before an OGTT",
        start_date=today + timedelta(days=14), end_date=today + timedelta(days=104),
        outcome_measures="Sensitivity against OGTT ≥ 0.6; OGTTs avoided per 100 patients; minutes added per visit"))
    return 4


def _vouchers(session: Session, people: dict) -> int:
    from yizhi.market import vouchers
    from yizhi.market.schemas import IssueIn, ProgrammeIn

    admin = people.get("admin@commission.demo")
    today = date.today()
    compute = vouchers.create_programme(session, admin, ProgrammeIn(
        slug="compute-vouchers-demo", title="算力券（演示） / Compute vouchers (demo)", kind="compute",
        budget="500000", valid_from=today, valid_until=today + timedelta(days=365),
        eligible_kinds=["company", "university"], purposes=["product_development", "product_evaluation",
                                                            "scientific_research"],
        description="Pays Tier B jobs in the trusted data space at the platform's compute rates."))
    data = vouchers.create_programme(session, admin, ProgrammeIn(
        slug="data-vouchers-demo", title="数据券（演示） / Data vouchers (demo)", kind="data", budget="300000",
        valid_from=today, valid_until=today + timedelta(days=365), eligible_kinds=["company", "university"],
        description="Pays hospitals' fees for grants of de-identified data."))
    for programme, org, amount in ((compute, "mediai", "20000"), (compute, "cardio-ai", "10000"),
                                   (compute, "med-university", "5000"), (data, "mediai", "8000"),
                                   (data, "med-university", "5000")):
        vouchers.issue(session, admin, programme, IssueIn(org=org, amount=amount))
    return 7


def seed(session: Session, orgs: dict, people: dict) -> int:
    from yizhi.market.models import Product
    from yizhi.market.voucher_models import VoucherProgramme

    created = 0
    if session.scalar(select(Product.id).where(Product.slug == PRODUCT)) is None:
        created += _product(session, orgs, people)
    if session.scalar(select(VoucherProgramme.id).where(VoucherProgramme.slug == "compute-vouchers-demo")) is None:
        created += _vouchers(session, people)
    session.flush()
    return created
