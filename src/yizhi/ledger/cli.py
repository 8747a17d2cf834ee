"""`yizhi ledger ...` commands."""

import typer

app = typer.Typer(help="Transparency ledger: append, checkpoints, proofs, verification, witnesses.",
                  no_args_is_help=True)
