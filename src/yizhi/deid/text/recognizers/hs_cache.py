"""Compiled Hyperscan databases kept on disk between processes.

Compiling the pattern gates and the context anchors costs ~0.7 s of CPU in every process (the CLI,
each of its workers, the web server), as much as de-identifying 1 MB of notes; loading a compiled
database costs ~0.2 ms. So a database is compiled once per set of expressions and kept as
``<cache>/yizhi/hyperscan/<sha256 of the hyperscan version, expressions, ids and flags>.hsdb``, where
``<cache>`` is ``$YIZHI_CACHE_DIR``, else ``$XDG_CACHE_HOME``, else ``~/.cache``. Hyperscan checks a
loaded database's version and platform but not its bytes, so each file ends with the SHA-256 of its
contents, checked before loading: a damaged or partly written file is compiled afresh. A cache that
cannot be read or written (read-only home, no home) only means compiling every time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import hyperscan


def compiled(expressions: list[bytes], ids: list[int], flags: list[int]):
    """A block-mode ``hyperscan.Database`` of these expressions, from the cache or compiled (raises
    ``hyperscan.error`` as ``Database.compile`` does)."""
    key = hashlib.sha256(repr((hyperscan.__version__, expressions, ids, flags)).encode()).hexdigest()
    path = _directory() / f"{key}.hsdb"
    database = _load(path)
    if database is not None:
        return database
    database = hyperscan.Database()
    database.compile(expressions=expressions, ids=ids, flags=flags)
    _store(path, hyperscan.dumpb(database))
    return database


def _directory() -> Path:
    root = os.environ.get("YIZHI_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "yizhi" / "hyperscan"


def _load(path: Path):
    try:
        data = path.read_bytes()
    except OSError:
        return None
    body, digest = data[:-32], data[-32:]
    if len(data) <= 32 or hashlib.sha256(body).digest() != digest:
        return None
    try:
        database = hyperscan.loadb(body, hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)
    except hyperscan.error:  # (another Hyperscan build or platform)
        return None
    return database


def _store(path: Path, body: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body + hashlib.sha256(body).digest())
        os.replace(name, path)  # (readers see the whole file or none)
    except OSError:
        Path(name).unlink(missing_ok=True)
