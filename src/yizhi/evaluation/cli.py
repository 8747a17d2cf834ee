"""`yizhi eval`: benchmarks, submissions and reports from the command line (interface exact, issue 15).

A model that fails the checks prints ``{"error": {"code", "message"}}`` and exits 2, at submit and
at ``report --json``; other errors are one line on stderr with exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from yizhi.errors import N_, ValidationFailed

eval_app = typer.Typer(help="Evaluation center: benchmarks, submissions, signed reports.", no_args_is_help=True)
benchmark_app = typer.Typer(help="Benchmarks (hidden test set + task contract).", no_args_is_help=True)
eval_app.add_typer(benchmark_app, name="benchmark")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(N_("cannot read %(what)s %(path)s: %(reason)s"),
                               params={"what": what, "path": str(path), "reason": exc.strerror or str(exc)}) from None


def _refusal_exit(code: str, message: str) -> None:
    typer.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    raise typer.Exit(2)


@benchmark_app.command("create")
def benchmark_create(
    slug: str,
    dataset: Annotated[str, typer.Option(help="The hidden test set, SLUG@N.")],
    task: Annotated[Path, typer.Option(help="The task contract (YAML).")],
    org: Annotated[str, typer.Option(help="The evaluator organisation (or the commission) holding it.")],
) -> None:
    """Create a benchmark from a hidden dataset version and a task contract."""
    from yizhi.db import session_scope
    from yizhi.evaluation import service

    with session_scope() as session:
        benchmark = service.create_benchmark(session, slug=slug, dataset=dataset, task_yaml=_read(task, "task"),
                                             org=service.org_by_slug(session, org))
        typer.echo(f"created benchmark {benchmark.slug} on {benchmark.version.ref} (task sha256 "
                   f"{benchmark.task_sha256[:12]}…)")


@eval_app.command("submit")
def submit(
    benchmark: str,
    model: Path,
    org: Annotated[str, typer.Option(help="The submitting organisation.")],
    parity: Annotated[Path | None, typer.Option(help="Sample inputs and expected outputs (.npz, arrays "
                                                     "'inputs' and 'outputs').")] = None,
    queue_only: Annotated[bool, typer.Option("--queue-only", help="Queue the scoring job and return.")] = False,
) -> None:
    """Check a model and score it on the benchmark's hidden set; the last line is the submission id."""
    from yizhi.db import session_scope
    from yizhi.evaluation import service
    from yizhi.evaluation.models import SubmissionState
    from yizhi.evaluation.tasks import run_now

    model_bytes = _read(model, "model")
    parity_bytes = _read(parity, "parity bundle") if parity else None
    with session_scope() as session:
        found = service.get_benchmark(session, benchmark)
        sub = service.submit(session, benchmark=found, org=service.org_by_slug(session, org), model=model_bytes,
                             parity=parity_bytes)
        sub_id, state, job_id = sub.id, sub.state, sub.job_id
        refusal = service.refusal_message(sub) if state == SubmissionState.refused else None
    if refusal:
        code, template, params = refusal
        typer.echo(f"submission {sub_id} refused", err=True)
        _refusal_exit(code, template % params if params else template)
    if not queue_only and job_id is not None:
        typer.echo(f"submission {sub_id}: scoring…", err=True)
        run_now(job_id)
        with session_scope() as session:
            done = service.get_submission(session, sub_id)
            typer.echo(f"state {done.state.value}" + (f", verdict {done.verdict}" if done.verdict else ""), err=True)
    typer.echo(sub_id)


@eval_app.command("report")
def report(
    submission: int,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write the report as HTML to this file.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the report as PDF to this file.")] = None,
) -> None:
    """Show a submission's report (JSON, HTML or PDF); a refused model exits 2."""
    from yizhi.db import session_scope
    from yizhi.evaluation import render, service
    from yizhi.evaluation.models import SubmissionState

    with session_scope() as session:
        sub = service.get_submission(session, submission)
        if sub.state in (SubmissionState.refused, SubmissionState.failed):
            code, template, params = service.refusal_message(sub)
            _refusal_exit(code, template % params if params else template)
        if html:
            html.write_text(render.html_document(sub, "en"), encoding="utf-8")
            typer.echo(f"wrote {html}", err=True)
        if pdf:
            pdf.write_bytes(render.pdf_document(sub))
            typer.echo(f"wrote {pdf}", err=True)
        if as_json:
            typer.echo(json.dumps(render.report_json(sub), ensure_ascii=False))
        elif not html and not pdf:
            _summary(render.report_json(sub))


def _summary(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("metric", "value", "95% CI", "method")
    for name, metric in report["metrics"].items():
        table.add_row(name, str(metric["value"]), f"{metric['ci'][0]} – {metric['ci'][1]}", metric.get("method", ""))
    Console().print(table)
    print(f"verdict: {report['verdict']['overall']}; ledger index {report['ledger_index']}", file=sys.stdout)
