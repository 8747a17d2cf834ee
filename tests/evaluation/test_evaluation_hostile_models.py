"""Hostile models are refused before anything executes them, with exit 2 (CLI) / 422 (API) and a
message saying why; the refused submission is kept (nothing lost) and is on the ledger."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluation_onnx_models import custom_domain_onnx, external_data_onnx, identity_like_onnx, memory_bomb_onnx, pickle_bytes
from yizhi.cli import app

HOSTILE = {
    "external_data": (lambda: external_data_onnx("/etc/passwd"), "external data (/etc/passwd)"),
    "custom_domain": (custom_domain_onnx, "com.evil"),
    "truncated": (lambda: identity_like_onnx(7)[:40], "not an ONNX model"),
    "pickle": (pickle_bytes, "pickle"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_refuses_with_exit_2(name, tmp_path, cast, benchmark):
    make, words = HOSTILE[name]
    path = tmp_path / "model.onnx"
    path.write_bytes(make())
    result = CliRunner().invoke(app, ["eval", "submit", benchmark, str(path), "--org", "company"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert words in error["message"], error
    refused_id = int(result.stderr.split()[1])
    again = CliRunner().invoke(app, ["eval", "report", str(refused_id), "--json"])
    assert again.exit_code == 2 and json.loads(again.stdout)["error"]["code"] == error["code"]


def test_api_refuses_external_data_with_422(api, cast, benchmark, db):
    from sqlalchemy import select

    from yizhi.evaluation.models import Submission, SubmissionState

    response = api(cast.company).post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions",
                                      files={"model": ("m.onnx", external_data_onnx())}, data={"org": "company"})
    assert response.status_code == 422
    assert "/etc/passwd" in response.json()["error"]["message"]
    kept = db.scalar(select(Submission))
    assert kept.state == SubmissionState.refused and kept.error_code == "external_data"


def test_memory_bomb_fails_cleanly(db, cast, benchmark):
    """A graph that allocates 256 GiB passes the static checks, then fails under the memory limit."""
    from yizhi.evaluation import service
    from yizhi.evaluation.models import SubmissionState
    from yizhi.evaluation.settings import reset_evaluation_settings_cache
    from yizhi.jobs.service import work_once
    import os

    os.environ["YIZHI_EVALUATION_MEMORY_MB"] = "1024"
    reset_evaluation_settings_cache()
    try:
        sub = service.submit(db, benchmark=service.get_benchmark(db, benchmark), org=service.org_by_slug(db, "company"),
                             model=memory_bomb_onnx())
        db.commit()
        assert sub.state == SubmissionState.queued
        assert work_once("test")
    finally:
        del os.environ["YIZHI_EVALUATION_MEMORY_MB"]
        reset_evaluation_settings_cache()
    db.expire_all()
    sub = service.get_submission(db, sub.id)
    assert sub.state == SubmissionState.failed and sub.error_code == "memory_limit"


def test_parity_mismatch_is_refused(tmp_path, cast, benchmark, pima_model):
    buffer = io.BytesIO()
    np.savez(buffer, inputs=np.ones((3, 7), np.float32), outputs=np.full((3, 2), 0.5, np.float32))
    model, parity = tmp_path / "m.onnx", tmp_path / "p.npz"
    model.write_bytes(pima_model)
    parity.write_bytes(buffer.getvalue())
    result = CliRunner().invoke(app, ["eval", "submit", benchmark, str(model), "--org", "company", "--parity",
                                      str(parity), "--queue-only"])
    assert result.exit_code == 2
    assert json.loads(result.stdout.strip().splitlines()[-1])["error"]["code"] == "parity_failed"


def test_parity_with_pickled_objects_is_refused(tmp_path, cast, benchmark, pima_model):
    buffer = io.BytesIO()
    np.savez(buffer, inputs=np.array([{"a": 1}], dtype=object), outputs=np.zeros(1))
    model, parity = tmp_path / "m.onnx", tmp_path / "p.npz"
    model.write_bytes(pima_model)
    parity.write_bytes(buffer.getvalue())
    result = CliRunner().invoke(app, ["eval", "submit", benchmark, str(model), "--org", "company", "--parity",
                                      str(parity), "--queue-only"])
    assert result.exit_code == 2
    assert "pickled" in json.loads(result.stdout.strip().splitlines()[-1])["error"]["message"]


def test_contract_errors_name_the_key():
    from yizhi.errors import ValidationFailed
    from yizhi.evaluation.contract import parse_contract

    from evaluation_data import TASK

    for broken, key in ((TASK.replace("task: binary_classification", "task: segmentation"), "task"),
                        (TASK.replace("shape: [null, 7]", "shape: [null, 5]"), "model.input.shape"),
                        (TASK.replace("metric: auroc", "metric: vibes"), "pass_criteria[0]"),
                        (TASK + "\nextra_key: 1\n", "extra_key"),
                        ("task: [unclosed", "task")):
        with pytest.raises(ValidationFailed) as caught:
            parse_contract(broken)
        assert caught.value.field == key, (key, caught.value.message)


def test_endless_model_is_stopped_at_the_timeout(db, cast, benchmark):
    """A standard-ops Loop of 2^50 trips passes the checks, then is killed at the wall-clock limit."""
    import os
    import time

    from evaluation_onnx_models import endless_loop_onnx
    from yizhi.evaluation import service
    from yizhi.evaluation.models import SubmissionState
    from yizhi.evaluation.settings import reset_evaluation_settings_cache
    from yizhi.jobs.service import work_once

    os.environ["YIZHI_EVALUATION_TIMEOUT_SECONDS"] = "5"
    reset_evaluation_settings_cache()
    try:
        sub = service.submit(db, benchmark=service.get_benchmark(db, benchmark), org=service.org_by_slug(db, "company"),
                             model=endless_loop_onnx())
        db.commit()
        assert sub.state == SubmissionState.queued
        started = time.monotonic()
        assert work_once("test")
        elapsed = time.monotonic() - started
    finally:
        del os.environ["YIZHI_EVALUATION_TIMEOUT_SECONDS"]
        reset_evaluation_settings_cache()
    db.expire_all()
    sub = service.get_submission(db, sub.id)
    assert sub.state == SubmissionState.failed and sub.error_code == "timeout", sub.error
    assert elapsed < 60


def test_model_sandbox_has_no_network_and_no_host_files(tmp_path):
    """The launch path every model run takes, with a hostile program in place of the model runner:
    a connection to a listener on the host's 127.0.0.1 fails and nothing arrives; the platform's data
    directory, keys and /root are not there."""
    import json
    import socket
    import threading

    from evaluation_onnx_models import NETWORK_PROBE
    from yizhi.config import get_settings
    from yizhi.evaluation.runner import Limits, run_in_sandbox

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(15)
    received = []

    def accept():
        try:
            connection, _ = listener.accept()
            received.append(connection.recv(100))
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    program = tmp_path / "probe.py"
    program.write_text(NETWORK_PROBE)
    data_dir = str(get_settings().resolved_data_dir())
    request = {"port": listener.getsockname()[1], "host_paths": [data_dir, "/root", "/etc/shadow", "/work"]}
    result = run_in_sandbox({"request.json": json.dumps(request).encode()}, None, Limits(timeout_seconds=30),
                            (program,), "probe.py")
    listener.close()
    thread.join()
    assert result.code == "probe", result
    assert result.template == "refused" and received == []
    assert result.params["seen"] == []


def test_no_sandbox_no_submission(api, cast, benchmark, db, monkeypatch, pima_model):
    """Without a working sandbox a model is refused as Tier B refuses jobs (503, the reason named),
    and no submission is taken in."""
    from sqlalchemy import func, select

    from yizhi.evaluation.models import Submission
    from yizhi.space import sandbox_check

    monkeypatch.setenv("YIZHI_SPACE_BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(sandbox_check, "_cache", {})
    response = api(cast.company).post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions",
                                      files={"model": ("m.onnx", pima_model)}, data={"org": "company"})
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "sandbox_unavailable" and "bubblewrap" in error["message"]
    assert db.scalar(select(func.count()).select_from(Submission)) == 0
    monkeypatch.setattr(sandbox_check, "_cache", {})
