"""Fixtures for the annotation tests: a hospital's de-identified notes version (Chinese notes written
for these tests), annotators and a reviewer of the hospital, and helpers to make projects."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from annotation_team import NOTES, PASSWORD, _org, make_member, notes_table  # noqa: E402,F401


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


NODULE_TASK = """task: binary_classification
title: Nodule malignancy
intended_use: Flag malignant nodules for biopsy.
population: Adults with a CT-detected nodule.
table: cases
inputs: [size_mm, spiculated]
reference: malignant
model:
  input: {name: input, shape: [null, 2], dtype: float32}
  output: {name: probabilities, index: 1}
positive_class: 1
"""


@pytest.fixture
def nodule_benchmark(db, cast):
    """Factory for the reader-study tests: ``nodule_benchmark(cases, seed, readers)`` makes the
    commission's "nodules" benchmark on ``cases`` synthetic nodules (every other one malignant; size
    and spiculation drawn from ``seed``) and ``readers`` annotators of the commission. Returns the
    table, the reference, the generator (to draw more from the same stream) and the readers."""
    from types import SimpleNamespace

    import numpy as np

    from yizhi.catalog.testing import make_version
    from yizhi.db import session_scope
    from yizhi.evaluation import service as evaluation

    def make(cases: int, seed: int, readers: int) -> SimpleNamespace:
        rng = np.random.default_rng(seed)
        malignant = np.array([1, 0] * (cases // 2))
        size = np.round(rng.normal(8 + 6 * malignant, 3), 1)
        table = pa.table({"size_mm": size, "spiculated": (rng.random(cases) < 0.2 + 0.5 * malignant).astype(int),
                          "malignant": malignant})
        commission = _org(db, "commission")
        make_version(db, commission, "nodule-cases", {"cases": table})
        evaluation.create_benchmark(db, slug="nodules", dataset="nodule-cases@1", task_yaml=NODULE_TASK, org=commission)
        db.commit()
        with session_scope() as s:
            people = [make_member(s, _org(s, "commission"), f"reader{i}@commission.test", "annotator", f"阅片医生{i}")
                      for i in range(readers)]
        return SimpleNamespace(table=table, malignant=malignant, rng=rng, readers=people)

    return make


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
