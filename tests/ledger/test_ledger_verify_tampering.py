"""`verify` finds an altered, removed, reordered or inserted leaf and names the first bad index."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, select, update

from yizhi import ledger
from yizhi.ledger import service
from yizhi.ledger.hashing import SHA256
from yizhi.ledger.merkle import MemoryTree
from yizhi.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode, LedgerTreeHead
from yizhi.ledger.settings import reset_ledger_settings_cache

SIZE = 40


@pytest.fixture
def filled(make_session, monkeypatch):
    monkeypatch.setenv("YIZHI_LEDGER_CHECKPOINT_EVERY", "8")
    reset_ledger_settings_cache()
    for start in range(0, SIZE, 5):
        with make_session() as session, session.begin():
            ledger.record_many(session, [ledger.Event("test.event", f"item:{i}", {"i": i}) for i in range(start, start + 5)])
    return make_session


def _verify(make_session):
    with make_session() as session:
        return service.verify_log(session, chunk=7)  # small chunks exercise the chunk boundaries


def test_untouched_log_verifies(filled):
    report = _verify(filled)
    assert report.ok, report.problems
    # batches of 5, a checkpoint on the first batch and then once 8 or more entries arrived: 5, 15, 25, 35
    assert report.entries_checked == SIZE and report.checkpoints_checked == 4


@pytest.mark.parametrize("victim", [0, 13, SIZE - 1])
def test_altered_leaf_text(filled, victim):
    with filled() as session, session.begin():
        session.execute(update(LedgerEntry).where(LedgerEntry.index == victim)
                        .values(leaf=LedgerEntry.leaf.op("||")(" ")))
    report = _verify(filled)
    assert not report.ok and report.first_bad_index == victim


@pytest.mark.parametrize("victim", [3, 22])
def test_altered_leaf_with_its_hash_rewritten_too(filled, victim):
    with filled() as session, session.begin():
        leaf = session.get(LedgerEntry, victim).leaf.replace(f'"i":{victim}', '"i":999')
        session.execute(update(LedgerEntry).where(LedgerEntry.index == victim).values(leaf=leaf, leaf_hash=SHA256.leaf(leaf.encode())))
    report = _verify(filled)
    assert report.first_bad_index == victim


def test_removed_leaf(filled):
    with filled() as session, session.begin():
        session.execute(delete(LedgerEntry).where(LedgerEntry.index == 17))
    report = _verify(filled)
    assert report.first_bad_index == 17


def test_removed_leaf_with_later_ones_renumbered(filled):
    with filled() as session, session.begin():
        session.execute(delete(LedgerEntry).where(LedgerEntry.index == 17))
        for index in range(18, SIZE):
            session.execute(update(LedgerEntry).where(LedgerEntry.index == index).values(index=index - 1))
    assert _verify(filled).first_bad_index == 17


def test_reordered_leaves(filled):
    with filled() as session, session.begin():
        a, b = session.get(LedgerEntry, 9), session.get(LedgerEntry, 30)
        leaves = (a.leaf, a.leaf_hash, b.leaf, b.leaf_hash)
        a.leaf, a.leaf_hash, b.leaf, b.leaf_hash = leaves[2], leaves[3], leaves[0], leaves[1]
    assert _verify(filled).first_bad_index == 9


def test_inserted_leaf(filled):
    with filled() as session, session.begin():
        for index in range(SIZE - 1, 11, -1):
            session.execute(update(LedgerEntry).where(LedgerEntry.index == index).values(index=index + 1))
        leaf = '{"actor":null,"data":{"i":-1},"kind":"test.event","org":null,"subject":"item:x","time":"2026-01-01T00:00:00.000Z"}'
        session.add(LedgerEntry(index=12, kind="test.event", subject="item:x", recorded_at=session.get(LedgerEntry, 0).recorded_at,
                                leaf=leaf, leaf_hash=SHA256.leaf(leaf.encode())))
    assert _verify(filled).first_bad_index == 12


def test_full_rewrite_of_leaves_nodes_and_head_is_caught_by_the_signed_checkpoints(filled):
    """An insider rewrites entry 20 and recomputes every stored hash; only the signatures remain."""
    with filled() as session, session.begin():
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.index)).scalars().all()
        tree = MemoryTree(SHA256)
        for row in rows:
            if row.index == 20:
                row.leaf = row.leaf.replace('"i":20', '"i":2000')
                row.leaf_hash = SHA256.leaf(row.leaf.encode())
            tree.append_leaf_hash(row.leaf_hash)
        session.execute(delete(LedgerNode))
        session.execute(LedgerNode.__table__.insert(), [{"level": l, "idx": i, "hash": h} for (l, i), h in tree.nodes.items()])
        session.execute(update(LedgerTreeHead).values(root_hash=tree.root()))
        sizes = list(session.scalars(select(LedgerCheckpoint.tree_size).order_by(LedgerCheckpoint.tree_size)))
    report = _verify(filled)
    assert not report.ok
    last_good = max(s for s in sizes if s <= 20)
    # Localised to the span between the last checkpoint that still matches and the first that does not.
    assert report.first_bad_index == last_good
    assert any("do not reproduce the signed checkpoint" in p.message for p in report.problems)


def test_forged_checkpoint_signature(filled):
    with filled() as session, session.begin():
        checkpoint = session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size)).first()
        lines = checkpoint.note.split("\n")
        lines[1] = str(int(lines[1]) + 1)
        checkpoint.note = "\n".join(lines)
    report = _verify(filled)
    assert not report.ok and any("does not verify" in p.message for p in report.problems)


def test_random_single_tamperings_are_always_found(filled):
    rng = random.Random(20261122)
    with filled() as session:
        originals = {e.index: (e.leaf, e.leaf_hash) for e in session.scalars(select(LedgerEntry))}
    for _ in range(8):
        victim = rng.randrange(SIZE)
        with filled() as session, session.begin():
            leaf = originals[victim][0]
            position = rng.randrange(len(leaf))
            changed = leaf[:position] + chr((ord(leaf[position]) % 90) + 33) + leaf[position + 1 :]
            if changed == leaf:
                continue
            session.execute(update(LedgerEntry).where(LedgerEntry.index == victim).values(leaf=changed))
        assert _verify(filled).first_bad_index == victim
        with filled() as session, session.begin():
            session.execute(update(LedgerEntry).where(LedgerEntry.index == victim).values(leaf=originals[victim][0]))
        assert _verify(filled).ok


@pytest.mark.parametrize("column, value", [
    ("kind", "test.forged"), ("org", "other-hospital"), ("actor", "person:999"), ("subject", "item:999"),
])
def test_edited_lookup_column_is_found_against_its_leaf(filled, column, value):
    """Pages, filters and the event history read these columns: an edit there is tampering too
    (issue 17, item 12), even though the leaf and every hash are untouched."""
    with filled() as session, session.begin():
        session.execute(update(LedgerEntry).where(LedgerEntry.index == 17).values({column: value}))
    report = _verify(filled)
    assert not report.ok
    assert report.first_bad_index == 17
    assert column in report.problems[0].message


def test_edited_recorded_at_is_found_against_its_leaf(filled):
    from datetime import timedelta

    with filled() as session, session.begin():
        entry = session.get(LedgerEntry, 23)
        entry.recorded_at = entry.recorded_at - timedelta(days=3)
    report = _verify(filled)
    assert report.first_bad_index == 23 and "recorded_at" in report.problems[0].message
