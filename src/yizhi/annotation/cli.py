"""`yizhi annotation`: create projects and reader studies, load gold and predictions, agreement,
reader-study report, export labels as a new dataset version. Errors are one line (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from yizhi.errors import N_, ValidationFailed

annotation_app = typer.Typer(help="Annotation projects: create, gold, predictions, agreement, export; reader studies.",
                             no_args_is_help=True)
MAX_FILE = 50 * 1024 * 1024


def _read_json(path: Path, what: str):
    try:
        if path.stat().st_size > MAX_FILE:
            raise ValidationFailed(N_("%(what)s %(path)s is larger than 50 MiB"), params={"what": what, "path": str(path)})
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationFailed(N_("cannot read %(what)s %(path)s: %(reason)s"),
                               params={"what": what, "path": str(path), "reason": exc.strerror or str(exc)}) from None
    except UnicodeDecodeError:
        raise ValidationFailed(N_("%(what)s %(path)s is not UTF-8 text"), params={"what": what, "path": str(path)}) from None
    if path.suffix in (".yaml", ".yml"):
        return text
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        return json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(N_("%(what)s %(path)s is not valid JSON: %(reason)s"),
                               params={"what": what, "path": str(path), "reason": str(exc)[:200]}) from None


@annotation_app.command("create")
def create(
    slug: str,
    dataset: Annotated[str, typer.Option(help="The dataset version, SLUG@N.")],
    org: Annotated[str, typer.Option(help="The organisation running the project.")],
    schema: Annotated[Path | None, typer.Option(help="Label schema (YAML or JSON).")] = None,
    kind: Annotated[str, typer.Option(help="labeling or deid_review.")] = "labeling",
    title: Annotated[str, typer.Option(help="Title.")] = "",
    table: Annotated[str | None, typer.Option(help="Table of the items (default notes; dicom for images).")] = None,
    text_column: Annotated[str, typer.Option(help="Text column of a notes table.")] = "text",
    grant: Annotated[int | None, typer.Option(help="The grant the project works under (when not the holder).")] = None,
    overlap: Annotated[int, typer.Option(help="Annotators per overlapped item.")] = 1,
    overlap_percent: Annotated[int, typer.Option(help="Share of items overlapped (per cent).")] = 100,
    annotator_org: Annotated[list[str] | None, typer.Option(help="Organisation whose annotators may work (repeat).")] = None,
    annotator: Annotated[list[str] | None, typer.Option(help="Person (e-mail) who may annotate (repeat).")] = None,
    reviewer: Annotated[list[str] | None, typer.Option(help="Person (e-mail) who reviews (repeat).")] = None,
    sample: Annotated[int | None, typer.Option(help="Annotate a random sample of this many items.")] = None,
    qualification: Annotated[int, typer.Option(help="Gold items an annotator must pass first.")] = 0,
    gold_rate: Annotated[float, typer.Option(help="Share of hidden gold items mixed in afterwards.")] = 0.0,
    instructions: Annotated[Path | None, typer.Option(help="Instructions (a text file).")] = None,
) -> None:
    """Create an annotation project on a dataset version."""
    from yizhi.annotation import service
    from yizhi.db import session_scope

    source = None
    if table == "dicom":
        source = {"kind": "dicom"}
    elif table:
        source = {"kind": "text", "table": table, "text_column": text_column}
    with session_scope() as session:
        project = service.create_project(
            session, slug=slug, title=title, org=service.org_by_slug(session, org), dataset=dataset, kind=kind,
            schema=_read_json(schema, "schema") if schema else None, source=source, grant_id=grant, overlap=overlap,
            overlap_percent=overlap_percent, annotator_orgs=annotator_org or [], annotator_people=annotator or [],
            reviewer_people=reviewer or [], sample=sample, qualification_count=qualification, gold_rate=gold_rate,
            instructions=_read_json(instructions, "instructions") if instructions and instructions.suffix == ".yaml"
            else (instructions.read_text(encoding="utf-8") if instructions else ""))
        typer.echo(f"created annotation project {project.slug} on {project.version.ref} "
                   f"({service.progress(session, project)['total']} items)")


@annotation_app.command("gold")
def gold(slug: str, path: Annotated[Path, typer.Argument(help="JSON or JSONL of {key, answer, use}.")]) -> None:
    """Mark items as gold (qualification or hidden) with their known answers."""
    from yizhi.annotation import service
    from yizhi.db import session_scope

    entries = _read_json(path, "gold file")
    with session_scope() as session:
        count = service.set_gold(session, service.get_project(session, slug), entries)
    typer.echo(f"{count} gold items")


@annotation_app.command("predictions")
def predictions(slug: str, path: Annotated[Path, typer.Argument(help="JSON or JSONL of {key, suggestion?, probability?}.")]) -> None:
    """Load a model's predictions: pre-annotations and uncertainty priorities."""
    from yizhi.annotation import service
    from yizhi.db import session_scope

    entries = _read_json(path, "predictions file")
    with session_scope() as session:
        count = service.set_predictions(session, service.get_project(session, slug), entries)
    typer.echo(f"{count} predictions")


@annotation_app.command("agreement")
def agreement(slug: str, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Agreement per label field (κ, α, span F1, IoU/Dice) and per annotator pair."""
    from yizhi.annotation import report, service
    from yizhi.db import session_scope

    with session_scope() as session:
        figures = report.project_agreement(session, service.get_project(session, slug))
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    typer.echo(f"{figures['items']} items with two or more annotators")
    for name, field in figures["fields"].items():
        values = ", ".join(f"{k} {v:.3f}" for k, v in field.items()
                           if isinstance(v, float) and k not in ("items",))
        typer.echo(f"{name} ({field['type']}): {values or 'no figures yet'}")


@annotation_app.command("study-report")
def study_report(slug: str) -> None:
    """A reader study's report (JSON): per reader and average, with and without AI, and the MRMC analysis."""
    from yizhi.annotation import service, study
    from yizhi.db import session_scope

    with session_scope() as session:
        typer.echo(json.dumps(study.report(session, service.get_project(session, slug)), ensure_ascii=False))


@annotation_app.command("export")
def export(slug: str, dataset: Annotated[str | None, typer.Option(help="Dataset slug (default <project>-labels).")] = None) -> None:
    """Export the labels as a new dataset version (labels table, JSONL/COCO/DICOM-SEG/CSV, card)."""
    from yizhi.annotation import export as exporter
    from yizhi.annotation import service
    from yizhi.db import session_scope

    with session_scope() as session:
        version = exporter.export_version(session, service.get_project(session, slug), dataset_slug=dataset)
        typer.echo(f"exported {version.ref} (root hash {version.root_hash[:12]}…)")


@annotation_app.command("list")
def list_projects() -> None:
    """Every annotation project with its progress."""
    from sqlalchemy import select

    from yizhi.annotation import service
    from yizhi.annotation.models import Project
    from yizhi.db import session_scope

    with session_scope() as session:
        for project in session.scalars(select(Project).order_by(Project.id)):
            progress = service.progress(session, project)
            typer.echo(f"{project.slug}\t{project.kind.value}\t{project.version.ref}\t"
                       f"{progress['complete'] + progress['resolved']}/{progress['total']}")
