"""Tier B commands of `yizhi space`.

    yizhi space run --grant ID PROJECT_DIR [--dummy] [--as EMAIL] [--wait]   # last line: the job id
    yizhi space outputs JOB [--json]
    yizhi space download JOB OUT_DIR [--as EMAIL]                           # approved files only

`run` submits the folder (zipped and stored like an upload) to the job queue; a worker runs it.
With `--dummy` it runs at once, here, in the same sandbox, on the dataset's dummy data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from yizhi.cli_support import fail

AsOption = Annotated[str | None, typer.Option("--as", help="Email of the person acting (default: the grant's only team member).")]


def register(space_app: typer.Typer) -> None:
    """Add this tier's commands to `yizhi space`."""
    space_app.command("run")(run_command)
    space_app.command("outputs")(outputs_command)
    space_app.command("download")(download_command)


def _acting_person(session, grant, email: str | None):
    from yizhi.accounts import service as accounts
    from yizhi.accounts.permissions import acting_role

    if email:
        return accounts.get_person_by_email(session, email)
    if len(grant.team) == 1:
        return grant.team[0].person
    members = [m.person for m in grant.organization.memberships if acting_role(m.person, grant.organization)]
    if len(members) == 1:
        return members[0]
    fail(f"grant {grant.id} has several people who may act under it; say who with --as EMAIL")


def run_command(
    project_dir: Annotated[Path, typer.Argument(help="The project folder (with project.yaml).")],
    grant: Annotated[int, typer.Option("--grant", help="The grant the job runs under.")],
    dummy: Annotated[bool, typer.Option("--dummy", help="Run now, here, on the dataset's dummy data.")] = False,
    as_email: AsOption = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until a worker has run the job.")] = False,
) -> None:
    """Submit a project to run in the sandbox under a grant; prints the job id last."""
    from yizhi.access import grants
    from yizhi.db import session_scope
    from yizhi.errors import YizhiError
    from yizhi.space import jobs_service
    from yizhi.space.jobs_settings import SandboxSettings
    from yizhi.space.project import zip_folder

    if not project_dir.is_dir():
        fail(f"{project_dir} is not a folder")
    settings = SandboxSettings()
    try:
        data = zip_folder(project_dir, settings.project_max)
        with session_scope() as session:
            person = _acting_person(session, grants.get_grant(session, grant), as_email)
            job = jobs_service.submit(session, person, grant, data, dummy=dummy, settings=settings)
            job_id, queue_id = job.id, job.queue_job_id
        if dummy:
            _run_here(queue_id)
        elif wait:
            _wait(queue_id)
        _summary(job_id)
    except YizhiError as exc:
        fail(exc.message)
    typer.echo(job_id)


def _run_here(queue_id: int) -> None:
    """Claim this very queue entry (a worker may race for it) and run it in this process."""
    from sqlalchemy import update

    from yizhi.db import session_scope, utcnow
    from yizhi.jobs import service as queue
    from yizhi.jobs.models import Job, JobState

    with session_scope() as session:
        now = utcnow()
        won = session.execute(update(Job).where(Job.id == queue_id, Job.state == JobState.queued).values(
            state=JobState.running, worker="cli", started_at=now, heartbeat_at=now, attempts=Job.attempts + 1))
        if won.rowcount != 1:
            return  # a worker took it
    queue.run_job(queue_id)


def _wait(queue_id: int) -> None:
    import time

    from yizhi.db import session_scope
    from yizhi.jobs.models import Job, JobState

    while True:
        with session_scope() as session:
            job = session.get(Job, queue_id)
            if job.state in (JobState.succeeded, JobState.failed):
                return
            typer.echo(f"{job.state.value} {job.progress:.0%} {job.progress_note}", err=True)
        time.sleep(2)


def _summary(job_id: int) -> None:
    from yizhi.db import session_scope
    from yizhi.space import jobs_service
    from yizhi.space.jobs_present import error_text, queue_facts

    with session_scope() as session:
        job = jobs_service.get_job(session, job_id)
        state = jobs_service.display_state(job, queue_facts(session, job)["queue_state"])
        typer.echo(f"job {job.id} on {job.version.ref}: {state}", err=True)
        if job.error_template:
            typer.echo(f"  {error_text(job)}", err=True)
        for output in job.outputs:
            typer.echo(f"  {output.name}: {output.auto_status.value}, {output.review_state.value}", err=True)


def outputs_command(
    job_id: Annotated[int, typer.Argument(help="The job id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A job's files with their automatic check results and review state."""
    from rich.console import Console
    from rich.table import Table

    from yizhi.db import session_scope
    from yizhi.errors import YizhiError
    from yizhi.space import jobs_service
    from yizhi.space.jobs_present import output_public

    try:
        with session_scope() as session:
            job = jobs_service.get_job(session, job_id)
            rows = [output_public(o, job.requester) for o in job.outputs]
    except YizhiError as exc:
        fail(exc.message)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table("name", "kind", "bytes", "checks", "review", "approvals")
    for row in rows:
        failed = [f"{c['check']}: {c['message']}" for c in row["checks"] if c["status"] in ("fail", "warn")]
        approvals = sum(1 for r in row["reviews"] if r["decision"] == "approve")
        table.add_row(row["name"], row["kind"], str(row["size"]), row["auto_status"] + ("\n" + "\n".join(failed)
                      if failed else ""), row["review_state"], str(approvals))
    Console().print(table)


def download_command(
    job_id: Annotated[int, typer.Argument(help="The job id.")],
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the approved files into.")],
    as_email: AsOption = None,
) -> None:
    """Write a job's approved files (only those) into OUT_DIR; each download is on the ledger."""
    from yizhi.accounts import service as accounts
    from yizhi.db import session_scope
    from yizhi.errors import YizhiError
    from yizhi.space import jobs_service, review

    written = []
    try:
        with session_scope() as session:
            job = jobs_service.get_job(session, job_id)
            person = accounts.get_person_by_email(session, as_email) if as_email else job.requester
            if person is None:
                fail(f"job {job_id} has no requester any more; say who downloads with --as EMAIL")
            out_dir.mkdir(parents=True, exist_ok=True)
            for output in jobs_service.released(job):
                target = out_dir / Path(output.name).name
                with review.open_output(session, person, output) as handle:
                    target.write_bytes(handle.read())
                written.append(target)
    except YizhiError as exc:
        fail(exc.message)
    held = "no approved files yet" if not written else f"{len(written)} approved file(s)"
    typer.echo(f"{held} written to {out_dir}", err=True)
    for path in written:
        typer.echo(str(path))
