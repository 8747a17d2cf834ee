"""Checked files under the user's cache folder, shared by the caches of compiled Hyperscan databases
(hs_cache.py) and of word lists built from installed packages (word_cache.py).

The folder is ``$YIZHI_CACHE_DIR``, else ``$XDG_CACHE_HOME``, else ``~/.cache``, then ``yizhi/<kind>``.
A file is its body, a newline and the body's SHA-256 in hex: a damaged or partly written file reads
as missing, and is written to a temporary name and renamed, so readers see the whole file or none.
Any error reading or writing only means the caller builds its value again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def cache_directory(kind: str) -> Path:
    root = os.environ.get("YIZHI_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "yizhi" / kind


def read_checked(path: Path) -> bytes | None:
    """The body of a file written by ``write_checked``; None when it is missing or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    body, _, digest = data.rpartition(b"\n")  # (the hex digest holds no newline, the body may)
    if not body or hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    return body


def write_checked(path: Path, body: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body + b"\n" + hashlib.sha256(body).hexdigest().encode())
        os.replace(name, path)
    except OSError:
        Path(name).unlink(missing_ok=True)
