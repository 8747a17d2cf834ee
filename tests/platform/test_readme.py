"""The README documents every setting and every CLI verb."""

from pathlib import Path

import typer.main

from yizhi.cli import app

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    from yizhi.config import documented_settings

    variables = [variable for variable, _default, _help in documented_settings()]
    assert "YIZHI_LEDGER_HASH" in variables  # domain settings are included
    for variable in variables:
        assert variable in README, variable


def _verbs(group, prefix=""):
    for name, command in getattr(group, "commands", {}).items():
        full = f"{prefix} {name}".strip()
        if hasattr(command, "commands"):
            yield from _verbs(command, full)
        else:
            yield full


def test_every_cli_verb_is_in_the_readme():
    missing = [v for v in _verbs(typer.main.get_command(app)) if f"yizhi {v}" not in README]
    assert missing == [], f"README lacks: {missing}"


def test_generated_readme_sections_are_current():
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "readme_reference.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
