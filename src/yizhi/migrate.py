"""Apply Alembic migrations programmatically (no alembic.ini needed on the user's side)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    return config


def upgrade_to_head() -> None:
    # "heads": each domain's migrations are a branch off the foundation; apply them all.
    command.upgrade(alembic_config(), "heads")
