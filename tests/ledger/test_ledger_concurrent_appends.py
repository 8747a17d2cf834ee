"""Concurrent appends from threads and from processes: every index exactly once, root consistent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from yizhi import ledger
from yizhi.db import make_engine
from yizhi.ledger.hashing import SHA256
from yizhi.ledger.merkle import MemoryTree
from yizhi.ledger.models import LedgerEntry, LedgerNode, LedgerTreeHead

WORKERS = 4
APPENDS_EACH = 15


def _append_from_worker(url: str, worker: int, count: int) -> list[int]:
    engine = make_engine(url)
    factory = sessionmaker(bind=engine)
    indexes = []
    try:
        for n in range(count):
            with factory() as session, session.begin():
                # read something first, as a real caller would, before recording
                session.execute(select(LedgerTreeHead.size)).all()
                entry = ledger.record(session, "test.append", f"worker:{worker}", {"n": n})
                indexes.append(entry.index)
    finally:
        engine.dispose()
    return indexes


# The same loop, run in separate interpreters (a spawned child cannot import this test module).
PROCESS_SCRIPT = """
import json, sys
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from yizhi import ledger
from yizhi.db import make_engine
from yizhi.ledger.models import LedgerTreeHead
url, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
engine = make_engine(url)
factory = sessionmaker(bind=engine)
indexes = []
for n in range(count):
    with factory() as session, session.begin():
        session.execute(select(LedgerTreeHead.size)).all()
        indexes.append(ledger.record(session, "test.append", f"worker:{worker}", {"n": n}).index)
print(json.dumps(indexes))
"""


def _check_log(url: str, expected: int, returned: list[int]) -> None:
    assert sorted(returned) == list(range(expected)), "an index was lost or given twice"
    engine = make_engine(url)
    with sessionmaker(bind=engine)() as session:
        rows = session.execute(select(LedgerEntry.index, LedgerEntry.leaf).order_by(LedgerEntry.index)).all()
        head = session.get(LedgerTreeHead, 1)
        stored_nodes = {(n.level, n.index): n.hash for n in session.scalars(select(LedgerNode))}
    engine.dispose()
    assert [r.index for r in rows] == list(range(expected))
    tree = MemoryTree(SHA256)
    for row in rows:
        tree.append(row.leaf.encode())
    assert head.size == expected and head.root_hash == tree.root()
    assert stored_nodes == tree.nodes, "stored subtree hashes differ from a recomputation"


def test_threads_append_without_losing_or_duplicating(ledger_url):
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run(worker):
        try:
            results.append(_append_from_worker(ledger_url, worker, APPENDS_EACH))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    _check_log(ledger_url, WORKERS * APPENDS_EACH, [i for chunk in results for i in chunk])


def test_processes_append_without_losing_or_duplicating(ledger_url):
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_SCRIPT, ledger_url, str(w), str(APPENDS_EACH)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for w in range(WORKERS)
    ]
    returned: list[int] = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        returned.extend(json.loads(out))
    _check_log(ledger_url, WORKERS * APPENDS_EACH, returned)
