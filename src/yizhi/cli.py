"""The `yizhi` command. Domains register their own sub-commands; this module only mounts them."""

from __future__ import annotations

import typer

from yizhi import __version__
from yizhi.deid.cli import app as deid_app
from yizhi.deid.tabular.cli import anonymize_command
from yizhi.ledger.cli import app as ledger_app
from yizhi.needs.cli import needs_app, solutions_app

app = typer.Typer(help="YiZhi 医智 — the city's medical-AI support platform.", no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the YiZhi version."""
    typer.echo(__version__)


app.add_typer(deid_app, name="deid")
app.add_typer(ledger_app, name="ledger")
app.add_typer(needs_app, name="needs")
app.add_typer(solutions_app, name="solutions")

# `yizhi anonymize` (issue 4, tabular) registers here:  app.command("anonymize")(...)
app.command("anonymize")(anonymize_command)
