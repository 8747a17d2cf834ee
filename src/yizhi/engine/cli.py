"""`yizhi engine info`, `yizhi engine deid-text SOURCE OUTPUT` and `yizhi engine deid-dicom SOURCE OUTPUT`:
where batch work runs, and the de-identification of notes and of DICOM trees on it (local pool or Ray),
with inputs and outputs on any fsspec store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from yizhi.cli_support import fail

engine_app = typer.Typer(help="Where batch work runs: the local pool or a Ray cluster.", no_args_is_help=True)
_err = Console(stderr=True, soft_wrap=True)


@engine_app.command("info")
def info() -> None:
    """Print the engine's settings and, on Ray, the cluster's nodes and CPUs."""
    from yizhi.config import get_settings
    from yizhi.errors import YizhiError

    settings = get_settings()
    typer.echo(f"engine: {settings.engine}")
    typer.echo(f"store: {settings.storage_url or settings.resolved_data_dir() / 'files'}")
    typer.echo(f"partition: {settings.partition_mb} MB")
    if settings.engine != "ray":
        typer.echo(f"local workers: {settings.workers}")
        return
    from yizhi.engine.cluster import connect

    try:
        ray = connect()
    except YizhiError as exc:
        fail(exc.message)
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    typer.echo(f"ray: {len(nodes)} node(s), {ray.cluster_resources().get('CPU', 0):g} CPU(s), "
               f"{ray.available_resources().get('CPU', 0):g} free")


@engine_app.command("deid-text")
def deid_text_command(
    source: Annotated[str, typer.Argument(help="Notes: a .jsonl, .csv or .parquet path or fsspec URL (s3://...).")],
    output: Annotated[str, typer.Argument(help="A new folder (path or URL) for part-NNNNN.jsonl and _manifest.json.")],
    lang: Annotated[str, typer.Option(help="auto, zh or en.")] = "auto",
    policy: Annotated[str, typer.Option(help="redact, mask or surrogate.")] = "redact",
    key_file: Annotated[Path | None, typer.Option(help="Key file for surrogates (default: the deployment key).")] = None,
    column: Annotated[str | None, typer.Option(help="Text column of a .csv or .parquet input.")] = None,
    span_text: Annotated[bool, typer.Option("--span-text/--no-span-text",
                                            help="Keep each span's original text in the output.")] = False,
    partition_mb: Annotated[float | None, typer.Option(help="Input MB per partition (default YIZHI_PARTITION_MB).")] = None,
) -> None:
    """De-identify notes on the configured engine (YIZHI_ENGINE), partition by partition."""
    from yizhi.deid.keys import KeyFileError, load_key
    from yizhi.deid.text.pipeline import LANGUAGES
    from yizhi.deid.text.transform import POLICIES
    from yizhi.engine.functions import deid_text
    from yizhi.engine.records import run_records
    from yizhi.errors import YizhiError

    from yizhi.engine.messages import BAD_CHOICE

    for option, value, choices in (("lang", lang, LANGUAGES), ("policy", policy, POLICIES)):
        if value not in choices:
            fail(BAD_CHOICE % {"option": option, "choices": ", ".join(choices), "value": repr(value)})
    try:
        key = load_key(key_file) if (policy == "surrogate" or key_file is not None) else None
    except KeyFileError as exc:
        fail(str(exc))
    params = {"lang": lang, "policy": policy, "key": key.hex() if key else None, "span_text": span_text,
              "column": column}
    try:
        manifest = run_records(deid_text, source, output, params=params,
                               partition_bytes=int(partition_mb * 1_000_000) if partition_mb else None,
                               on_progress=lambda done, total: _err.print(f"{done}/{total} partitions", highlight=False))
    except YizhiError as exc:
        fail(exc.message)
    _err.print(f"{manifest['records']} record(s) in {len(manifest['parts'])} part(s), {manifest['seconds']} s "
               f"on {manifest['engine']} → {output}", highlight=False)


@engine_app.command("deid-dicom")
def deid_dicom_command(
    source: Annotated[str, typer.Argument(help="A folder of DICOM files: a path or fsspec URL (s3://bucket/study).")],
    output: Annotated[str, typer.Argument(help="A new or empty folder (path or URL) for the released files.")],
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help="Profile option, repeatable "
                                                     "(as yizhi deid dicom).")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Secret key file (default: the deployment key).")] = None,
    safe_private: Annotated[Path | None, typer.Option(help="CSV of creator,group,element kept by "
                                                      "retain-safe-private.")] = None,
    rename_paths: Annotated[bool, typer.Option(help="Keyed stand-ins for folder and file names.")] = False,
) -> None:
    """De-identify a DICOM tree on the configured engine, reading and writing through the store, so
    Ray workers on other nodes need no shared mount. Exit code 2 when some files failed."""
    from yizhi.deid.dicom.cli import EXIT_SOME_FAILED, SafePrivateError, run_options
    from yizhi.deid.dicom.options import OptionError
    from yizhi.deid.dicom.remote import deidentify_tree_url
    from yizhi.deid.keys import KeyFileError
    from yizhi.errors import YizhiError

    try:
        options, key, safe = run_options(option, key_file, safe_private)
    except (OptionError, KeyFileError, SafePrivateError) as exc:
        fail(str(exc))
    try:
        summary = deidentify_tree_url(source, output, key, options, safe, rename_paths=rename_paths,
                                      on_progress=_every_hundred)
    except YizhiError as exc:
        fail(exc.message)
    _err.print(f"{summary.total} files: {summary.ok} de-identified, {summary.quarantined} quarantined, "
               f"{summary.error} failed. Report: {output.rstrip('/')}/deid-report.jsonl", highlight=False)
    if summary.error:
        raise typer.Exit(EXIT_SOME_FAILED)


def _every_hundred(done: int, total: int) -> None:
    if done % 100 == 0 or done == total:
        _err.print(f"{done}/{total} files", highlight=False)
