"""Helpers for the catalog's tests: small hospital files, building a version through the real
ingest pipeline and the real job, and a published version made from Arrow tables."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from catalog_helpers import LABS_CSV, NOTES_JSONL, PROFILE  # noqa: E402,F401


@pytest.fixture
def hospital_files(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "labs.csv").write_text(LABS_CSV, encoding="utf-8")
    (folder / "notes.jsonl").write_text(NOTES_JSONL, encoding="utf-8")
    (tmp_path / "profile.yaml").write_text(PROFILE, encoding="utf-8")
    return {"labs": folder / "labs.csv", "notes": folder / "notes.jsonl", "profile": tmp_path / "profile.yaml"}


@pytest.fixture
def build(cast):
    """build(slug, {name: bytes}, profile=PROFILE, template=None) → the version ref, built by the job."""
    from catalog_helpers import build_version_via_job

    return build_version_via_job


@pytest.fixture
def stream():
    return io.BytesIO
