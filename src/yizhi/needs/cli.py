"""`yizhi needs ...` and `yizhi solutions ...` commands."""

import typer

needs_app = typer.Typer(help="Clinical needs library: import and matching.", no_args_is_help=True)
solutions_app = typer.Typer(help="AI companies' solutions: import.", no_args_is_help=True)
