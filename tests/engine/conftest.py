"""A local Ray instance for the engine's tests: bound to 127.0.0.1, no dashboard, usage stats off, a
small object store. Started once per session, only by tests that ask for ``ray_engine``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import json

from yizhi import storage
from yizhi.config import reset_settings_cache

SRC = str(Path(__file__).resolve().parents[2] / "src")
# Read by Ray when it is imported: single-node mode, every Ray process listening on 127.0.0.1 only
# (without it Ray swaps 127.0.0.1 for the machine's address and its servers listen on every interface).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"


@pytest.fixture(scope="session")
def ray_instance():
    ray = pytest.importorskip("ray", reason="the cluster extra (ray) is not installed: pip install -e '.[cluster]'")
    # Worker processes inherit this environment: they import yizhi from this checkout.
    os.environ["PYTHONPATH"] = os.pathsep.join([SRC, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=96 * 1024 * 1024,
             _node_ip_address="127.0.0.1", log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def ray_engine(ray_instance, monkeypatch):
    """YIZHI_ENGINE=ray for one test, on the session's Ray instance."""
    monkeypatch.setenv("YIZHI_ENGINE", "ray")
    reset_settings_cache()
    yield ray_instance
    monkeypatch.delenv("YIZHI_ENGINE")
    reset_settings_cache()


@pytest.fixture
def notes_file(tmp_path) -> Path:
    """Notes in English and Chinese with identifiers, one JSON object a line (ids kept)."""
    lines = []
    for i in range(48):
        if i % 2:
            text = f"患者张{'三四五六'[i % 4]}，男，{30 + i}岁，于2024年3月{1 + i % 28}日入院，电话13812345{i:03d}，住北京市朝阳区。"
        else:
            text = (f"Patient John Smith{i} (MRN {100000 + i}) was seen by Dr. Alice Wong on 03/{1 + i % 28}/2024 "
                    f"at Boston General Hospital; call 617-555-{i:04d}.")
        lines.append({"id": f"note-{i:03d}", "patient_id": f"p{i % 7}", "text": text})
    import json

    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def s3_endpoint():
    server_module = pytest.importorskip("moto.server", reason="moto (test extra) is not installed")
    pytest.importorskip("s3fs", reason="s3fs (cluster extra) is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_store(s3_endpoint, monkeypatch):
    options = {"endpoint_url": s3_endpoint, "key": "testing", "secret": "testing"}
    monkeypatch.setenv("YIZHI_STORAGE_URL", "s3://yizhi-test/store")
    monkeypatch.setenv("YIZHI_STORAGE_OPTIONS", json.dumps(options))
    reset_settings_cache()
    fs, _ = storage.filesystem("s3://yizhi-test")
    if not fs.exists("yizhi-test"):
        fs.mkdir("yizhi-test")
    yield fs
    monkeypatch.delenv("YIZHI_STORAGE_URL")
    monkeypatch.delenv("YIZHI_STORAGE_OPTIONS")
    reset_settings_cache()
