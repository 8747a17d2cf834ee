"""`yizhi anonymize INPUT OUTPUT --config CONFIG.yaml [--report REPORT.json]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from yizhi.deid.tabular.anonymizer import anonymize_file
from yizhi.deid.tabular.errors import AnonymizationError


def anonymize_command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="CSV (separator detected) or Parquet file.")],
    output_path: Annotated[Path, typer.Argument(metavar="OUTPUT", help="Where to write: .csv or .parquet.")],
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML config: quasi_identifiers, k, sensitive ...")],
    report: Annotated[
        Path | None, typer.Option("--report", "-r", help="Write the JSON report (levels, metrics, risk) here.")
    ] = None,
) -> None:
    """Anonymize a table: k-anonymity / l-diversity / t-closeness by an optimal generalization search."""
    err = Console(stderr=True)
    try:
        if sys.stderr.isatty():
            with Progress(
                TextColumn("searching lattice"), BarColumn(), TextColumn("{task.completed}/{task.total} nodes"),
                TimeElapsedColumn(), console=err, transient=True,
            ) as bar:
                task = bar.add_task("search", total=None)
                result = anonymize_file(
                    input_path, output_path, config, report,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        else:
            result = anonymize_file(input_path, output_path, config, report)
    except AnonymizationError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"[red]error:[/red] {escape(where + str(exc.strerror or exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    summary = {name: result[name] for name in ("levels", "suppressed", "classes", "min_class_size", "metrics")}
    typer.echo(json.dumps(summary, ensure_ascii=False))
