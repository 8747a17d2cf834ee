"""Record functions for the engine's tests and benchmark (importable by name on every worker, which a
function defined in a test module is not)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def tag_records(records: list[dict], params: dict) -> list[dict]:
    """Each record with ``seen_by`` (a marker, not the pid: outputs must not depend on the worker).
    With ``pid_dir``, leaves a file named after this process and the first record's id, then sleeps
    ``sleep`` seconds, so a test can find a busy worker and kill it."""
    if params.get("pid_dir") and records:
        Path(params["pid_dir"], f"{os.getpid()}-{records[0].get('id')}").touch()
        time.sleep(float(params.get("sleep", 0)))
    return [{**record, "seen_by": params.get("marker", "engine")} for record in records]


def square(value: int) -> int:
    return value * value


def pid_of_square(value: int) -> tuple[int, int]:
    time.sleep(0.01)
    return value * value, os.getpid()


def spin(n: int) -> int:
    """CPU only (benchmarks: how much CPU the pool's processes get)."""
    total = 0
    for i in range(n):
        total += i * i
    return total
