"""The store's settings: a shared folder as the store, options checked, the default untouched."""

from __future__ import annotations

import pytest

from yizhi import storage
from yizhi.config import reset_settings_cache
from yizhi.errors import ValidationFailed

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


@pytest.fixture
def settings(monkeypatch):
    def apply(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"YIZHI_{name.upper()}", value)
        reset_settings_cache()

    yield apply
    reset_settings_cache()


def test_a_shared_folder_is_a_store(settings, tmp_path):
    settings(storage_url=str(tmp_path / "shared"))
    digest = storage.put_bytes(b"CT slice")
    assert (tmp_path / "shared" / digest[:2] / digest[2:4] / digest).read_bytes() == b"CT slice"
    assert storage.path_for(digest) == tmp_path / "shared" / digest[:2] / digest[2:4] / digest
    assert storage.url_for(digest) == str(storage.path_for(digest))


def test_storage_options_must_be_a_json_object(settings):
    settings(storage_url="s3://bucket/yizhi", storage_options="{endpoint_url: nope}")
    with pytest.raises(ValidationFailed, match="YIZHI_STORAGE_OPTIONS is not valid JSON"):
        storage.filesystem("s3://bucket/yizhi/x")
    settings(storage_url="s3://bucket/yizhi", storage_options="[1, 2]")
    with pytest.raises(ValidationFailed, match="must be a JSON object"):
        storage.filesystem("s3://bucket/yizhi/x")


def test_options_apply_only_to_the_stores_protocol(settings, tmp_path):
    settings(storage_url="s3://bucket/yizhi", storage_options='{"endpoint_url": "http://127.0.0.1:1"}')
    fs, path = storage.filesystem(str(tmp_path / "notes.jsonl"))  # a local input stays local
    assert path == str(tmp_path / "notes.jsonl") and "file" in fs.protocol
