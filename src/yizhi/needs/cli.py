"""`yizhi needs ...` and `yizhi solutions ...` commands.

    yizhi needs import FILE --org SLUG [--publish]
    yizhi needs match NEED [--top K] [--json]
    yizhi needs suggest-category TEXT
    yizhi solutions import FILE --org SLUG

An import reads the whole file and validates every record before writing any: one bad record
means nothing is imported, and every problem is listed by line and field on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from yizhi.cli_support import cli_session, fail

needs_app = typer.Typer(help="Clinical needs library: import and matching.", no_args_is_help=True)
solutions_app = typer.Typer(help="AI companies' solutions: import.", no_args_is_help=True)


class _Rollback(Exception):
    """Raised inside the session to undo an import that found problems."""


def _progress():
    """A Rich progress callback when stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress

    progress = Progress(transient=True)
    task = progress.add_task("encoding", total=None)

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def _run_import(kind: str, path: Path, org: str, publish: bool = False) -> None:
    from yizhi.needs import service

    progress, update = _progress()
    report = None
    try:
        with cli_session() as session:
            if progress is not None:
                progress.start()
            try:
                if kind == "needs":
                    report = service.import_needs(session, path, org, publish=publish, progress=update)
                else:
                    report = service.import_solutions(session, path, org, progress=update)
            finally:
                if progress is not None:
                    progress.stop()
            if report.problems:
                raise _Rollback
    except _Rollback:
        for problem in report.problems:
            typer.echo(f"{path}: {problem}", err=True)
        fail(f"{len(report.problems)} problem(s) found; nothing was imported from {path}")
    noun = "needs" if kind == "needs" else "solutions"
    state = " and published" if publish else ""
    typer.echo(
        f"imported {report.imported} new and updated {report.updated} {noun}{state} for {org} "
        f"({report.suggested_categories} categories suggested from the text)"
    )


@needs_app.command("import")
def import_needs(
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv file with one need per record.")],
    org: Annotated[str, typer.Option("--org", help="Slug of the hospital the needs belong to.")],
    publish: Annotated[bool, typer.Option("--publish", help="Publish at once (the import counts as the commission's review).")] = False,
) -> None:
    """Import needs; a record's `id` becomes its external id, a missing category is suggested."""
    _run_import("needs", file, org, publish)


@solutions_app.command("import")
def import_solutions(
    file: Annotated[Path, typer.Argument(help="A .jsonl or .csv file with one solution per record.")],
    org: Annotated[str, typer.Option("--org", help="Slug of the company or university offering them.")],
) -> None:
    """Import solutions (published at once); a record's `id` becomes its external id."""
    _run_import("solutions", file, org)


@needs_app.command("match")
def match(
    need: Annotated[str, typer.Argument(help="The need's id or external id.")],
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many solutions to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Rank published solutions for a need (BM25 + embeddings, fused), with why each matched."""
    from yizhi.needs import service

    with cli_session() as session:
        found = service.find_need(session, need)
        results = [m.as_dict() for m in service.matches_for_need(session, None, found, top=top)]
        title = found.title
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    from yizhi.needs.matching.relevance import default_model

    threshold = default_model().threshold
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} — {len(results)} solutions")
    for column in ("#", "solution_id", "external_id", "title", "relevance", "why"):
        table.add_column(column)
    for position, row in enumerate(results, start=1):
        relevance = f"{row['score']:.2f}" + ("" if row["good_match"] else " (weak)")
        table.add_row(str(position), str(row["solution_id"]), row["external_id"] or "", row["title"],
                      relevance, row["why"])
    Console().print(table)
    if results and not any(row["good_match"] for row in results):
        typer.echo(f"No good match yet: no solution scores {threshold:.2f} or more; these are only the nearest.")


@needs_app.command("suggest-category")
def suggest_category(
    text: Annotated[str, typer.Argument(help="Title and description of a need or solution.")],
) -> None:
    """Suggest the three most likely categories for a text, with confidence."""
    from yizhi.needs.matching.categories import default_suggester

    for suggestion in default_suggester().suggest(text, top=3):
        typer.echo(f"{suggestion.category}\t{suggestion.confidence:.3f}")
