"""Tier B commands of `yizhi space`."""

import typer


def register(space_app: typer.Typer) -> None:
    """Add this tier's commands to `yizhi space`."""
