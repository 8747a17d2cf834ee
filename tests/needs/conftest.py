"""Shared fixtures of the needs tests: one matching engine over the labeled evaluation set."""

from pathlib import Path

import pytest

from yizhi.needs.matching.engine import MatchingEngine
from yizhi.needs.matching.evaluation import load_eval_set

EVAL_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def eval_set():
    return load_eval_set(EVAL_DIR, hide_category=True)


@pytest.fixture(scope="session")
def eval_engine(eval_set):
    solutions, needs, _ = eval_set
    engine = MatchingEngine()
    engine.upsert_many("solution", solutions)
    engine.upsert_many("need", [n.doc for n in needs])
    return engine
