"""A DICOM-series benchmark end to end through the CLI: synthetic CT series whose label is in the
pixels are ingested (de-identified) with a case table, a benchmark is created on them, a small ONNX
CNN is submitted, checked and scored in the Tier B sandbox, and its report holds the metrics, the
image aggregates of the card and the image robustness rows."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from evaluation_dicom import PROFILE, TASK, TARGET, centre_model, write_cases
from yizhi.cli import app
from yizhi.errors import YizhiError

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def dicom_version(tmp_path, cast, evaluator):
    """SLUG@1 of the evaluator: 64 series, 4 of the case rows without one in a second table."""
    folder = tmp_path / "in"
    made = write_cases(folder, n=64)
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    assert run("datasets", "create", "ct-centre", "--org", evaluator.slug, "--title", "CT").exit_code == 0
    ingested = run("datasets", "ingest", "ct-centre", folder / "dicom", folder / "cases.csv", "--profile", profile)
    assert ingested.exit_code == 0, ingested.output
    return {"ref": ingested.stdout.strip().splitlines()[-1], "labels": made["labels"]}


def _require_sandbox():
    from yizhi.space.sandbox_check import SandboxUnavailable
    from yizhi.evaluation.runner import require_sandbox

    try:
        require_sandbox()
    except SandboxUnavailable as exc:
        pytest.skip(f"the Tier B sandbox does not work here (bubblewrap?): {exc.params.get('reason')}")


def test_dicom_benchmark_submit_report(tmp_path, db, dicom_version, web, cast):
    from sklearn.metrics import roc_auc_score

    _require_sandbox()
    task = tmp_path / "task.yaml"
    task.write_text(TASK, encoding="utf-8")
    created = run("eval", "benchmark", "create", "ct-centre-bench", "--dataset", dicom_version["ref"],
                  "--task", task, "--org", "eval-center")
    assert created.exit_code == 0, created.output

    model = tmp_path / "centre.onnx"
    model.write_bytes(centre_model())
    submitted = run("eval", "submit", "ct-centre-bench", model, "--org", "company")
    assert submitted.exit_code == 0, submitted.output
    submission_id = int(submitted.stdout.strip().splitlines()[-1])
    shown = run("eval", "report", submission_id, "--json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)

    auroc = report["metrics"]["auroc"]
    assert auroc["ci"][0] <= auroc["value"] <= auroc["ci"][1]
    # the same model on the same de-identified pixels outside the platform gives the same AUROC
    from yizhi.catalog import service as catalog
    from yizhi.catalog import store
    from yizhi.evaluation.contract import parse_contract
    from yizhi.evaluation.images import prepare
    import onnxruntime as ort

    version = catalog.resolve_version(db, dicom_version["ref"])
    contract = parse_contract(TASK)
    prepared = prepare(contract, store.version_dir(version))
    import pyarrow.parquet as pq

    labels = pq.read_table(store.table_path(version, "cases"), columns=["label"]).column("label").to_pylist()
    p = ort.InferenceSession(centre_model(), providers=["CPUExecutionProvider"]).run(
        ["probabilities"], {"image": prepared["X"]})[0][:, 1]
    assert auroc["value"] == pytest.approx(roc_auc_score(labels, p), abs=1e-9)
    assert auroc["value"] > 0.85
    assert report["verdict"]["overall"] == "pass"
    assert report["traceability"]["rerun_bit_identical"] is True
    assert set(report["subgroups"]) == {"sex", "site"}

    card = report["card"]
    assert card["io_contract"]["inputs"] == "dicom" and card["io_contract"]["image"]["link"] == "patient"
    assert card["n"] == 64
    images = card["images"]
    assert images["series"] == 64 and images["modalities"] == {"CT": 64}
    assert images["manufacturers"] == {"GE": 32, "Siemens": 32}
    assert images["slices_per_series"]["max"] == 3
    assert images["pixel_spacing_mm"]["row"] == [0.8, 0.8]
    text = json.dumps(report)
    assert "P0001" not in text and "1.2.826" not in text        # no patient id, no UID in the report

    rows = {row["perturbation"]: row for row in report["robustness"]}
    assert len(rows) == 12 and {r["severity"] for r in rows.values()} == {1, 2, 3}
    for row in rows.values():
        assert row["n"] == 64 and row["delta_auroc"] is not None and row["delta_sensitivity"] is not None
    # the lesion is a contrast: flattening the contrast must cost sensitivity, and more at severity 3
    assert rows["image_contrast:3"]["delta_sensitivity"] < rows["image_contrast:1"]["delta_sensitivity"] <= 0
    assert rows["image_noise:3"]["delta_auroc"] <= rows["image_noise:1"]["delta_auroc"] + 0.02

    bench_page = web(cast.company).get("/evaluation/benchmarks/ct-centre-bench")
    assert bench_page.status_code == 200 and "DICOM (cases.patient → patient, CT)" in bench_page.text
    report_page = web(cast.company).get(f"/evaluation/submissions/{submission_id}")
    assert report_page.status_code == 200
    assert "image_contrast:3" in report_page.text and "Siemens 32" in report_page.text

    html = tmp_path / "r.html"
    assert run("eval", "report", submission_id, "--html", html).exit_code == 0
    assert "image_rotation:2" in html.read_text()


def test_a_parity_bundle_of_images_is_checked(tmp_path, db, dicom_version):
    _require_sandbox()
    task = tmp_path / "task.yaml"
    task.write_text(TASK, encoding="utf-8")
    assert run("eval", "benchmark", "create", "ct-parity", "--dataset", dicom_version["ref"], "--task", task,
               "--org", "eval-center").exit_code == 0
    model = tmp_path / "centre.onnx"
    model.write_bytes(centre_model())
    rng = np.random.default_rng(1)
    inputs = rng.random((3, 1, TARGET, TARGET)).astype(np.float32)
    wrong = io.BytesIO()
    np.savez(wrong, inputs=inputs, outputs=np.full((3, 2), 0.5, np.float32))
    bundle = tmp_path / "parity.npz"
    bundle.write_bytes(wrong.getvalue())
    refused = run("eval", "submit", "ct-parity", model, "--org", "company", "--parity", bundle)
    assert refused.exit_code == 2
    assert json.loads(refused.stdout.strip().splitlines()[-1])["error"]["code"] == "parity_failed"
    flat = io.BytesIO()
    np.savez(flat, inputs=inputs.reshape(3, -1), outputs=np.zeros((3, 2)))
    bundle.write_bytes(flat.getvalue())
    refused = run("eval", "submit", "ct-parity", model, "--org", "company", "--parity", bundle)
    assert refused.exit_code == 2 and "images of shape" in refused.stdout


def test_a_model_of_another_shape_is_refused(tmp_path, dicom_version):
    _require_sandbox()
    task = tmp_path / "task.yaml"
    task.write_text(TASK.replace("[null, 1, 16, 16]", "[null, 1, 32, 32]"), encoding="utf-8")
    assert run("eval", "benchmark", "create", "ct-shape", "--dataset", dicom_version["ref"], "--task", task,
               "--org", "eval-center").exit_code == 0
    model = tmp_path / "centre.onnx"
    model.write_bytes(centre_model())
    refused = run("eval", "submit", "ct-shape", model, "--org", "company")
    assert refused.exit_code == 2
    error = json.loads(refused.stdout.strip().splitlines()[-1])["error"]
    assert error["code"] == "contract_mismatch" and "32" in error["message"]


def test_a_case_without_series_is_refused_at_benchmark_creation(tmp_path, cast, evaluator):
    folder = tmp_path / "in"
    write_cases(folder, n=12, extra_without_series=1)
    profile = tmp_path / "profile.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    assert run("datasets", "create", "ct-gap", "--org", evaluator.slug, "--title", "CT").exit_code == 0
    ingested = run("datasets", "ingest", "ct-gap", folder / "dicom", folder / "cases.csv", "--profile", profile)
    assert ingested.exit_code == 0, ingested.output
    task = tmp_path / "task.yaml"
    task.write_text(TASK, encoding="utf-8")
    refused = run("eval", "benchmark", "create", "ct-gap-bench", "--dataset", "ct-gap@1", "--task", task,
                  "--org", "eval-center")
    # `yizhi` (cli.main) prints a domain error as one line; CliRunner hands the exception back
    assert refused.exit_code == 1 and isinstance(refused.exception, YizhiError)
    assert str(refused.exception) == "case at row 12 of table cases: no DICOM series matches its patient"
    no_images = tmp_path / "labels-only.yaml"
    assert run("datasets", "create", "labels-only", "--org", evaluator.slug, "--title", "L").exit_code == 0
    assert run("datasets", "ingest", "labels-only", folder / "cases.csv", "--profile", profile).exit_code == 0
    no_images.write_text(TASK, encoding="utf-8")
    refused = run("eval", "benchmark", "create", "ct-none", "--dataset", "labels-only@1", "--task", no_images,
                  "--org", "eval-center")
    assert refused.exit_code == 1 and "holds no DICOM series" in str(refused.exception)
