"""Fixtures for the annotation tests: a hospital's de-identified notes version (Chinese notes written
for these tests), annotators and a reviewer of the hospital, and helpers to make projects."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).parent))

NOTES = [
    "患者[姓名]，男，65岁，因胸痛3天于2023-05-02入院。既往高血压病史10年。",
    "主诉：咳嗽、咳痰2周。查体：双肺呼吸音粗，未闻及干湿啰音。诊断：急性支气管炎。",
    "患者王建国，女，52岁，联系电话13812345678，住址北京市朝阳区幸福路8号。",
    "出院小结：患者病情平稳，血糖控制可，嘱定期复查糖化血红蛋白。",
    "影像所见：右肺上叶见一直径约8mm结节，边界清楚。建议3个月后复查胸部CT。",
    "主治医师李明查房：患者神志清，精神可，继续当前治疗方案。",
]


def _org(db, slug):
    from yizhi.accounts.models import Organization

    return db.query(Organization).filter_by(slug=slug).one()


def notes_table(n: int | None = None) -> pa.Table:
    texts = NOTES if n is None else [NOTES[i % len(NOTES)] + f"（第{i}份）" for i in range(n)]
    return pa.table({"patient": [f"P{i:05d}" for i in range(len(texts))],
                     "date": ["2023-05-02"] * len(texts), "kind": ["progress"] * len(texts), "text": texts})


def make_member(session, org, email, role, name):
    from types import SimpleNamespace

    from yizhi.accounts import service

    person = service.create_person(session, email=email, display_name=name, password=PASSWORD)
    service.add_member(session, org, person, role)
    return SimpleNamespace(id=person.id, email=email, org_slug=org.slug, role=role, password=PASSWORD)


PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def team(cast):
    """Three annotators and a reviewer of the hospital (the cast's owner and colleague manage)."""
    from yizhi.accounts.models import Organization
    from yizhi.db import session_scope

    with session_scope() as s:
        hospital = s.query(Organization).filter_by(slug="hospital").one()
        other = s.query(Organization).filter_by(slug="other-hospital").one()
        members = {
            "a1": make_member(s, hospital, "ann1@hospital.test", "annotator", "标注员甲"),
            "a2": make_member(s, hospital, "ann2@hospital.test", "annotator", "标注员乙"),
            "a3": make_member(s, hospital, "ann3@hospital.test", "annotator", "标注员丙"),
            "reviewer": make_member(s, hospital, "reviewer@hospital.test", "reviewer", "审核员"),
            "foreign": make_member(s, other, "ann@other.test", "annotator", "外院标注员"),
        }
    return members


@pytest.fixture
def notes_version(db, cast):
    from yizhi.catalog.testing import make_version

    version = make_version(db, _org(db, "hospital"), "notes-demo", {"notes": notes_table()})
    db.commit()
    return version




@pytest.fixture
def ct_version(db, cast):
    """A hospital version holding pydicom's CT_small.dcm (128×128) and MR_small.dcm under dicom/,
    with the dicom_index table ingest writes."""
    import shutil

    import pydicom
    from pydicom.data import get_testdata_file

    from yizhi.catalog import manifest, store
    from yizhi.catalog.testing import make_version

    files = [get_testdata_file("CT_small.dcm"), get_testdata_file("MR_small.dcm")]
    rows = []
    for index, path in enumerate(files):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        rows.append({"path": f"dicom/{index}.dcm", "patient": f"P{index}", "study_uid": str(ds.StudyInstanceUID),
                     "series_uid": str(ds.SeriesInstanceUID), "sop_uid": str(ds.SOPInstanceUID),
                     "modality": str(ds.Modality), "rows": int(ds.Rows), "columns": int(ds.Columns), "frames": 1})
    version = make_version(db, _org(db, "hospital"), "ct-demo", {"dicom_index": pa.Table.from_pylist(rows)})
    directory = store.version_dir(version)
    (directory / "dicom").mkdir()
    for index, path in enumerate(files):
        shutil.copy(path, directory / "dicom" / f"{index}.dcm")
    version.root_hash = manifest.write_manifest(directory)["root_hash"]
    db.commit()
    return version
