"""Object storage through fsspec: moto's standalone S3 server on 127.0.0.1 stands in for S3 (or
MinIO). The local filesystem stays the default (tests/platform/test_storage_engine.py)."""

from __future__ import annotations

import json

import pytest

from yizhi import storage
from yizhi.config import get_settings, reset_settings_cache
from yizhi.engine import run_records
from yizhi.engine.testing import tag_records

pytestmark = [pytest.mark.slow, pytest.mark.db_independent]


def test_the_store_keeps_objects_in_s3(s3_store):
    digest = storage.put_bytes("出院小结".encode())
    assert s3_store.cat_file(f"yizhi-test/store/{digest[:2]}/{digest[2:4]}/{digest}") == "出院小结".encode()
    assert storage.exists(digest) and storage.url_for(digest).startswith("s3://yizhi-test/store/")
    with storage.open_file(digest) as handle:
        assert handle.read().decode() == "出院小结"
    cached = storage.path_for(digest)  # callers that need a local path get a cached copy
    assert cached.read_bytes() == "出院小结".encode()
    assert not (get_settings().resolved_data_dir() / "files" / digest[:2] / digest[2:4] / digest).exists()


def _notes(count: int) -> bytes:
    return "".join(json.dumps({"id": i, "text": f"note {i}"}) + "\n" for i in range(count)).encode()


def test_record_work_reads_and_writes_s3(s3_store, tmp_path):
    s3_store.pipe_file("yizhi-test/in/notes.jsonl", _notes(300))
    manifest = run_records(tag_records, "s3://yizhi-test/in/notes.jsonl", "s3://yizhi-test/out-local",
                           engine="local", workers=2, partition_bytes=2048)
    names = sorted(s3_store.ls("yizhi-test/out-local", detail=False, refresh=True))
    assert [n.rsplit("/", 1)[1] for n in names] == sorted([e["name"] for e in manifest["parts"]] + ["_manifest.json"])
    (tmp_path / "notes.jsonl").write_bytes(_notes(300))
    on_disk = run_records(tag_records, str(tmp_path / "notes.jsonl"), str(tmp_path / "out"), engine="local",
                          workers=1, partition_bytes=2048)
    assert [e["sha256"] for e in manifest["parts"]] == [e["sha256"] for e in on_disk["parts"]]


def test_ray_workers_use_the_platforms_store(ray_engine, s3_store):
    s3_store.pipe_file("yizhi-test/in/ray.jsonl", _notes(200))
    manifest = run_records(tag_records, "s3://yizhi-test/in/ray.jsonl", "s3://yizhi-test/out-ray",
                           partition_bytes=2048)
    lines = b"".join(s3_store.cat_file(f"yizhi-test/out-ray/{e['name']}") for e in manifest["parts"]).splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(200))
