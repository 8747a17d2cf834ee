"""Resumable uploads: interrupted and resumed at the server's offset, sha256 checked, limits,
the raw store readable by the owning hospital only, and the retention purge."""

import hashlib
import os
from datetime import timedelta

import pytest

from catalog_helpers import LABS_CSV, PROFILE, org
from yizhi.catalog import uploads
from yizhi.catalog.models import Upload, UploadState

DATA = os.urandom(300_000)


def _start(client, size=len(DATA), **extra):
    response = client.post("/api/v1/datasets/uploads", json={"name": "scan.zip", "size": size, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def _put(client, upload_id, start, chunk, total=len(DATA), end=None):
    end = start + len(chunk) - 1 if end is None else end
    return client.put(f"/api/v1/datasets/uploads/{upload_id}", content=chunk,
                      headers={"Content-Range": f"bytes {start}-{end}/{total}"})


def test_interrupted_upload_resumes_from_the_offset(api, cast):
    first = api(cast.owner)
    upload = _start(first, sha256=hashlib.sha256(DATA).hexdigest())
    assert upload["offset"] == 0
    assert _put(first, upload["id"], 0, DATA[:100_000]).json()["offset"] == 100_000
    # the connection drops in the middle of the next chunk: the server got fewer bytes than announced
    broken = _put(first, upload["id"], 100_000, DATA[100_000:150_000], end=199_999)
    assert broken.status_code == 422 and "Content-Range" in broken.json()["error"]["message"]
    # a new connection (another client of the same hospital) asks where to resume
    second = api(cast.colleague)
    offset = second.get(f"/api/v1/datasets/uploads/{upload['id']}").json()["offset"]
    assert offset == 100_000
    wrong_place = _put(second, upload["id"], 0, DATA[:10])
    assert wrong_place.status_code == 409 and "continues at byte 100000" in wrong_place.json()["error"]["message"]
    assert _put(second, upload["id"], offset, DATA[offset:]).json()["offset"] == len(DATA)
    done = second.post(f"/api/v1/datasets/uploads/{upload['id']}/complete")
    assert done.status_code == 200 and done.json()["state"] == "stored"
    assert done.json()["sha256"] == hashlib.sha256(DATA).hexdigest()
    raw = second.get(f"/api/v1/datasets/uploads/{upload['id']}/raw")
    assert raw.status_code == 200 and raw.content == DATA


def test_a_wrong_sha256_resets_the_upload(api, cast):
    client = api(cast.owner)
    upload = _start(client, sha256="0" * 64)
    _put(client, upload["id"], 0, DATA)
    refused = client.post(f"/api/v1/datasets/uploads/{upload['id']}/complete")
    assert refused.status_code == 422 and "sha256" in refused.json()["error"]["message"]
    after = client.get(f"/api/v1/datasets/uploads/{upload['id']}").json()
    assert (after["offset"], after["state"]) == (0, "receiving")


def test_limits_and_bad_ranges(api, cast, monkeypatch):
    client = api(cast.owner)
    monkeypatch.setenv("YIZHI_UPLOAD_CHUNK_MAX_MB", "1")
    big = os.urandom(1024 * 1024 + 1)
    upload = _start(client, size=len(big))
    too_big = _put(client, upload["id"], 0, big, total=len(big))
    assert too_big.status_code == 413
    assert client.get(f"/api/v1/datasets/uploads/{upload['id']}").json()["offset"] == 0
    for header in ["bytes 0-9", "bytes 9-0/10", "items 0-9/10", "bytes 0-20/10"]:
        bad = client.put(f"/api/v1/datasets/uploads/{upload['id']}", content=b"x" * 10,
                         headers={"Content-Range": header})
        assert bad.status_code == 422, header
    monkeypatch.setenv("YIZHI_UPLOAD_MAX_GB", "0.001")
    assert client.post("/api/v1/datasets/uploads", json={"name": "x.csv", "size": 2 * 1024**2}).status_code == 413
    for name in ["../etc/passwd", "a/b.csv", "", "x\x00.csv"]:
        assert client.post("/api/v1/datasets/uploads", json={"name": name or " ", "size": 1}).status_code == 422
    early = _start(client, size=10)
    assert client.post(f"/api/v1/datasets/uploads/{early['id']}/complete").status_code == 409


def test_raw_files_are_never_readable_by_others(api, cast):
    owner = api(cast.owner)
    upload = _start(owner, size=5)
    _put(owner, upload["id"], 0, b"hello", total=5)
    owner.post(f"/api/v1/datasets/uploads/{upload['id']}/complete")
    for member in (cast.outsider, cast.company, cast.admin):
        client = api(member)
        for method, suffix in [("GET", ""), ("GET", "/raw"), ("POST", "/complete")]:
            response = client.request(method, f"/api/v1/datasets/uploads/{upload['id']}{suffix}")
            assert response.status_code == 404, (member.email, suffix, response.status_code)
        assert _put(client, upload["id"], 0, b"x", total=5).status_code == 404
    assert api(cast.company).post("/api/v1/datasets/uploads", json={"name": "x.csv", "size": 1,
                                                                    "org": "company"}).status_code == 403
    assert api().get(f"/api/v1/datasets/uploads/{upload['id']}/raw").status_code == 401


def test_retention_purges_old_raw_files_unless_a_build_needs_them(db, cast, monkeypatch):
    import io

    from yizhi.catalog.models import DatasetVersion, VersionState
    from yizhi.db import utcnow

    owner = org(db, "hospital")
    old = uploads.store_stream(db, owner, "old.csv", io.BytesIO(b"old,data\n1,2\n"), created_by_id=None)
    needed = uploads.store_stream(db, owner, "needed.csv", io.BytesIO(b"needed\n1\n"), created_by_id=None)
    fresh = uploads.store_stream(db, owner, "fresh.csv", io.BytesIO(b"fresh\n1\n"), created_by_id=None)
    partial = uploads.start_upload(db, owner, "part.bin", 100, created_by_id=None)
    for upload in (old, needed):
        upload.stored_at = utcnow() - timedelta(days=91)
    partial.updated_at = utcnow() - timedelta(days=8)
    from yizhi.catalog import service
    dataset = service.create_dataset(db, None, owner, "building-one", "b")
    db.add(DatasetVersion(dataset_id=dataset.id, number=1, state=VersionState.building,
                          sources=[{"name": "needed.csv", "sha256": needed.sha256, "bytes": 9}]))
    db.commit()
    result = uploads.purge_expired(db)
    db.commit()
    assert result == {"purged": 1, "kept_for_builds": 1, "abandoned_partials": 1}
    assert db.get(Upload, old.id).state == UploadState.purged
    assert not uploads.storage.path_for(old.sha256).exists()
    assert uploads.raw_path(db.get(Upload, needed.id)).exists()
    assert uploads.raw_path(db.get(Upload, fresh.id)).exists()
    assert not uploads.part_path(partial).exists()
    with pytest.raises(Exception, match="purged after the retention period"):
        uploads.raw_path(db.get(Upload, old.id))


def test_purge_is_a_periodic_job():
    from yizhi.jobs import service as jobs

    jobs.load_handlers()
    assert "catalog.purge_raw" in jobs._PERIODIC and "catalog.ingest" in jobs._HANDLERS


def test_upload_then_ingest_through_the_api(api, cast):
    client = api(cast.owner)
    body = LABS_CSV.encode()
    upload = client.post("/api/v1/datasets/uploads", json={"name": "labs.csv", "size": len(body)}).json()
    _put(client, upload["id"], 0, body, total=len(body))
    client.post(f"/api/v1/datasets/uploads/{upload['id']}/complete")
    assert client.post("/api/v1/datasets", json={"slug": "api-dm", "title": "API DM", "template": "t2dm-emr"}
                       ).status_code == 201
    started = client.post("/api/v1/datasets/api-dm/versions", json={"uploads": [upload["id"]], "profile": PROFILE})
    assert started.status_code == 202 and started.json()["ref"] == "api-dm@1"
    from catalog_helpers import run_jobs
    run_jobs()
    version = client.get("/api/v1/datasets/api-dm/versions/1").json()
    assert version["state"] == "ready" and version["tables"]["labs"]["rows"] == 4
    assert "inclusion_criteria" in version["missing_card_fields"]
