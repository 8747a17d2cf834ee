"""Real data end to end: a logistic regression trained on MASS Pima.tr, converted with skl2onnx,
submitted through the CLI and the API and scored on Pima.te (the hidden set) by the job."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from yizhi.cli import app


def test_cli_submit_scores_signs_and_reports(tmp_path, db, cast, benchmark, pima_model):
    from yizhi.evaluation.models import Submission
    from yizhi.evaluation.signing import verify_report

    model = tmp_path / "pima.onnx"
    model.write_bytes(pima_model)
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "submit", benchmark, str(model), "--org", "company"])
    assert result.exit_code == 0, result.output
    submission_id = int(result.stdout.strip().splitlines()[-1])
    shown = runner.invoke(app, ["eval", "report", str(submission_id), "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    assert {"metrics", "subgroups", "robustness", "efficiency", "verdict", "hashes", "ledger_index"} <= set(report)
    for name in ("auroc", "auprc", "sensitivity", "specificity", "ppv", "npv", "brier", "ece",
                 "calibration_slope", "calibration_intercept"):
        metric = report["metrics"][name]
        assert metric["ci"][0] <= metric["value"] <= metric["ci"][1], name
    # logistic regression on Pima: published AUROCs on Pima.te are about 0.85-0.87
    assert 0.80 < report["metrics"]["auroc"]["value"] < 0.92
    assert report["verdict"]["overall"] == "pass"
    assert report["traceability"]["rerun_bit_identical"] is True
    assert set(report["subgroups"]) == {"age_band", "site"}
    assert report["efficiency"]["latency_ms_p95"] > 0
    db.expire_all()
    sub = db.get(Submission, submission_id)
    assert verify_report(db, sub.signature, sub.report)
    tampered = {**sub.report, "verdict": {"overall": "fail", "criteria": []}}
    assert not verify_report(db, sub.signature, tampered)
    from yizhi.ledger.service import get_entry

    entry = get_entry(db, report["ledger_index"])
    assert "evaluation.report_signed" in entry["leaf"] and report["report_sha256"] in entry["leaf"]
    pdf = tmp_path / "r.pdf"
    html = tmp_path / "r.html"
    assert runner.invoke(app, ["eval", "report", str(submission_id), "--pdf", str(pdf), "--html", str(html)]).exit_code == 0
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "auroc" in text and "Traceability" in text
    assert sum(len(page.images) for page in reader.pages) >= 4      # ROC, PR, reliability, decision curve...
    assert "data:image/png;base64," in html.read_text()


def test_api_submit_and_report(api, cast, benchmark, pima_model):
    from yizhi.jobs.service import work_once

    client = api(cast.company)
    response = client.post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions",
                           files={"model": ("m.onnx", pima_model)}, data={"org": "company"})
    assert response.status_code == 202, response.text
    submission_id = response.json()["id"]
    assert client.get(f"/api/v1/evaluation/submissions/{submission_id}/report").status_code == 409
    assert work_once("test")
    report = client.get(f"/api/v1/evaluation/submissions/{submission_id}/report").json()
    assert report["metrics"]["auroc"]["value"] > 0.8
    pdf = client.get(f"/api/v1/evaluation/submissions/{submission_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
