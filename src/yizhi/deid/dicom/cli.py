"""`yizhi deid dicom INPUT_DIR OUTPUT_DIR [--option ...] [--key-file F] [--workers N] [--rename-paths]`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Annotated

import typer

from yizhi.deid.dicom.batch import TreeError, deidentify_tree
from yizhi.deid.dicom.options import Option, OptionError, parse_options
from yizhi.deid.keys import KeyFileError, load_key

EXIT_SOME_FAILED = 2
OPTION_HELP = (
    "Profile option, repeatable: "
    + ", ".join(option.value for option in Option)
    + ". Default: the Basic Profile alone."
)


class SafePrivateError(ValueError):
    """The safe-private list file has a bad line."""


def read_safe_private(path: Path) -> frozenset[tuple[str, int, int]]:
    """Read ``creator,group,element`` lines (hex group, hex element low byte), e.g.
    ``GEMS_ACQU_01,0019,23``. Lines starting with # are comments."""
    triples = set()
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.reader(handle), 1):
                if not row or row[0].lstrip().startswith("#"):
                    continue
                if len(row) != 3:
                    raise SafePrivateError(f"{path} line {number}: expected creator,group,element")
                creator, group, element = (cell.strip() for cell in row)
                try:
                    group_number, element_number = int(group, 16), int(element, 16) & 0xFF
                except ValueError:
                    raise SafePrivateError(
                        f"{path} line {number}: group and element must be hexadecimal"
                    ) from None
                if not group_number & 1:
                    raise SafePrivateError(f"{path} line {number}: group {group} is not private (odd)")
                triples.add((creator.upper(), group_number, element_number))
    except OSError as exc:
        raise SafePrivateError(f"cannot read {path}: {exc.strerror}") from None
    return frozenset(triples)


def run_options(option: list[str] | None, key_file: Path | None, safe_private: Path | None):
    """(profile options, key, safe private attributes) from the command line, checked together;
    OptionError, KeyFileError or SafePrivateError say which flag is wrong."""
    options = parse_options(option or [])
    key = load_key(key_file)
    safe = read_safe_private(safe_private) if safe_private else frozenset()
    if safe and Option.RETAIN_SAFE_PRIVATE not in options:
        raise OptionError("--safe-private needs --option retain-safe-private")
    return options, key, safe


def dicom_command(
    input_dir: Annotated[Path, typer.Argument(help="Folder of DICOM files (read only, never modified).")],
    output_dir: Annotated[Path, typer.Argument(help="Folder for the de-identified mirror of the input.")],
    option: Annotated[list[str] | None, typer.Option("--option", "-o", help=OPTION_HELP)] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(help="Secret key file: same key, same UIDs and date shifts. Default: deployment key."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes to use.")] = 1,
    safe_private: Annotated[
        Path | None,
        typer.Option(help="CSV of creator,group,element private attributes kept by retain-safe-private."),
    ] = None,
    rename_paths: Annotated[
        bool,
        typer.Option(help="Keyed stand-ins for folder and file names (exports often name them after "
                     "the patient); the report maps each input path to its output."),
    ] = False,
) -> None:
    """De-identify DICOM files by PS3.15 Annex E (Basic Application Level Confidentiality Profile).

    Writes OUTPUT_DIR/deid-report.jsonl (one line per input file); files that may show burned-in
    text go to OUTPUT_DIR/quarantine/. Exit code 2 when some files could not be de-identified.
    """
    try:
        options, key, safe = run_options(option, key_file, safe_private)
    except (OptionError, KeyFileError, SafePrivateError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        summary = _run(input_dir, output_dir, key, options, workers, safe, rename_paths)
    except (TreeError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    message = (
        f"{summary.total} files: {summary.ok} de-identified, {summary.quarantined} quarantined, "
        f"{summary.error} failed. Report: {summary.report}"
    )
    typer.echo(message, err=summary.error > 0)
    if summary.error:
        raise typer.Exit(EXIT_SOME_FAILED)


def _run(input_dir, output_dir, key, options, workers, safe, rename_paths):
    if not sys.stderr.isatty():
        return deidentify_tree(input_dir, output_dir, key, options, workers, safe, rename_paths=rename_paths)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("de-identifying", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return deidentify_tree(
            input_dir, output_dir, key, options, workers, safe, on_progress=advance, rename_paths=rename_paths
        )
