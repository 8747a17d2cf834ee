"""Checkpoints, proofs and receipts served from the database, checked with the pure verifiers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from yizhi import ledger
from yizhi.ledger import service
from yizhi.ledger.hashing import SHA256
from yizhi.ledger.keys import ledger_dir
from yizhi.ledger.merkle import MemoryTree, verify_consistency, verify_inclusion
from yizhi.ledger.models import LedgerCheckpoint
from yizhi.ledger.note import open_checkpoint, parse_vkey
from yizhi.ledger.receipt import ReceiptError, verify_receipt
from yizhi.ledger.settings import reset_ledger_settings_cache


def _fill(make_session, count, start=0):
    with make_session() as session, session.begin():
        return ledger.record_many(session, [ledger.Event("test.event", f"item:{i}", {"i": i}) for i in range(start, start + count)])


def test_proofs_from_storage_equal_the_in_memory_tree(make_session):
    entries = _fill(make_session, 70)
    tree = MemoryTree(SHA256)
    for entry in entries:
        tree.append_leaf_hash(entry.leaf_hash)
    with make_session() as session:
        for size in (1, 2, 31, 32, 33, 64, 70):
            for index in {0, size // 2, size - 1}:
                proof = service.inclusion_proof(session, index, size)
                assert proof["audit_path"] == [h.hex() for h in tree.inclusion_proof(index, size)]
                verify_inclusion(SHA256, index, size, bytes.fromhex(proof["leaf_hash"]),
                                 [bytes.fromhex(h) for h in proof["audit_path"]], tree.root(size))
            for old in (0, 1, size // 3, size):
                proof = service.consistency_proof(session, old, size)
                verify_consistency(SHA256, old, size, tree.root(old), tree.root(size), [bytes.fromhex(h) for h in proof["proof"]])
        with pytest.raises(service.LedgerError, match="index 70"):
            service.inclusion_proof(session, 70)
        with pytest.raises(service.LedgerError, match="first <= second"):
            service.consistency_proof(session, 5, 71)


def test_checkpoints_every_n_entries_and_on_demand(make_session, monkeypatch):
    monkeypatch.setenv("YIZHI_LEDGER_CHECKPOINT_EVERY", "10")
    monkeypatch.setenv("YIZHI_LEDGER_CHECKPOINT_SECONDS", "3600")
    reset_ledger_settings_cache()
    for i in range(25):
        with make_session() as session, session.begin():
            ledger.record(session, "test.event", f"item:{i}", {"i": i})
    with make_session() as session, session.begin():
        sizes = list(session.scalars(select(LedgerCheckpoint.tree_size).order_by(LedgerCheckpoint.tree_size)))
        assert sizes == [1, 11, 21]  # the first entry, then every 10
        latest = service.make_checkpoint(session)
        assert latest.tree_size == 25
        assert service.make_checkpoint(session).id == latest.id  # no growth, no new checkpoint
    vkey = (ledger_dir() / "platform.vkey").read_text().strip()
    checkpoint, _ = open_checkpoint(latest.note, parse_vkey(vkey))
    assert checkpoint.origin == "yizhi.test/ledger" and checkpoint.size == 25


def test_receipt_verifies_offline_and_detects_every_altered_part(make_session):
    _fill(make_session, 12)
    with make_session() as session, session.begin():
        receipt = service.receipt(session, 5)
        vkey = service.platform_verifier(session).vkey
    assert receipt["checkpoint"].split("\n")[1] == "12"
    text = json.dumps(receipt)
    key = parse_vkey(vkey)
    checkpoint, _ = verify_receipt(json.loads(text), key)
    assert checkpoint.size == 12

    def altered(change):
        copy = json.loads(text)
        change(copy)
        return copy

    cases = {
        "leaf": lambda r: r["entry"].__setitem__("leaf", r["entry"]["leaf"].replace('"i":5', '"i":6')),
        "index": lambda r: (r["entry"].__setitem__("index", 4), r["inclusion"].__setitem__("leaf_index", 4)),
        "path": lambda r: r["inclusion"]["audit_path"].__setitem__(0, "00" * 32),
        "size": lambda r: r["inclusion"].__setitem__("tree_size", 13),
        "checkpoint": lambda r: r.__setitem__("checkpoint", r["checkpoint"].replace("\n12\n", "\n13\n")),
        "hash": lambda r: r.__setitem__("hash", "sm3"),
    }
    for name, change in cases.items():
        with pytest.raises(ReceiptError):
            verify_receipt(altered(change), key)
        # and the failure is not a crash on some other field
    with pytest.raises(ReceiptError, match="format"):
        verify_receipt({"format": "x"}, key)
    with pytest.raises(ReceiptError, match="checkpoint"):
        from yizhi.ledger.note import generate_signer

        verify_receipt(json.loads(text), generate_signer("yizhi.test/ledger").verifier)


def test_receipt_signs_a_checkpoint_when_the_entry_is_newer_than_the_last(make_session, monkeypatch):
    monkeypatch.setenv("YIZHI_LEDGER_CHECKPOINT_EVERY", "1000")
    reset_ledger_settings_cache()
    _fill(make_session, 1)  # the first append signs size 1
    _fill(make_session, 2, start=1)
    with make_session() as session, session.begin():
        assert service.latest_checkpoint(session).tree_size == 1
        receipt = service.receipt(session, 2)
        count = session.scalar(select(func.count()).select_from(LedgerCheckpoint))
    assert receipt["inclusion"]["tree_size"] == 3 and count == 2


def test_sm3_log_with_sm2_key(make_session, monkeypatch):
    monkeypatch.setenv("YIZHI_LEDGER_HASH", "sm3")
    monkeypatch.setenv("YIZHI_LEDGER_SIGNATURE", "sm2")
    reset_ledger_settings_cache()
    _fill(make_session, 9)
    with make_session() as session, session.begin():
        receipt = service.receipt(session, 4)
        key = service.platform_verifier(session)
        report = service.verify_log(session)
    assert receipt["hash"] == "sm3" and key.kind == "sm2"
    verify_receipt(receipt, parse_vkey(key.vkey))
    assert report.ok, report.problems


def test_package_level_receipt_helper(make_session):
    with make_session() as session, session.begin():
        entry = ledger.record(session, "org.created", "org:3", {"org_id": 3})
    with make_session() as session, session.begin():
        receipt = ledger.receipt_for(session, entry.index)
        key = service.platform_verifier(session)
    assert receipt["entry"]["leaf"] == entry.leaf
    verify_receipt(receipt, key)


def test_verify_with_a_foreign_key_reports_every_checkpoint(make_session):
    from yizhi.ledger.note import generate_signer

    _fill(make_session, 5)
    with make_session() as session:
        report = service.verify_log(session, generate_signer("yizhi.test/ledger").verifier)
    assert not report.ok and all("not signed by any trusted key" in p.message for p in report.problems)
