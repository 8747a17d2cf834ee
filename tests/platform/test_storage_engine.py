"""The content-addressed store and the local engine."""

import io

import pytest

from yizhi import engine, storage
from yizhi.errors import PayloadTooLarge, ValidationFailed

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def test_store_is_content_addressed_and_idempotent():
    digest = storage.put_bytes("入院记录".encode())
    assert digest == storage.put_bytes("入院记录".encode())
    with storage.open_file(digest) as handle:
        assert handle.read().decode() == "入院记录"
    assert storage.path_for(digest).parent.parent.name == digest[:2]


def test_oversized_upload_leaves_nothing_behind():
    before = sorted(p.name for p in storage.root().rglob("*"))
    with pytest.raises(PayloadTooLarge):
        storage.put_stream(io.BytesIO(b"x" * 5000), max_bytes=1000)
    assert sorted(p.name for p in storage.root().rglob("*")) == before


def test_bad_digest_is_refused():
    with pytest.raises(ValidationFailed):
        storage.path_for("../../etc/passwd")


def test_local_engine_keeps_order_across_processes():
    import math

    # Functions must be importable in the worker processes (forkserver), as the engine's are.
    assert list(engine.map_parallel(math.factorial, range(50), workers=2)) == [math.factorial(x) for x in range(50)]
    assert list(engine.map_parallel(math.factorial, [3], workers=1)) == [6]
