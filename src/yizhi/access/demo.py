"""Demo data for `yizhi demo`: on a published dataset version of a demo hospital (made by the
catalog's demo, which runs first), the hospital's review steps and default ε; a granted data
request of mediai; a university's request waiting in review; and a statistics request of
cardio-ai, granted and closed with a closure report (outputs and a data-quality issue), so the
register shows uses in several states. Nothing is seeded when no version is published.

Idempotent: requests are found by their title and organisation.
"""

from __future__ import annotations

import io
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi import storage
from yizhi.access import dataset_settings, grant_service, request_service, review_service
from yizhi.access.request_models import AccessRequest
from yizhi.access.schemas import ClosureIn, DecideIn, PrescreenIn, RecommendIn, RequestIn, SettingsIn
from yizhi.accounts.models import Organization, Person
from yizhi.catalog.models import Dataset, DatasetVersion, VersionState

log = logging.getLogger("yizhi.access.demo")
DEMO_PDF = b"%PDF-1.4\n% YiZhi demo ethics approval\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TITLES = {"granted": "影像辅助诊断模型训练（演示）", "review": "慢病随访队列研究（演示）",
          "closed": "心电异常发生率统计（演示）"}


def _demo_version(session: Session, orgs: dict[str, Organization]) -> DatasetVersion | None:
    """A published version held by a demo hospital (first-hospital preferred)."""
    hospitals = [orgs[s].id for s in ("first-hospital", "tcm-hospital") if s in orgs]
    rows = list(session.scalars(select(DatasetVersion).join(Dataset).where(
        DatasetVersion.state == VersionState.published, Dataset.organization_id.in_(hospitals))
        .order_by(DatasetVersion.id)))
    rows.sort(key=lambda v: hospitals.index(v.dataset.organization_id))
    return rows[0] if rows else None


def _columns(version: DatasetVersion) -> tuple[dict[str, list[str]], dict[str, str]]:
    table = sorted(version.tables)[0]
    columns = list(version.columns_of(table))[:4]
    return {table: columns}, {table: "建模需要这些字段（演示）"}


def _request(session: Session, person: Person, org: Organization, version: DatasetVersion, title: str,
             kind: str = "data") -> tuple[AccessRequest, bool]:
    found = session.scalar(select(AccessRequest).where(AccessRequest.title == title,
                                                       AccessRequest.organization_id == org.id))
    if found is not None:
        return found, False
    columns, reasons = _columns(version)
    data = RequestIn(datasets=[version.ref], kind=kind, title=title, purpose="scientific_research"
                     if kind == "data" else "public_health", lay_summary="用去标识化的数据研究疾病规律，结果用于改进诊疗（演示）。",
                     columns=columns, reasons=reasons, duration_days=180, legal_basis="经伦理委员会批准的科研使用（演示）",
                     ethics_reference="IRB-DEMO-2026", outputs="论文与模型（演示）", org=org.slug)
    request = request_service.create_request(session, person, data)
    digest, size = storage.put_stream(io.BytesIO(DEMO_PDF))
    request.ethics_file, request.ethics_filename, request.ethics_bytes = digest, "ethics-demo.pdf", size
    request_service.submit(session, person, request)
    return request, True


def _review(session: Session, request: AccessRequest, admin: Person, reviewers: list[Person], steps: int) -> None:
    review_service.prescreen(session, admin, request, PrescreenIn(decision="accept", comment="材料齐全（演示）"))
    for position, reviewer in zip(range(1, steps + 1), reviewers, strict=False):
        review_service.recommend(session, reviewer, request, position, RecommendIn(approve=True, comment="同意（演示）"))


def seed(session: Session, orgs: dict[str, Organization], people: dict[str, Person]) -> int:
    version = _demo_version(session, orgs)
    if version is None:
        log.info("no published dataset version of a demo hospital: no access demo data")
        return 0
    created = 0
    holder_owner = next(m.person for m in version.dataset.organization.memberships if m.role.value == "owner")
    reviewer = people.get("reviewer@hospital1.demo") if version.dataset.organization.slug == "first-hospital" else None
    if dataset_settings.settings_for(session, version.dataset) is None:
        steps = [{"name": "数据管理员审核", "reviewers": [holder_owner.email], "days": 7},
                 {"name": "伦理审查", "reviewers": [(reviewer or holder_owner).email], "days": 10}]
        dataset_settings.save_settings(session, holder_owner, version.dataset,
                                       SettingsIn(review_steps=steps, default_epsilon=3.0))
        created += 1
    admin = people["admin@commission.demo"]
    review_people = [holder_owner, reviewer or holder_owner]
    granted, new = _request(session, people["engineer@mediai.demo"], orgs["mediai"], version, TITLES["granted"])
    if new:
        _review(session, granted, admin, review_people, 2)
        review_service.decide(session, holder_owner, granted, DecideIn(decision="approved", reason="用途明确，数据最小化合理（演示）"))
        created += 1
    waiting, new = _request(session, people["owner@university.demo"], orgs["med-university"], version, TITLES["review"])
    if new:
        _review(session, waiting, admin, review_people, 1)
        created += 1
    closed, new = _request(session, people["owner@cardio.demo"], orgs["cardio-ai"], version, TITLES["closed"],
                           kind="statistics")
    if new:
        _review(session, closed, admin, review_people, 2)
        grant = review_service.decide(session, holder_owner, closed, DecideIn(
            decision="approved_with_conditions", reason="仅限汇总统计（演示）", conditions="结果发表前告知医院（演示）"))
        table, columns = next(iter(_columns(version)[0].items()))
        grant_service.close(session, people["owner@cardio.demo"], grant, ClosureIn.model_validate({
            "outputs": [{"kind": "report", "title": "心电异常发生率报告（演示）", "link": "https://example.org/report-demo"}],
            "issues": [{"dataset": version.ref, "table": table, "column": columns[-1],
                        "description": "部分记录该字段为空（演示）"}],
            "met_need": "partly", "comments": "数据基本满足需要（演示）"}))
        created += 1
    session.flush()
    return created
