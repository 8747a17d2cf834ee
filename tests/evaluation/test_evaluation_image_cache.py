"""The prepared DICOM inputs' cache (issue 15): held to YIZHI_EVALUATION_IMAGE_CACHE_MB, least recently
used first; a read marks an entry used; the entry just built and the tensors returned stay whole."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import numpy as np
import pytest

from yizhi.evaluation import images
from yizhi.evaluation.settings import reset_evaluation_settings_cache

CASES = 100_000  # float32: 400 KB an entry, so a 1 MiB cap holds two


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The cache in a folder of its own, capped at 1 MiB; preparation counted instead of reading DICOM."""
    monkeypatch.setattr(images, "cache_dir", lambda: tmp_path)
    monkeypatch.setenv("YIZHI_EVALUATION_IMAGE_CACHE_MB", "1")
    reset_evaluation_settings_cache()
    built = []

    def prepare(contract, version_dir):
        built.append(contract.table)
        return {"X": np.full(CASES, len(built), dtype=np.float32), "rows": np.arange(3), "aggregates": {"series": 3}}

    monkeypatch.setattr(images, "prepare", prepare)
    yield SimpleNamespace(folder=tmp_path, built=built)
    monkeypatch.delenv("YIZHI_EVALUATION_IMAGE_CACHE_MB")
    reset_evaluation_settings_cache()


def _contract(table: str):
    return SimpleNamespace(table=table, image={"link": "patient"}, input_shape=[-1, 1, 8, 8],
                           input_dtype="float32", reference="label")


def _entry(folder, table: str):
    return folder / f"{images.cache_key(_contract(table), 'root')}.npz"


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_least_recently_used_entry_goes_when_a_new_one_passes_the_cap(cache):
    first = images.prepared(_contract("a"), cache.folder, "root")
    images.prepared(_contract("b"), cache.folder, "root")
    a, b = _entry(cache.folder, "a"), _entry(cache.folder, "b")
    _age(a, 100)
    _age(b, 50)
    again = images.prepared(_contract("a"), cache.folder, "root")  # a read: a is now the most recent
    assert cache.built == ["a", "b"] and np.array_equal(again["X"], first["X"])
    images.prepared(_contract("c"), cache.folder, "root")
    assert a.exists() and _entry(cache.folder, "c").exists()
    assert not b.exists()
    assert images.prepared(_contract("b"), cache.folder, "root")["aggregates"] == {"series": 3}  # built again
    assert cache.built == ["a", "b", "c", "b"]


def test_the_entry_just_built_stays_even_when_it_alone_passes_the_cap(cache, monkeypatch):
    monkeypatch.setenv("YIZHI_EVALUATION_IMAGE_CACHE_MB", "0")
    reset_evaluation_settings_cache()
    images.prepared(_contract("a"), cache.folder, "root")
    images.prepared(_contract("b"), cache.folder, "root")
    assert not _entry(cache.folder, "a").exists() and _entry(cache.folder, "b").exists()


def test_half_written_entries_of_crashed_builds_go_and_a_fresh_one_stays(cache):
    stale, fresh = cache.folder / ".dead.123.npz", cache.folder / ".live.456.npz"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    _age(stale, images.PARTIAL_MAX_AGE_SECONDS + 60)
    assert images.trim_cache() == 1
    assert not stale.exists() and fresh.exists()
