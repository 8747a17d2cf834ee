"""Fixtures of the Tier B tests: a hospital's version, a company's grant on some of its columns,
projects written as folders, jobs submitted and run through the real job queue and sandbox."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from yizhi.space.jobs_settings import SandboxSettings


def _org(db, slug):
    from yizhi.accounts.models import Organization

    return db.query(Organization).filter_by(slug=slug).one()


def person(db, member):
    from yizhi.accounts.models import Person

    return db.get(Person, member.id)


def cohort_table(rows: int = 600, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    age = rng.integers(20, 90, rows)
    hba1c = np.round(rng.normal(6.5, 1.2, rows), 2)
    site = rng.choice(["A", "B", "C"], rows)
    risk = 0.04 * (age - 55) + 0.9 * (hba1c - 6.5)
    outcome = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(np.int64)
    return pa.table({"patient": [f"PX{i:05d}Q" for i in range(rows)], "age": age.astype(np.int64),
                     "hba1c": hba1c, "site": site, "outcome": outcome})


@pytest.fixture
def grant(db, cast):
    """Company's live grant on table `cohort` of hospital's dm-cohort@1, without the patient column."""
    from yizhi.access.grants import create_grant
    from yizhi.catalog.testing import make_version

    version = make_version(db, _org(db, "hospital"), "dm-cohort", {"cohort": cohort_table()})
    made = create_grant(db, org=_org(db, "company"), versions={version: {"cohort": ["age", "hba1c", "site", "outcome"]}},
                        days=30, reason="tier b tests", actor=person(db, cast.admin), administrative=True)
    db.commit()
    return made


@pytest.fixture
def write_project(tmp_path):
    """write_project(code, outputs=[...], tables=[...]) → a project folder."""

    def make(code: str, outputs=None, tables=("cohort",), extra: dict | None = None, name: str = "project") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "main.py").write_text(textwrap.dedent(code))
        spec = {"entry": "main.py", "tables": list(tables),
                "outputs": outputs or [{"path": "result.csv", "kind": "table"}], **(extra or {})}
        (folder / "project.yaml").write_text(yaml.safe_dump(spec))
        return folder

    return make


@pytest.fixture
def fast_settings(monkeypatch):
    """Tight limits so the limit tests end quickly."""
    monkeypatch.setenv("YIZHI_SPACE_JOB_TIMEOUT", "20")
    monkeypatch.setenv("YIZHI_SPACE_JOB_MEMORY", str(1 << 30))
    monkeypatch.setenv("YIZHI_SPACE_JOB_PROCESSES", "32")
    return SandboxSettings()


@pytest.fixture
def run_project(db, cast, grant):
    """run_project(folder) → the finished SpaceJob (submitted by the company engineer, run by the queue)."""
    from yizhi.jobs import service as queue
    from yizhi.space import jobs_service
    from yizhi.space.project import zip_folder

    def run(folder: Path, *, dummy: bool = False, member=None):
        submitter = person(db, member or cast.company)
        job = jobs_service.submit(db, submitter, grant.id, zip_folder(folder, 1 << 24), dummy=dummy)
        db.commit()
        assert queue.work_once("test-worker")
        db.expire_all()
        return jobs_service.get_job(db, job.id)

    return run


def checks_of(output) -> dict:
    return {c["check"]: c for c in output.checks}
