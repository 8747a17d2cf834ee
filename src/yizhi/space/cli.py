"""`yizhi space`: Tier A queries and Tier B jobs from the command line."""

import typer

from yizhi.space import jobs_cli, query_cli

space_app = typer.Typer(help="Trusted data space: queries (Tier A) and sandboxed jobs (Tier B).", no_args_is_help=True)
query_cli.register(space_app)
jobs_cli.register(space_app)
