"""`yizhi deid text INPUT OUTPUT`: de-identify clinical notes from .jsonl, .txt or .csv into .jsonl."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from yizhi.cli_support import fail

_err = Console(stderr=True, soft_wrap=True)  # one error per line, never wrapped mid-path


def text_command(
    input: Annotated[Path, typer.Argument(help="Notes: .jsonl of {\"id\", \"text\", ...}, a .txt document, or .csv with --column.")],
    output: Annotated[Path, typer.Argument(help="Where to write the de-identified .jsonl (written atomically).")],
    lang: Annotated[str, typer.Option(help="auto, zh or en.")] = "auto",
    policy: Annotated[str, typer.Option(help="redact ([姓名]/[NAME] tags), mask (*), or surrogate (keyed fakes, shifted dates).")] = "redact",
    key_file: Annotated[Path | None, typer.Option(help="Secret key file for surrogates and date shifts (default: the deployment key).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    column: Annotated[str | None, typer.Option(help="Text column of a .csv input.")] = None,
    id_column: Annotated[str, typer.Option(help="Id column of a .csv input.")] = "id",
    keep_span_text: Annotated[bool, typer.Option("--keep-span-text",
                                                 help="Also write each span's original text (for review). Such a file "
                                                 "is itself identifying; by default spans hold start, end and type only.")] = False,
) -> None:
    """De-identify clinical notes (Chinese and English): names, ids, phones, addresses, dates, ..."""
    from yizhi.deid.keys import KeyFileError, load_key
    from yizhi.deid.text.batch import InputError, deidentify_file, input_size  # heavy: dictionaries, Faker

    try:
        key = load_key(key_file) if (policy == "surrogate" or key_file is not None) else None
    except KeyFileError as exc:
        fail(str(exc))
    try:
        if sys.stderr.isatty():
            with Progress(
                "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                TimeRemainingColumn(), console=_err, transient=True,
            ) as progress:
                task = progress.add_task("de-identifying", total=input_size(input) or None)
                stats = deidentify_file(input, output, lang=lang, policy=policy, key=key, workers=workers,
                                        column=column, id_column=id_column, span_text=keep_span_text,
                                        on_progress=lambda size: progress.advance(task, size))
        else:
            stats = deidentify_file(input, output, lang=lang, policy=policy, key=key, workers=workers,
                                    column=column, id_column=id_column, span_text=keep_span_text)
    except InputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or output}: {exc.strerror}")
    _err.print(f"{stats.documents} document(s), {stats.spans} identifier(s) → {output}", highlight=False)


def evaluate_command(
    gold: Annotated[Path, typer.Argument(help="Gold notes: .jsonl of {\"id\", \"text\", \"spans\": [{\"start\", \"end\", \"type\"}]}.")],
    lang: Annotated[str, typer.Option(help="auto, zh or en.")] = "auto",
    misses: Annotated[int, typer.Option(help="How many misses to print.")] = 20,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the full report (misses included) here.")] = None,
) -> None:
    """Score the de-identifier on your own annotated notes: recall and precision per type, and the misses."""
    import json

    from yizhi.deid.text.evaluate import evaluate, format_report, read_gold
    from yizhi.errors import ValidationFailed

    try:
        with open(gold, "rb") as handle:
            documents = read_gold(handle)
        report = evaluate(documents, lang)
    except ValidationFailed as exc:
        fail(f"{gold}: {exc.message}")
    except OSError as exc:
        fail(f"{exc.filename or gold}: {exc.strerror}")
    print(format_report(report, misses))
    if json_out is not None:
        json_out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


class _DeidentifyByDefault(TyperGroup):
    """`yizhi deid text INPUT OUTPUT` de-identifies (as before); `yizhi deid text evaluate GOLD` scores."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_DeidentifyByDefault, no_args_is_help=True,
                  help="De-identify clinical notes (`yizhi deid text INPUT OUTPUT`), or score on gold notes (`evaluate`).")
app.command("run", help="De-identify clinical notes (the default: `yizhi deid text INPUT OUTPUT`).")(text_command)
app.command("evaluate")(evaluate_command)
