"""Fixtures for the DICOM de-identifier tests; helpers live in deid_dicom_helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from deid_dicom_helpers import CORPUS_ROOTS, tree_hashes  # noqa: E402

from yizhi.deid.dicom.batch import deidentify_tree  # noqa: E402


@pytest.fixture(scope="session")
def key_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("key") / "deid.key"
    path.write_text("0123456789abcdef" * 4)
    return path


@pytest.fixture(scope="session")
def basic_runs(tmp_path_factory, key_file):
    """Each corpus de-identified once with the Basic Profile: name -> (input, output, summary, hashes)."""
    from yizhi.deid.keys import load_key

    key = load_key(key_file)
    runs = {}
    for name, root in CORPUS_ROOTS.items():
        before = tree_hashes(root)
        output = tmp_path_factory.mktemp(f"out-{name}")
        summary = deidentify_tree(root, output, key)
        runs[name] = (root, output, summary, before)
    return runs


