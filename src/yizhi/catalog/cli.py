"""`yizhi datasets ...`: create a dataset, ingest files into a new version, show, publish, export.

    yizhi datasets create SLUG --org ORG --title TITLE [--template NAME]
    yizhi datasets ingest SLUG PATH... [--profile PROFILE.yaml] [--key-file F]   # last line: SLUG@N
    yizhi datasets show SLUG[@N] [--json]
    yizhi datasets publish SLUG@N
    yizhi datasets export SLUG@N OUT_DIR
    yizhi datasets card SLUG@N --format croissant|dcat
    yizhi datasets describe SLUG@N --set FIELD=VALUE ... | --from CARD.yaml

The CLI is the operator's tool (it runs on the server with the data directory): it acts for the
organisation named, without a person. Errors are one line on stderr and exit code 1.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path
from typing import Annotated

import typer

datasets_app = typer.Typer(help="Datasets: ingest hospital data into versions, publish them with cards.",
                           no_args_is_help=True)
POLL_SECONDS = 0.5


def _errors(fn):
    """A domain error becomes one line on stderr and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from yizhi.errors import YizhiError

        try:
            return fn(*args, **kwargs)
        except YizhiError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from None

    return wrapper


def _session():
    from yizhi.db import session_scope

    return session_scope()


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


@datasets_app.command("create")
@_errors
def create(
    slug: str,
    org: Annotated[str, typer.Option(help="Slug of the organisation that owns the data.")],
    title: Annotated[str, typer.Option(help="The dataset's title.")],
    template: Annotated[str | None, typer.Option(help="Card template (e.g. lung-nodule-ct, t2dm-emr).")] = None,
    description: Annotated[str, typer.Option(help="A description for the card.")] = "",
) -> None:
    """Create an empty dataset of an organisation."""
    from yizhi.catalog import service

    with _session() as session:
        owner = service.org_by_slug(session, org)
        dataset = service.create_dataset(session, None, owner, slug, title, template=template,
                                         description=description)
        typer.echo(f"created dataset {dataset.slug} of {owner.slug}"
                   + (f" (template {dataset.template})" if dataset.template else ""))


def _store_path(session, org, path: Path):
    """Store a file, or a folder zipped (deterministically), in the organisation's raw store."""
    from yizhi.catalog import uploads
    from yizhi.catalog.packing import zip_folder
    from yizhi.errors import N_, ValidationFailed

    if path.is_dir():
        with zip_folder(path) as packed:
            return uploads.store_stream(session, org, f"{path.name}.zip", packed, created_by_id=None)
    if not path.is_file():
        raise ValidationFailed(N_("%(path)s is neither a file nor a folder"), params={"path": str(path)}, field="path")
    with path.open("rb") as handle:
        return uploads.store_stream(session, org, path.name, handle, created_by_id=None)


@datasets_app.command("ingest")
@_errors
def ingest(
    slug: str,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders: FHIR .json/.ndjson, DICOM, .zip, .csv, "
                                                     ".parquet, notes .jsonl.")],
    profile: Annotated[Path | None, typer.Option(help="De-identification profile (YAML); default: the "
                                                      "previous version's, or the safe default.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Bring the dataset's secret key (first version only).")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Do not carry over the previous version's sources.")] = False,
) -> None:
    """Store the files, build a new version with the ingest pipeline; prints SLUG@N last."""
    from yizhi.catalog import keys, service, versions
    from yizhi.errors import N_, ValidationFailed

    profile_text = None
    if profile is not None:
        try:
            profile_text = profile.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationFailed(N_("cannot read the profile %(path)s: %(reason)s"),
                                   params={"path": str(profile), "reason": str(exc)}, field="profile") from exc
    brought = keys.read_key_file(key_file) if key_file is not None else None
    with _session() as session:
        dataset = service.get_dataset(session, service.check_slug(slug))
        stored = [_store_path(session, dataset.organization, Path(p)) for p in paths]
        for upload in stored:
            _echo_err(f"stored {upload.name} ({upload.size} bytes, sha256 {upload.sha256[:12]}…)")
        version = versions.start_ingest(session, None, dataset, stored, profile=profile_text,
                                        keep_previous_sources=not fresh, brought_key=brought)
        version_id, job_id, ref = version.id, version.job_id, version.ref
    _echo_err(f"building {ref} (job {job_id})")
    _run_to_end(version_id, job_id)
    typer.echo(ref)


def _run_to_end(version_id: int, job_id: int) -> None:
    """Run the job here (unless a worker took it), through its retries; fail with the reason."""
    from sqlalchemy import update

    from yizhi.catalog.build import error_message
    from yizhi.catalog.models import DatasetVersion, VersionState
    from yizhi.db import session_scope, utcnow
    from yizhi.errors import N_, ValidationFailed
    from yizhi.jobs.models import Job, JobState
    from yizhi.jobs.service import run_job

    while True:
        with session_scope() as session:
            claimed = session.execute(update(Job).where(Job.id == job_id, Job.state == JobState.queued).values(
                state=JobState.running, worker="cli", started_at=utcnow(), heartbeat_at=utcnow(),
                attempts=Job.attempts + 1)).rowcount == 1
        if claimed:
            run_job(job_id)
        else:
            time.sleep(POLL_SECONDS)
        with session_scope() as session:
            version = session.get(DatasetVersion, version_id)
            if version.state == VersionState.failed:
                raise ValidationFailed(error_message(version.error) or N_("the build failed"))
            if version.state != VersionState.building:
                return


@datasets_app.command("show")
@_errors
def show(
    name: Annotated[str, typer.Argument(metavar="SLUG[@N]")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a dataset and its versions, or one version (tables, quality, card)."""
    from yizhi.catalog import service, versions
    from yizhi.catalog.build import error_message

    slug, number = service.parse_slug_or_ref(name)
    with _session() as session:
        if number is None:
            dataset = service.get_dataset(session, slug)
            out = {"slug": dataset.slug, "title": dataset.title, "organization": dataset.organization.slug,
                   "template": dataset.template, "allow_extracts": dataset.allow_extracts,
                   "versions": [{"ref": v.ref, "state": v.state.value, "root_hash": v.root_hash}
                                for v in dataset.versions]}
        else:
            version = service.get_version(session, slug, number)
            out = versions.summary(version, details=True)
            out["error"] = error_message(version.error) or None
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return
    _print_plain(out)


def _print_plain(out: dict) -> None:
    if "versions" in out:
        typer.echo(f"{out['slug']}  {out['title']}  ({out['organization']})")
        for v in out["versions"]:
            typer.echo(f"  {v['ref']:<30} {v['state']:<10} {v['root_hash'] or ''}")
        return
    typer.echo(f"{out['ref']}  {out['state']}  root {out['root_hash'] or '-'}")
    for table, info in sorted(out["tables"].items()):
        typer.echo(f"  table {table}: {info.get('rows')} rows, {len(info.get('columns') or {})} columns")
    if out.get("error"):
        typer.echo(f"  failed: {out['error']}")
    if out.get("missing_card_fields"):
        typer.echo("  card lacks: " + ", ".join(out["missing_card_fields"]))


@datasets_app.command("publish")
@_errors
def publish(ref: Annotated[str, typer.Argument(metavar="SLUG@N")]) -> None:
    """Publish a built version (refused, naming them, while card fields are missing)."""
    from yizhi.catalog import service, versions

    with _session() as session:
        version = versions.publish(session, None, service.resolve_version(session, ref))
        typer.echo(f"published {version.ref} (root {version.root_hash})")


@datasets_app.command("withdraw")
@_errors
def withdraw(ref: Annotated[str, typer.Argument(metavar="SLUG@N")]) -> None:
    """Withdraw a published version (no new grants on it)."""
    from yizhi.catalog import service, versions

    with _session() as session:
        version = versions.withdraw(session, None, service.resolve_version(session, ref))
        typer.echo(f"withdrew {version.ref}")


@datasets_app.command("retry")
@_errors
def retry(ref: Annotated[str, typer.Argument(metavar="SLUG@N")]) -> None:
    """Build a failed version again (e.g. after uploading a purged raw file again)."""
    from yizhi.catalog import service, versions

    with _session() as session:
        version = service.resolve_version(session, ref)
        job = versions.retry(session, None, version)
        version_id, job_id = version.id, job.id
    _run_to_end(version_id, job_id)
    typer.echo(ref)


@datasets_app.command("export")
@_errors
def export(ref: Annotated[str, typer.Argument(metavar="SLUG@N")], out_dir: Path) -> None:
    """Write the version to OUT_DIR: manifest.json, tables/*.parquet, dicom/..., card.json, croissant.json."""
    from yizhi.catalog import export as exporter
    from yizhi.catalog import service

    with _session() as session:
        files = exporter.export_version(session, service.resolve_version(session, ref), out_dir, actor="cli")
    _echo_err(f"exported {len(files)} files to {out_dir}")


@datasets_app.command("card")
@_errors
def card(
    ref: Annotated[str, typer.Argument(metavar="SLUG@N")],
    format: Annotated[str, typer.Option("--format", help="croissant, dcat or json.")] = "croissant",
) -> None:
    """Print the version's card as Croissant 1.0 or DCAT-AP/HealthDCAT-AP JSON-LD."""
    from yizhi.catalog import export as exporter
    from yizhi.catalog import service

    with _session() as session:
        typer.echo(exporter.card_document(service.resolve_version(session, ref), format))


@datasets_app.command("describe")
@_errors
def describe(
    ref: Annotated[str, typer.Argument(metavar="SLUG@N")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE (lists: separate with ';').")] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="A YAML mapping of card fields.")] = None,
) -> None:
    """Fill in card fields of a version that is ready (before publishing)."""
    import yaml

    from yizhi.catalog import cards, service, versions
    from yizhi.errors import N_, ValidationFailed

    update: dict = {}
    if from_file is not None:
        try:
            loaded = yaml.safe_load(from_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ValidationFailed(N_("cannot read the card file %(path)s: %(reason)s"),
                                   params={"path": str(from_file), "reason": str(exc).splitlines()[0]}) from exc
        if not isinstance(loaded, dict):
            raise ValidationFailed(N_("the card file %(path)s must hold a mapping of field: value"),
                                   params={"path": str(from_file)})
        update.update(loaded)
    for item in set_ or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValidationFailed(N_("write --set FIELD=VALUE, not %(item)s"), params={"item": item}, field="set")
        update[key.strip()] = value
    with _session() as session:
        version = service.resolve_version(session, ref)
        card_now = versions.update_card(session, None, version, update)
        missing = cards.missing_fields(card_now, service.template_of(version.dataset))
        typer.echo(f"{version.ref}: card updated" + (f"; still missing: {', '.join(missing)}" if missing else
                                                      "; complete"))
