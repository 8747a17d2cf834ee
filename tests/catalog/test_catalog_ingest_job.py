"""The ingest job: progress, a failure with a reason a person can act on, retry; the root hash on
the ledger; the same inputs, profile and key give the same version."""

import io

from sqlalchemy import select

from catalog_helpers import LABS_CSV, NOTES_JSONL, build_version_via_job, org, run_jobs
from yizhi import storage
from yizhi.catalog import build, service, uploads, versions
from yizhi.catalog.models import VersionState
from yizhi.jobs.models import Job, JobState
from yizhi.ledger.models import LedgerEntry


def test_a_purged_raw_file_fails_readably_and_a_retry_after_upload_succeeds(db, cast):
    owner = org(db, "hospital")
    dataset = service.create_dataset(db, None, owner, "retry-me", "Retry", template="t2dm-emr")
    stored = uploads.store_stream(db, owner, "notes.jsonl", io.BytesIO(NOTES_JSONL.encode()), created_by_id=None)
    version = versions.start_ingest(db, None, dataset, [stored])
    db.commit()
    storage.path_for(stored.sha256).unlink()          # the raw file is gone (purged, disk trouble)
    run_jobs()
    db.expire_all()
    assert version.state == VersionState.failed
    assert "notes.jsonl is no longer in the raw store" in build.error_message(version.error)
    job = db.get(Job, version.job_id)
    assert job.state == JobState.failed and job.attempts == 1     # input trouble is not retried blindly
    from yizhi.web import i18n
    assert "notes.jsonl" in build.error_message(version.error, lambda text: i18n.gettext("zh", text))
    # the hospital uploads the file again and asks for another try
    uploads.store_stream(db, owner, "notes.jsonl", io.BytesIO(NOTES_JSONL.encode()), created_by_id=None)
    versions.retry(db, None, version)
    db.commit()
    run_jobs()
    db.expire_all()
    assert version.state == VersionState.ready and version.error == ""
    assert version.tables["notes"]["rows"] == 2
    built = db.scalars(select(LedgerEntry).where(LedgerEntry.kind == "dataset.version_built")).all()
    assert len(built) == 1 and built[0].subject == f"dataset_version:{version.id}"


def test_unexpected_failures_are_retried_then_failed(db, cast, monkeypatch):
    calls = []

    def broken(version_id, progress):
        calls.append(version_id)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(build, "run", broken)
    owner = org(db, "hospital")
    dataset = service.create_dataset(db, None, owner, "flaky", "Flaky")
    stored = uploads.store_stream(db, owner, "labs.csv", io.BytesIO(LABS_CSV.encode()), created_by_id=None)
    version = versions.start_ingest(db, None, dataset, [stored])
    db.commit()
    run_jobs()
    db.expire_all()
    assert len(calls) == 3                              # tried up to the job's attempts
    assert version.state == VersionState.failed
    assert "stopped unexpectedly (RuntimeError)" in build.error_message(version.error)


def test_same_inputs_profile_and_key_give_the_same_root_hash(cast):
    files = {"labs.csv": LABS_CSV.encode(), "notes.jsonl": NOTES_JSONL.encode()}
    first = build_version_via_job("same-a", files)
    again = build_version_via_job("same-a", files)        # version 2 of the same dataset: same key
    other = build_version_via_job("same-b", files)        # another dataset: another key
    from yizhi.db import session_scope
    with session_scope() as session:
        hashes = {ref: service.resolve_version(session, ref).root_hash for ref in (first, again, other)}
        changes = versions.changes(service.resolve_version(session, again))
    assert hashes[first] == hashes[again] != hashes[other]
    assert changes["root_hash"]["changed"] is False and changes["tables_changed"] == []


def test_changes_show_added_tables_rows_and_profile(cast):
    first = build_version_via_job("grow", {"labs.csv": LABS_CSV.encode()})
    more = LABS_CSV + "P004,赵六,2023-05-01,6.0,\n"
    second = build_version_via_job("grow", {"labs.csv": more.encode(), "notes.jsonl": NOTES_JSONL.encode()},
                                   profile=None)
    from yizhi.db import session_scope
    with session_scope() as session:
        changes = versions.changes(service.resolve_version(session, second))
    assert changes["from"] == first and changes["tables_added"] == ["notes"]
    assert changes["tables_changed"][0]["rows"] == {"from": 4, "to": 5, "delta": 1}
    assert changes["sources"] == {"added": ["notes.jsonl"], "removed": [], "replaced": ["labs.csv"]}
    assert changes["profile"]["changed"] is False
