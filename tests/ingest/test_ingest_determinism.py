"""The same sources, profile and key give a byte-identical version, whatever the process count."""

from __future__ import annotations

import ingest_cohort as cohort
import pytest

from yizhi.config import reset_settings_cache
from yizhi.ingest import build_version, load_profile

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def one_worker(monkeypatch):
    monkeypatch.setenv("YIZHI_WORKERS", "1")
    reset_settings_cache()
    yield
    monkeypatch.delenv("YIZHI_WORKERS")
    reset_settings_cache()


def test_two_builds_are_byte_identical_with_one_or_two_processes(cohort_build, cohort_sources, tmp_path, one_worker):
    first_dir, first = cohort_build  # built with the default two worker processes
    again = tmp_path / "again"
    again.mkdir()
    second = build_version(cohort_sources, again, profile=load_profile(cohort.LABS_PROFILE), key=cohort.KEY)
    assert _files(first_dir) == _files(again)
    assert first.root_hash == second.root_hash
    assert first.stats == second.stats and first.tables == second.tables


def test_another_key_changes_every_released_table(cohort_build, cohort_sources, tmp_path, one_worker):
    first_dir, first = cohort_build
    other = tmp_path / "other"
    other.mkdir()
    result = build_version(cohort_sources, other, profile=load_profile(cohort.LABS_PROFILE),
                           key=b"another-dataset-key-0123456789ab")
    assert result.root_hash != first.root_hash
    before, after = _files(first_dir), _files(other)
    tables = [name for name in before if name.startswith("tables/")]
    assert tables and all(before[name] != after.get(name) for name in tables)
