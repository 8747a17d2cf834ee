"""Run one Tier B job: unpack, materialise the view, sandbox, meter, airlock (the ``space.run`` handler)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from yizhi import ledger, storage
from yizhi.access import grants
from yizhi.db import session_scope, utcnow
from yizhi.space import airlock, dataview, jobs_service, metering, sandbox, sandbox_check
from yizhi.space.checks import overall
from yizhi.space.job_errors import classify
from yizhi.space.jobs_models import AutoStatus, ReviewState, SpaceJob, SpaceJobOutput, SpaceJobState
from yizhi.space.jobs_settings import SandboxSettings
from yizhi.space.project import extract_zip, load_project

LOG_NAMES = ("stdout.log", "stderr.log")


def run_job(space_job_id: int, progress=lambda fraction, note="": None, base: SandboxSettings | None = None) -> dict:
    base = base or SandboxSettings()
    sandbox_check.require_sandbox(base)
    try:
        return _run(space_job_id, progress, base)
    finally:  # the per-job copies of the data never outlive the run (held files are in the store)
        shutil.rmtree(jobs_service.work_root() / str(space_job_id), ignore_errors=True)


def _run(space_job_id: int, progress, base: SandboxSettings) -> dict:
    with session_scope() as session:  # committed before progress() writes in its own transaction
        job = jobs_service.get_job(session, space_job_id)
        jobs_service.mark_started(session, job)
        settings = metering.job_settings(session, job.grant, base) if not job.dummy else base
        digest, dummy = job.project_digest, job.dummy
    work = jobs_service.work_root() / str(space_job_id)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.chmod(work, 0o700)
    progress(0.05, "unpacking the project")
    with storage.open_file(digest) as handle:
        folder = extract_zip(handle, work / "project-zip", settings.project_max)
    project = load_project(folder)
    _make_readable(folder)
    progress(0.15, "materialising the data view")
    view, holdout = work / "view", work / "holdout"
    with session_scope() as session:
        job = jobs_service.get_job(session, space_job_id)
        entry = grants.grant_dataset(job.grant, job.version.ref)
        columns = dataview.granted_columns(entry, project.tables)
        trained = {o.table for o in project.outputs if o.kind == "model" and o.table}
        if dummy:
            tables = dataview.materialise_dummy(entry, columns, view)
        else:
            holdout.mkdir()
            tables = dataview.materialise(entry, columns, view, holdout_tables=trained, holdout_dir=holdout,
                                          seed=space_job_id)
        pseudonyms = airlock.pseudonym_values(jobs_service.version_table_paths(job))
        rules = _rules(session, job)
    progress(0.3, "running in the sandbox")
    result = sandbox.run(sandbox.python_command(project.entry), sandbox.Mounts(folder, view, work / "output"),
                         work / "logs", settings)
    progress(0.8, "checking the outputs")
    context = airlock.AirlockContext(project, pseudonyms, rules, settings, view, holdout if holdout.exists() else None,
                                     work)
    held = _hold_outputs(work / "output", result, context, settings)
    with session_scope() as session:
        job = jobs_service.get_job(session, space_job_id)
        job.view_rows = sum(t.rows for t in tables)
        summary = _finish(session, job, result, held, settings)
    progress(1.0, "done")
    return summary


def _rules(session, job: SpaceJob):
    try:
        from yizhi.space.disclosure import rules_for
    except ImportError:
        return None
    return rules_for(session, job.version)


def _make_readable(folder: Path) -> None:
    """The project is root's; the sandbox uid reads it through the 'other' bits only."""
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o555)
        for name in files:
            os.chmod(os.path.join(root, name), 0o444)


def _hold_outputs(output: Path, result: sandbox.RunResult, context: airlock.AirlockContext,
                  settings: SandboxSettings) -> list[dict]:
    """Store and check every file written and both logs; nothing is released here."""
    held = []
    files = sorted(p for p in output.rglob("*") if p.is_file() and not p.is_symlink())[: settings.output_files_max]
    for path in files:
        name = path.relative_to(output).as_posix()
        held.append(_hold(path, name, "undeclared", context, log=False))
    for path in (result.stdout, result.stderr):
        held.append(_hold(path, path.name, "log", context, log=True))
    return held


def _hold(path: Path, name: str, kind: str, context: airlock.AirlockContext, *, log: bool) -> dict:
    checks, description = airlock.check_file(path, name, context, log=log)
    declared = None if log else context.project.output(name)
    with path.open("rb") as handle:
        digest, size = storage.put_stream(handle)
    return {"name": name[:160], "kind": "log" if log else (declared.kind if declared else kind), "digest": digest,
            "size": size, "checks": [c.as_dict() for c in checks], "description": description,
            "auto": overall(checks)}


def _finish(session, job: SpaceJob, result: sandbox.RunResult, held: list[dict], settings: SandboxSettings) -> dict:
    failure = classify(result, settings)
    job.exit_code = result.exit_code
    job.cpu_seconds, job.peak_memory_bytes = result.cpu_seconds, result.peak_memory_bytes
    job.wall_seconds, job.output_bytes = result.wall_seconds, result.output_bytes
    job.finished_at = utcnow()
    if failure:
        job.state = SpaceJobState.failed
        job.error_code, job.error_template, job.error_params = failure
    else:
        job.state = SpaceJobState.succeeded
    job.outputs.clear()  # a retried run replaces what an interrupted attempt left
    session.flush()
    for item in held:
        checks = item["checks"] + ([{"check": "describe", "status": "info", "message": "", "params": item["description"]}]
                                   if item["description"] else [])
        job.outputs.append(SpaceJobOutput(
            name=item["name"], kind=item["kind"], digest=item["digest"], size=item["size"], checks=checks,
            auto_status=AutoStatus(item["auto"]),
            review_state=ReviewState.not_needed if job.dummy else ReviewState.pending))
    session.flush()
    org = job.grant.organization.slug
    ledger.record(session, "space.job_finished", f"space_job:{job.id}", {
        "job_id": job.id, "state": job.state.value, "error_code": job.error_code, "dummy": job.dummy,
        "cpu_seconds": job.cpu_seconds, "peak_memory_bytes": job.peak_memory_bytes,
        "wall_seconds": job.wall_seconds, "output_bytes": job.output_bytes}, org=org)
    for output in job.outputs:
        ledger.record(session, "space.output_checked", f"space_job:{job.id}", {
            "job_id": job.id, "output": output.name, "sha256": output.digest, "size": output.size,
            "auto_status": output.auto_status.value,
            "failed_checks": sorted({c["check"] for c in output.checks if c["status"] == "fail"})}, org=org)
    return {"space_job_id": job.id, "state": job.state.value, "error_code": job.error_code,
            "outputs": len(job.outputs)}
