"""The texts the de-identification tests read: our labeled files (tests/deid_text/data) and the
presidio-research set, read in place from ../shared/data/deid-text. The shared set is absent on a
user's fresh clone: ``presidio_samples`` then gives nothing and tests that need it skip."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"
PRESIDIO_SET = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "deid-text" / "presidio_synth_dataset_v2.json"
LABELED = ("en_dev", "en_test", "zh_dev", "zh_test")


def labeled_texts(name: str, count: int | None = None) -> list[str]:
    """The first ``count`` (default: all) note texts of ``data/<name>.jsonl``."""
    lines = (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:count]]


def presidio_samples() -> list[dict]:
    return json.loads(PRESIDIO_SET.read_text(encoding="utf-8")) if PRESIDIO_SET.exists() else []


def presidio_texts() -> list[str]:
    return [sample["full_text"] for sample in presidio_samples()]


def corpus_texts(names: tuple[str, ...] = LABELED, presidio_every: int = 1) -> list[str]:
    """The labeled files ``names``, then every ``presidio_every``-th presidio sentence."""
    return [text for name in names for text in labeled_texts(name)] + presidio_texts()[::presidio_every]
