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
    model: Annotated[Path, typer.Argument(help="An ONNX model (.onnx), or a predictions file (.csv or .parquet) "
                                               "for a phase whose inputs are released.")],
    org: Annotated[str, typer.Option(help="The submitting organisation.")],
    parity: Annotated[Path | None, typer.Option(help="Sample inputs and expected outputs (.npz, arrays "
                                                     "'inputs' and 'outputs').")] = None,
    phase: Annotated[int | None, typer.Option(help="The phase (id) to submit to; by default the last open "
                                                   "hidden phase (for a predictions file: with released inputs).")] = None,
    queue_only: Annotated[bool, typer.Option("--queue-only", help="Queue the scoring job and return.")] = False,
) -> None:
    """Check a model or a predictions file and score it on the hidden set; the last line is the submission id."""
    from yizhi.db import session_scope
    from yizhi.evaluation import service
    from yizhi.evaluation.models import SubmissionState
    from yizhi.evaluation.predictions import is_predictions_file
    from yizhi.evaluation.tasks import run_now

    predictions = is_predictions_file(model.name)
    if predictions and parity:
        raise ValidationFailed(N_("a parity bundle goes with an ONNX model, not with a predictions file"),
                               field="parity")
    model_bytes = _read(model, "predictions file" if predictions else "model")
    parity_bytes = _read(parity, "parity bundle") if parity else None
    with session_scope() as session:
        found = service.get_benchmark(session, benchmark)
        organization = service.org_by_slug(session, org)
        if predictions:
            sub = service.submit_predictions(session, benchmark=found, org=organization, data=model_bytes,
                                             filename=model.name, phase_id=phase)
        else:
            sub = service.submit(session, benchmark=found, org=organization, model=model_bytes, parity=parity_bytes,
                                 phase_id=phase)
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


@eval_app.command("inputs")
def inputs(
    phase: Annotated[int, typer.Argument(help="The phase (id).")],
    org: Annotated[str, typer.Option(help="Your organisation: the organiser to release, a participant to download.")],
    release: Annotated[bool, typer.Option("--release", help="Release the phase's inputs (its organiser: the "
                                                            "benchmark's evaluator or the commission).")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Download the released inputs to this file (.csv or "
                                                           ".parquet); the download is recorded on the ledger.")] = None,
) -> None:
    """Release a phase's inputs (feature columns with opaque case keys, never the reference) or download them."""
    from yizhi import storage
    from yizhi.db import session_scope
    from yizhi.evaluation import releases, service

    if not release and out is None:
        raise ValidationFailed(N_("say --release, --out FILE or both"), field="out")
    fmt = out.suffix.lower().lstrip(".") if out else None
    if out is not None and fmt not in releases.FORMATS:
        raise ValidationFailed(N_("inputs are released as csv or parquet, not %(format)s"),
                               params={"format": fmt or out.name}, field="format")
    with session_scope() as session:
        found = service.get_phase(session, phase)
        organization = service.org_by_slug(session, org)
        if release:
            done = releases.release_inputs(session, found, organization)
            typer.echo(f"phase {found.id}: inputs released ({done.rows} cases, columns "
                       f"{', '.join(done.columns)}; ledger index {done.ledger_index})", err=True)
        if out is not None:
            digest, _name = releases.download_inputs(session, found, organization, fmt)
            with storage.open_file(digest) as handle:
                out.write_bytes(handle.read())
            typer.echo(f"wrote {out} (sha256 {digest})", err=True)


@eval_app.command("report")
def report(
    submission: int,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[Path | None, typer.Option("--html", help="Write the report as HTML to this file.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the report as PDF to this file.")] = None,
) -> None:
    """Show a submission's report (JSON, HTML or PDF); a refused model exits 2."""
    from yizhi.db import session_scope
    from yizhi.evaluation import lifecycle, render, service
    from yizhi.evaluation.models import SubmissionState

    with session_scope() as session:
        sub = service.get_submission(session, submission)
        lifecycle.sync_with_job(session, sub)
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
