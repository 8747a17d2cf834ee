"""Witnesses (c2sp.org/tlog-witness): cosign only consistent checkpoints; the platform collects
cosignatures over HTTP and k-of-n is enforced when verifying."""

from __future__ import annotations

import base64
import json
import threading

import pytest
from starlette.testclient import TestClient

from yizhi import ledger
from yizhi.ledger import service
from yizhi.ledger.hashing import SHA256
from yizhi.ledger.merkle import MemoryTree
from yizhi.ledger.note import Checkpoint, generate_signer, open_checkpoint, parse_vkey, sign_note
from yizhi.ledger.receipt import verify_receipt
from yizhi.ledger.witness import Witness, make_app

ORIGIN = "log.example/test"


@pytest.fixture
def log():
    signer = generate_signer(ORIGIN)
    tree = MemoryTree(SHA256)
    for i in range(40):
        tree.append(f"leaf {i}".encode())
    return signer, tree


@pytest.fixture
def witness(tmp_path, log):
    created = Witness.init(tmp_path / "witness", "witness.hospital.example")
    created.trust_log(log[0].verifier.vkey)
    return created


def _checkpoint(signer, tree, size):
    return sign_note(Checkpoint(ORIGIN, size, tree.root(size)).body, signer)


def _request(old, proof, note):
    return "\n".join([f"old {old}", *(base64.b64encode(p).decode() for p in proof)]) + "\n\n" + note


def test_first_checkpoint_then_consistent_growth_is_cosigned(witness, log):
    signer, tree = log
    first = witness.add_checkpoint(_request(0, [], _checkpoint(signer, tree, 10)))
    assert first.status == 200 and first.body.startswith("— witness.hospital.example ")
    note = _checkpoint(signer, tree, 10) + first.body
    _, cosigners = open_checkpoint(note, signer.verifier, [witness.signer.verifier], quorum=1)
    assert [c.name for c in cosigners] == ["witness.hospital.example"]
    second = witness.add_checkpoint(_request(10, tree.consistency_proof(10, 25), _checkpoint(signer, tree, 25)))
    assert second.status == 200
    assert witness.state()[ORIGIN]["size"] == 25


def test_stale_old_size_gets_409_with_the_latest_size(witness, log):
    signer, tree = log
    assert witness.add_checkpoint(_request(0, [], _checkpoint(signer, tree, 10))).status == 200
    response = witness.add_checkpoint(_request(0, [], _checkpoint(signer, tree, 20)))
    assert (response.status, response.body, response.content_type) == (409, "10\n", "text/x.tlog.size")


def test_forked_history_is_refused_and_state_kept(witness, log):
    signer, tree = log
    assert witness.add_checkpoint(_request(0, [], _checkpoint(signer, tree, 10))).status == 200
    forked = MemoryTree(SHA256)
    for i in range(25):
        forked.append(b"rewritten" if i == 3 else f"leaf {i}".encode())
    note = sign_note(Checkpoint(ORIGIN, 25, forked.root()).body, signer)
    response = witness.add_checkpoint(_request(10, forked.consistency_proof(10, 25), note))
    assert response.status == 422
    assert witness.state()[ORIGIN]["size"] == 10
    same_size_other_root = sign_note(Checkpoint(ORIGIN, 10, forked.root(10)).body, signer)
    assert witness.add_checkpoint(_request(10, [], same_size_other_root)).status == 409


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda req, signer, tree: req.replace(ORIGIN, "unknown.example/log"), 404),
        (lambda req, signer, tree: _request(0, [], sign_note(Checkpoint(ORIGIN, 10, tree.root(10)).body, generate_signer(ORIGIN))), 403),
        (lambda req, signer, tree: req.replace("old 0", "old 11"), 400),
        (lambda req, signer, tree: req.replace("old 0", "old 00"), 400),
        (lambda req, signer, tree: req.replace("\n\n", "\n", 1), 400),
        (lambda req, signer, tree: req.replace("old 0\n", "old 0\nnot-base64!\n"), 400),
    ],
)
def test_bad_requests_get_the_spec_status(witness, log, mutate, status):
    signer, tree = log
    request = mutate(_request(0, [], _checkpoint(signer, tree, 10)), signer, tree)
    assert witness.add_checkpoint(request).status == status
    assert ORIGIN not in witness.state()


def test_concurrent_requests_never_roll_the_size_back(witness, log):
    signer, tree = log
    assert witness.add_checkpoint(_request(0, [], _checkpoint(signer, tree, 5))).status == 200
    results = []

    def submit(size):
        results.append((size, witness.add_checkpoint(_request(5, tree.consistency_proof(5, size), _checkpoint(signer, tree, size))).status))

    threads = [threading.Thread(target=submit, args=(size,)) for size in (12, 20, 33, 40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [size for size, status in results if status == 200]
    assert len(accepted) == 1, results  # all started from 5; only the first to lock may advance
    assert witness.state()[ORIGIN]["size"] == accepted[0]


def test_http_server_speaks_tlog_witness(witness, log):
    signer, tree = log
    client = TestClient(make_app(witness))
    assert client.get("/").text.strip() == witness.signer.verifier.vkey
    response = client.post("/add-checkpoint", content=_request(0, [], _checkpoint(signer, tree, 10)))
    assert response.status_code == 200 and response.text.startswith("— witness.hospital.example")
    conflict = client.post("/add-checkpoint", content=_request(0, [], _checkpoint(signer, tree, 11)))
    assert conflict.status_code == 409 and conflict.headers["content-type"].startswith("text/x.tlog.size")


def test_platform_collects_k_of_n_cosignatures(make_session, tmp_path, monkeypatch):
    with make_session() as session, session.begin():
        ledger.record_many(session, [ledger.Event("test.event", f"item:{i}", {"i": i}) for i in range(9)])
        log_key = service.platform_verifier(session)
    witnesses = []
    for i in range(3):
        w = Witness.init(tmp_path / f"w{i}", f"witness{i}.example")
        w.trust_log(log_key.vkey)
        witnesses.append(w)
    clients = {f"http://w{i}.test": TestClient(make_app(w)) for i, w in enumerate(witnesses)}

    def transport(url, body):
        response = clients[url].post("/add-checkpoint", content=body)
        return response.status_code, response.text

    with make_session() as session, session.begin():
        for i, w in enumerate(witnesses):
            service.register_witness(session, f"hospital-{i}", w.signer.verifier.vkey, f"http://w{i}.test")
    witnesses[2].directory.joinpath("logs.json").write_text("{}")  # the third witness no longer trusts us
    with make_session() as session, session.begin():
        checkpoint = service.make_checkpoint(session)
        outcomes = service.collect_cosignatures(session, checkpoint, transport)
        assert outcomes["witness0.example"] == outcomes["witness1.example"] == "cosigned"
        assert outcomes["witness2.example"].startswith("refused (404)")
        size = checkpoint.tree_size
    # the log grows; the next round sends a consistency proof from what each witness saw
    with make_session() as session, session.begin():
        ledger.record(session, "test.event", "item:99", {"i": 99})
        checkpoint = service.make_checkpoint(session)
        assert checkpoint.tree_size == size + 1
        outcomes = service.collect_cosignatures(session, checkpoint, transport)
        assert outcomes["witness0.example"] == "cosigned"
        receipt = service.receipt(session, 4)
        report = service.verify_log(session)
    assert report.ok, report.problems
    keys = [parse_vkey(w.signer.verifier.vkey) for w in witnesses]
    _, cosigners = verify_receipt(json.loads(json.dumps(receipt)), log_key, keys, quorum=2)
    assert {c.name for c in cosigners} == {"witness0.example", "witness1.example"}
    with pytest.raises(Exception, match="2 valid witness cosignatures; 3 required"):
        verify_receipt(receipt, log_key, keys, quorum=3)


def test_registering_a_non_witness_key_is_refused(make_session):
    with make_session() as session, session.begin():
        with pytest.raises(service.LedgerError, match="cosignature/v1"):
            service.register_witness(session, "hospital", generate_signer("x.example").verifier.vkey)
        with pytest.raises(service.LedgerError, match="witness key"):
            service.register_witness(session, "hospital", "garbage")


def test_witness_refuses_to_overwrite_its_key(tmp_path):
    Witness.init(tmp_path / "w", "w.example")
    with pytest.raises(Exception, match="already exists"):
        Witness.init(tmp_path / "w", "w.example")


def test_http_server_refuses_oversized_requests(witness):
    client = TestClient(make_app(witness))
    response = client.post("/add-checkpoint", content=b"old 0\n" + b"A" * (70 * 1024))
    assert response.status_code == 413


def test_platform_retries_from_the_size_the_witness_reports(make_session, tmp_path):
    """The platform forgot what the witness saw (409 with its size): it retries from that size."""
    from sqlalchemy import update

    from yizhi.ledger.models import LedgerWitness

    with make_session() as session, session.begin():
        ledger.record_many(session, [ledger.Event("test.event", f"item:{i}", {"i": i}) for i in range(6)])
        log_key = service.platform_verifier(session)
    w = Witness.init(tmp_path / "w", "witness.retry.test")
    w.trust_log(log_key.vkey)
    client = TestClient(make_app(w))
    calls = []

    def transport(url, body):
        calls.append(body.split("\n", 1)[0])
        response = client.post("/add-checkpoint", content=body)
        return response.status_code, response.text

    with make_session() as session, session.begin():
        service.register_witness(session, "hospital", w.signer.verifier.vkey, "http://w.test")
        assert service.collect_cosignatures(session, service.make_checkpoint(session), transport)["witness.retry.test"] == "cosigned"
    with make_session() as session, session.begin():
        ledger.record(session, "test.event", "item:9", {"i": 9})
        session.execute(update(LedgerWitness).values(last_size=0))
    with make_session() as session, session.begin():
        outcome = service.collect_cosignatures(session, service.make_checkpoint(session), transport)
    assert outcome["witness.retry.test"] == "cosigned"
    assert calls == ["old 0", "old 0", "old 7"]  # first round, then 409 → retry from the witness's size
