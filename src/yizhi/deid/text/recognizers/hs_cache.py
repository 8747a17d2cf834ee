"""Compiled Hyperscan databases kept on disk between processes.

Compiling the pattern gates and the context anchors costs ~0.7 s of CPU in every process (the CLI,
each of its workers, the web server), as much as de-identifying 1 MB of notes; loading a compiled
database costs ~0.2 ms. So a database is compiled once per set of expressions and kept as
``<cache>/yizhi/hyperscan/<sha256 of the hyperscan version, expressions, ids and flags>.hsdb``, where
``<cache>`` is as in disk_cache.py. Hyperscan checks a loaded database's version and platform but not
its bytes, so each file ends with the SHA-256 of its contents, checked before loading (disk_cache.py):
a damaged or partly written file is compiled afresh. A cache that
cannot be read or written (read-only home, no home) only means compiling every time.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import hyperscan

from yizhi.deid.text.recognizers.disk_cache import cache_directory, read_checked, write_checked


def compiled(expressions: list[bytes], ids: list[int], flags: list[int]):
    """A block-mode ``hyperscan.Database`` of these expressions, from the cache or compiled (raises
    ``hyperscan.error`` as ``Database.compile`` does)."""
    key = hashlib.sha256(repr((hyperscan.__version__, expressions, ids, flags)).encode()).hexdigest()
    path = cache_directory("hyperscan") / f"{key}.hsdb"
    database = _load(path)
    if database is not None:
        return database
    database = hyperscan.Database()
    database.compile(expressions=expressions, ids=ids, flags=flags)
    write_checked(path, hyperscan.dumpb(database))
    return database


def _load(path: Path):
    body = read_checked(path)
    if body is None:
        return None
    try:
        database = hyperscan.loadb(body, hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)
    except hyperscan.error:  # (another Hyperscan build or platform)
        return None
    return database
