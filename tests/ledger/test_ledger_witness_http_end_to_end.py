"""A real witness server (uvicorn on a free local port) cosigning through the platform's HTTP client."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from typer.testing import CliRunner

from yizhi import ledger
from yizhi.cli import app
from yizhi.ledger import service
from yizhi.ledger.witness import Witness, make_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def witness_server(tmp_path):
    witness = Witness.init(tmp_path / "witness", "witness.live.test")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(witness), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("witness server did not start")
        time.sleep(0.05)
    yield witness, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_checkpoint_command_collects_a_live_cosignature(make_session, witness_server):
    witness, url = witness_server
    with make_session() as session, session.begin():
        ledger.record(session, "test.event", "item:1", {"i": 1})
        witness.trust_log(service.platform_verifier(session).vkey)
        service.register_witness(session, "hospital", witness.signer.verifier.vkey, url)
    result = CliRunner().invoke(app, ["ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "witness witness.live.test: cosigned" in result.stderr
    assert "— witness.live.test " in result.stdout
    with make_session() as session, session.begin():
        ledger.record(session, "test.event", "item:2", {"i": 2})
    again = CliRunner().invoke(app, ["ledger", "checkpoint"])
    assert "witness witness.live.test: cosigned" in again.stderr  # consistency proof from the last size
    with make_session() as session:
        origin = service.platform_verifier(session).name
    assert witness.state()[origin]["size"] >= 3


def test_unreachable_witness_is_reported_not_fatal(make_session):
    from yizhi.ledger.note import generate_signer

    with make_session() as session, session.begin():
        ledger.record(session, "test.event", "item:1", {"i": 1})
        key = generate_signer("witness.down.test", "cosignature/v1").verifier.vkey
        service.register_witness(session, "hospital", key, f"http://127.0.0.1:{_free_port()}")
    result = CliRunner().invoke(app, ["ledger", "checkpoint"])
    assert result.exit_code == 0
    assert "witness witness.down.test: refused (0)" in result.stderr
