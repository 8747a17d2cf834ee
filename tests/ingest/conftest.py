"""Fixtures for the ingest tests: the planted cohort, built once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import ingest_cohort as cohort  # noqa: E402

from yizhi.ingest import Source, build_version, load_profile  # noqa: E402


@pytest.fixture(scope="session")
def cohort_sources(tmp_path_factory) -> list[Source]:
    folder = tmp_path_factory.mktemp("cohort")
    return [Source(name, path) for name, path in cohort.write_all(folder)]


@pytest.fixture(scope="session")
def cohort_build(tmp_path_factory, cohort_sources):
    """(out_dir, BuildResult) of the whole cohort with the labs profile."""
    out = tmp_path_factory.mktemp("version")
    result = build_version(cohort_sources, out, profile=load_profile(cohort.LABS_PROFILE), key=cohort.KEY)
    return out, result
