"""Shared fixtures for the tabular anonymization tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ADULT_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "adult"
ADULT_QIS = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]


@pytest.fixture(scope="session")
def adult_dir() -> Path:
    if not (ADULT_DIR / "adult.csv").is_file():
        pytest.skip(f"reference data absent: {ADULT_DIR / 'adult.csv'} (see ../shared/data/README.md)")
    return ADULT_DIR


@pytest.fixture(scope="session")
def adult_table(adult_dir):
    from yizhi.deid.tabular.tableio import read_table

    return read_table(adult_dir / "adult.csv")


def adult_config(adult_dir: Path, k: int, suppression: float, metric: str):
    from yizhi.deid.tabular.config import parse_config

    return parse_config(
        {
            "quasi_identifiers": {name: {"hierarchy": f"adult_hierarchy_{name}.csv"} for name in ADULT_QIS},
            "k": k,
            "max_suppression": suppression,
            "metric": metric,
        },
        base_dir=adult_dir,
    )
