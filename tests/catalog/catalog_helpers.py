"""Shared data and steps for the catalog tests (imported by conftest and the tests)."""

from __future__ import annotations

import io

LABS_CSV = """patient_id,patient_name,collected_date,hba1c,comment
P001,张三,2023-01-05,7.1,复查 电话13812345678
P002,李四,2023-02-11,6.4,
P001,张三,2023-03-01,6.9,好转
P003,王五,2023-04-20,8.2,初诊
"""
NOTES_JSONL = (
    '{"patient_id": "P001", "text": "患者张三，2023年1月5日就诊，血糖控制欠佳。", "date": "2023-01-05", "kind": "progress"}\n'
    '{"patient_id": "P002", "text": "李四 复诊，电话13900001111。", "date": "2023-02-11"}\n'
)
PROFILE = """tables:
  labs.csv:
    patient_id: patient_id
    direct_identifiers: [patient_name]
    quasi_identifiers: []
    dates: [collected_date]
    free_text: [comment]
"""
FULL_CARD = {
    "description": "HbA1c results and progress notes of type 2 diabetes patients",
    "contact_point": "data@hospital.test", "legal_basis": ["dpv:Consent"],
    "purpose": ["dpv:ResearchAndDevelopment"], "inclusion_criteria": "adults with E11",
    "reference_standard": "ICD-10 E11 coded by the treating physician",
}


def org(session, slug):
    from yizhi.accounts.models import Organization

    return session.query(Organization).filter_by(slug=slug).one()


def person(session, member):
    from yizhi.accounts import service

    return service.get_person_by_email(session, member.email)


def run_jobs() -> int:
    from yizhi.jobs.service import work_once

    ran = 0
    while work_once("test-worker"):
        ran += 1
    return ran


def build_version_via_job(slug: str, files: dict[str, bytes], *, profile: str | None = PROFILE,
                          template: str | None = "t2dm-emr", org_slug: str = "hospital") -> str:
    """Create the dataset if needed, store the files, start the ingest and run the job; returns SLUG@N."""
    from yizhi.catalog import service, uploads, versions
    from yizhi.db import session_scope

    with session_scope() as session:
        owner = org(session, org_slug)
        try:
            dataset = service.get_dataset(session, slug)
        except Exception:
            dataset = service.create_dataset(session, None, owner, slug, "糖尿病电子病历", template=template)
        stored = [uploads.store_stream(session, owner, name, io.BytesIO(data), created_by_id=None)
                  for name, data in files.items()]
        version = versions.start_ingest(session, None, dataset, stored, profile=profile)
        ref = version.ref
    run_jobs()
    return ref
