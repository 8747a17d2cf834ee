"""The local engine: a warm pool that keeps order, applies back-pressure and survives a dead worker."""

from __future__ import annotations

import itertools
import os
import signal
import threading

from yizhi.engine import local, map_parallel
from yizhi.engine.testing import pid_of_square, square

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def test_results_come_back_in_input_order():
    assert list(map_parallel(square, range(200), workers=2, chunksize=7)) == [x * x for x in range(200)]


def test_pool_stays_warm_between_calls():
    first = {pid for _, pid in map_parallel(pid_of_square, range(40), workers=2, chunksize=1)}
    second = {pid for _, pid in map_parallel(pid_of_square, range(40), workers=2, chunksize=1)}
    assert first & second, "the second call started new processes instead of reusing the warm pool"
    assert os.getpid() not in first


def test_items_are_read_as_results_are_taken_not_all_at_once():
    consumed = itertools.count()

    def items():
        for value in range(10_000_000):
            next(consumed)
            yield value

    results = map_parallel(square, items(), workers=2, chunksize=5)
    taken = list(itertools.islice(results, 10))
    results.close()
    assert taken == [x * x for x in range(10)]
    # in flight: workers * IN_FLIGHT_PER_WORKER chunks of 5, plus the one being cut
    assert next(consumed) <= 2 * local.IN_FLIGHT_PER_WORKER * 5 + 5


def test_a_killed_pool_process_does_not_lose_items():
    killed = threading.Event()
    results = []
    for value, pid in map_parallel(pid_of_square, range(300), workers=2, chunksize=3):
        results.append(value)
        if len(results) == 30 and not killed.is_set():
            os.kill(pid, signal.SIGKILL)
            killed.set()
    assert killed.is_set()
    assert results == [x * x for x in range(300)]


def test_one_worker_runs_in_this_process():
    assert {pid for _, pid in map_parallel(pid_of_square, range(3), workers=1)} == {os.getpid()}
