"""Text de-identification through the engine gives the single-process CLI's bytes."""

from __future__ import annotations

from yizhi.deid.text.batch import deidentify_file
from yizhi.engine import run_records
from yizhi.engine.functions import deid_text

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def concatenated(manifest, out):
    return b"".join((out / entry["name"]).read_bytes() for entry in manifest["parts"])


def test_local_engine_output_is_the_cli_output_byte_for_byte(notes_file, tmp_path):
    cli_out = tmp_path / "cli.jsonl"
    deidentify_file(notes_file, cli_out, policy="surrogate", key=bytes.fromhex(KEY), workers=1)
    out = tmp_path / "engine"
    manifest = run_records(deid_text, str(notes_file), str(out), params={"policy": "surrogate", "key": KEY},
                           engine="local", workers=2, partition_bytes=2048)
    assert len(manifest["parts"]) > 2
    assert manifest["records"] == 48
    assert concatenated(manifest, out) == cli_out.read_bytes()
    assert "张三" not in cli_out.read_text(encoding="utf-8")
