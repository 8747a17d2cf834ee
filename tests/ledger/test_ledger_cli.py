"""`yizhi ledger ...` end to end: the exact verbs of issue 5, exit codes and messages on stderr."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from yizhi.cli import app
from yizhi.db import dispose_engines
from yizhi.ledger.hashing import SHA256
from yizhi.ledger.merkle import verify_inclusion


@pytest.fixture
def run(ledger_engine):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["ledger", *map(str, args)], input=input)

    yield invoke
    dispose_engines()


def test_append_checkpoint_entry_proofs_receipt_verify(run, tmp_path):
    for i in range(6):
        result = run("append", "operator.note", json.dumps({"ticket": i}), "--subject", f"ticket:{i}")
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == str(i)
    checkpoint = run("checkpoint")
    assert checkpoint.exit_code == 0
    lines = checkpoint.stdout.split("\n")
    assert lines[0] == "yizhi.test/ledger" and lines[1] == "6" and lines[4].startswith("— yizhi.test/ledger ")

    entry = json.loads(run("entry", 2).stdout)
    assert set(entry) == {"index", "leaf", "leaf_hash"} and json.loads(entry["leaf"])["data"] == {"ticket": 2}
    assert SHA256.leaf(entry["leaf"].encode()).hex() == entry["leaf_hash"]

    proof = json.loads(run("proof", "inclusion", 2, "--size", 5).stdout)
    assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "audit_path"} and proof["tree_size"] == 5
    consistency = json.loads(run("proof", "consistency", 3, 6).stdout)
    assert set(consistency) == {"first", "second", "proof"}

    import base64

    root6 = base64.b64decode(lines[2])
    verify_inclusion(SHA256, 2, 6, bytes.fromhex(entry["leaf_hash"]),
                     [bytes.fromhex(h) for h in json.loads(run("proof", "inclusion", 2).stdout)["audit_path"]], root6)

    key_file = tmp_path / "platform.vkey"
    key = run("key")
    key_file.write_text(key.stdout)
    receipt_file = tmp_path / "receipt.json"
    assert run("receipt", 4, "-o", receipt_file).exit_code == 0
    ok = run("verify-receipt", receipt_file, "--key", key_file)
    assert ok.exit_code == 0 and "entry 4" in ok.stdout

    receipt = json.loads(receipt_file.read_text())
    receipt["entry"]["leaf"] = receipt["entry"]["leaf"].replace('"ticket":4', '"ticket":5')
    receipt_file.write_text(json.dumps(receipt))
    bad = run("verify-receipt", receipt_file, "--key", key.stdout.strip())
    assert bad.exit_code == 1 and "entry.leaf_hash" in bad.stderr

    verified = run("verify")
    assert verified.exit_code == 0 and "6 entries" in verified.stdout


def test_verify_names_the_first_bad_index(run, ledger_engine):
    for i in range(5):
        run("append", "operator.note", json.dumps({"n": i}))
    from sqlalchemy import text

    with ledger_engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE idx = 3"))
    result = run("verify")
    assert result.exit_code == 1
    assert "first bad index: 3" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("append", "operator.note", "{not json"), "JSON argument, line 1"),
        (("append", "operator.note", "[1]"), "must be an object"),
        (("append", "operator.note", '{"email": "a"}'), "data.email"),
        (("append", "Bad Kind", "{}"), "kind"),
        (("entry", 42), "no ledger entry with index 42"),
        (("proof", "inclusion", 0), "the ledger is empty"),
        (("verify-receipt", "/nonexistent/receipt.json", "--key", "x+00000000+AA=="), "cannot read"),
    ],
)
def test_errors_are_one_line_on_stderr(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_offline_witness_round_trip(run, tmp_path):
    run("append", "operator.note", '{"n": 1}')
    key = run("key").stdout.strip()
    witness_key = run("witness", "init", tmp_path / "w", "--name", "witness.hospital.test")
    assert witness_key.exit_code == 0
    assert run("witness", "trust", tmp_path / "w", key).exit_code == 0
    added = run("witness", "add", witness_key.stdout.strip(), "--org", "hospital")
    assert added.exit_code == 0, added.output
    request = run("witness", "request", "witness.hospital.test")
    assert request.exit_code == 0 and request.stdout.startswith("old 0\n\n")
    cosigned = run("witness", "cosign", tmp_path / "w", "-", input=request.stdout)
    assert cosigned.exit_code == 0 and cosigned.stdout.startswith("— witness.hospital.test ")
    replay = run("witness", "cosign", tmp_path / "w", "-", input=request.stdout)
    assert replay.exit_code == 1 and "409" in replay.stderr
    accepted = run("witness", "accept", "witness.hospital.test", "-", input=cosigned.stdout)
    assert accepted.exit_code == 0, accepted.output
    note = run("checkpoint", "--no-cosign").stdout
    assert "— witness.hospital.test " in note
    listed = json.loads(run("witness", "list").stdout)
    assert listed[0]["name"] == "witness.hospital.test" and listed[0]["last_size"] >= 2


def test_witness_retire_and_reinstate(run, tmp_path):
    from yizhi.ledger.note import generate_signer

    key = generate_signer("witness.cli.test", "cosignature/v1").verifier.vkey
    assert run("witness", "add", key, "--org", "hospital").exit_code == 0
    assert run("witness", "retire", "witness.cli.test").exit_code == 0
    assert json.loads(run("witness", "list").stdout)[0]["active"] is False
    assert run("witness", "retire", "witness.cli.test", "--reinstate").exit_code == 0
    assert json.loads(run("witness", "list").stdout)[0]["active"] is True
    missing = run("witness", "retire", "nobody")
    assert missing.exit_code == 1 and "no registered witness named 'nobody'" in missing.stderr
