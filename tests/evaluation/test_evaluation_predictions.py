"""Predictions files for phases whose inputs are released (issue 15), end to end on the Pima pair:
the organiser releases the inputs (feature columns under opaque per-phase keys, never the reference),
participants download them (each download on the ledger) and submit a file of scores through the CLI,
the API or the page; it is scored like a model — identically, for the Pima model's own scores."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from evaluation_data import FEATURES, TASK, hidden_table, pima
from evaluation_predictions import participant_scores, predictions_csv, predictions_parquet, release
from yizhi.cli import app


def _ledger(db, kind: str) -> list:
    from yizhi.ledger.models import LedgerEntry

    db.expire_all()
    return list(db.scalars(select(LedgerEntry).where(LedgerEntry.kind == kind).order_by(LedgerEntry.index)))


def _download(client, phase_id: int, fmt: str, org: str = "company"):
    response = client.get(f"/api/v1/evaluation/phases/{phase_id}/inputs/{fmt}", params={"org": org})
    assert response.status_code == 200, response.text
    return response


def test_release_holds_features_under_opaque_keys_and_every_download_is_on_the_ledger(tmp_path, db, cast, api,
                                                                                       benchmark):
    from yizhi.evaluation import service

    runner = CliRunner()
    phase_id = service.get_benchmark(db, benchmark).phases[0].id
    done = runner.invoke(app, ["eval", "inputs", str(phase_id), "--org", "eval-center", "--release"])
    assert done.exit_code == 0, done.output
    released = _ledger(db, "evaluation.inputs_released")
    assert len(released) == 1 and json.loads(released[0].leaf)["data"]["columns"] == FEATURES

    client = api(cast.company)
    table = pq.read_table(io.BytesIO(_download(client, phase_id, "parquet").content))
    csv_response = _download(client, phase_id, "csv")
    assert table.column_names == ["case", *FEATURES]                    # no label, no subgroups, no row ids
    _, test = pima()
    assert table.num_rows == len(test)
    keys = table.column("case").to_pylist()
    assert len(set(keys)) == len(keys) and not set(keys) & {str(i) for i in range(len(test))}
    assert keys == sorted(keys)                                          # the order tells nothing of the rows
    # the released features are the hidden table's, case by case, under the keys
    hidden = hidden_table(test)
    assert sorted(table.column("glu").to_pylist()) == sorted(hidden.column("glu").to_pylist())
    lines = csv_response.content.decode("utf-8").splitlines()
    assert lines[0] == "case," + ",".join(FEATURES) and len(lines) == len(test) + 1
    assert {line.split(",")[0] for line in lines[1:]} == set(keys)

    downloads = _ledger(db, "evaluation.inputs_downloaded")
    assert [(e.org, json.loads(e.leaf)["data"]["format"]) for e in downloads] == [("company", "parquet"),
                                                                                 ("company", "csv")]
    assert json.loads(downloads[1].leaf)["data"]["sha256"] == hashlib.sha256(csv_response.content).hexdigest()
    assert csv_response.headers["x-content-sha256"] == hashlib.sha256(csv_response.content).hexdigest()
    # the company member acts for one organisation: it is the default
    assert client.get(f"/api/v1/evaluation/phases/{phase_id}/inputs/csv").content == csv_response.content
    out = tmp_path / "inputs.csv"
    got = runner.invoke(app, ["eval", "inputs", str(phase_id), "--org", "company", "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert out.read_bytes() == csv_response.content and len(_ledger(db, "evaluation.inputs_downloaded")) == 4

    # a second phase on the same data gets keys of its own: cases cannot be linked across phases
    benchmark_row = service.get_benchmark(db, benchmark)
    second = service.add_phase(db, benchmark_row, name="round 2", kind="hidden", release_inputs=True)
    db.commit()
    other = pq.read_table(io.BytesIO(_download(client, second.id, "parquet").content))
    assert not set(other.column("case").to_pylist()) & set(keys)


def test_only_the_organiser_releases_and_only_participants_download(db, cast, api, benchmark, evaluator):
    from yizhi.evaluation import service

    phase_id = service.get_benchmark(db, benchmark).phases[0].id
    company = api(cast.company)
    assert company.post(f"/api/v1/evaluation/phases/{phase_id}/inputs/release").status_code == 403
    assert company.get(f"/api/v1/evaluation/phases/{phase_id}/inputs/csv", params={"org": "company"}).json()[
        "error"]["code"] == "inputs_not_released"
    assert api().get(f"/api/v1/evaluation/phases/{phase_id}/inputs/csv", params={"org": "company"}).status_code == 401
    admin = api(cast.admin)                                             # the commission organises too
    answer = admin.post(f"/api/v1/evaluation/phases/{phase_id}/inputs/release")
    assert answer.status_code == 201, answer.text
    assert answer.json()["release"]["columns"] == FEATURES and "key_salt" not in answer.text
    # someone who does not act for the organisation named is refused, and nothing is recorded
    assert company.get(f"/api/v1/evaluation/phases/{phase_id}/inputs/csv",
                       params={"org": "hospital"}).status_code == 403
    assert _ledger(db, "evaluation.inputs_downloaded") == []


def test_pima_predictions_score_identically_to_the_same_model_as_onnx(tmp_path, db, cast, api, benchmark,
                                                                      pima_model):
    from yizhi.evaluation import service
    from yizhi.evaluation.models import Submission
    from yizhi.evaluation.predictions import parse, score_predictions
    from yizhi.evaluation.releases import case_keys
    from yizhi.evaluation.signing import verify_report

    runner = CliRunner()
    model = tmp_path / "pima.onnx"
    model.write_bytes(pima_model)
    as_model = runner.invoke(app, ["eval", "submit", benchmark, str(model), "--org", "company"])
    assert as_model.exit_code == 0, as_model.output
    model_report = json.loads(runner.invoke(app, ["eval", "report", as_model.stdout.strip().splitlines()[-1],
                                                  "--json"]).stdout)

    phase_id = release(db, benchmark)
    inputs = pq.read_table(io.BytesIO(_download(api(cast.company), phase_id, "parquet").content))
    keys, scores = participant_scores(pima_model, inputs)
    data = predictions_csv(keys, scores)
    file = tmp_path / "pima-predictions.csv"
    file.write_bytes(data)
    as_file = runner.invoke(app, ["eval", "submit", benchmark, str(file), "--org", "company"])
    assert as_file.exit_code == 0, as_file.output
    submission_id = int(as_file.stdout.strip().splitlines()[-1])
    shown = runner.invoke(app, ["eval", "report", str(submission_id), "--json"])
    report = json.loads(shown.stdout)

    # the same metrics, case for case: point values, the confusion matrix, every subgroup, the verdict
    assert set(report["metrics"]) == set(model_report["metrics"])
    for name, metric in model_report["metrics"].items():
        assert report["metrics"][name]["value"] == metric["value"], name
    assert report["confusion_matrix"] == model_report["confusion_matrix"]
    for column, section in model_report["subgroups"].items():
        for group, values in section["groups"].items():
            mine = report["subgroups"][column]["groups"][group]
            assert {k: v["value"] for k, v in (mine.get("metrics") or {}).items()} == \
                {k: v["value"] for k, v in (values.get("metrics") or {}).items()}, (column, group)
    assert report["verdict"]["overall"] == model_report["verdict"]["overall"] == "pass"
    # the bootstrap is seeded by the submission: with the model's seed, the CIs are the same too
    db.expire_all()
    sub = db.get(Submission, submission_id)
    salt = sub.phase.release.key_salt
    parsed = parse(data, "p.csv", service.contract_of(sub.benchmark), set(case_keys(salt, sub.phase.release.rows)))
    from yizhi.catalog import store

    again, _cases = score_predictions(*parsed, service.contract_of(sub.benchmark),
                                      store.table_path(sub.phase.version, "test"), salt, {"ref": "x"}, {},
                                      seed=model_report["traceability"]["seeds"]["bootstrap"])
    assert again["metrics"] == {k: {kk: vv for kk, vv in v.items()} for k, v in model_report["metrics"].items()}

    # what a file cannot have is said, not left blank; the file's SHA-256 is traced and the report signed
    assert report["submission_kind"] == "predictions" and report["robustness"] == []
    assert report["efficiency"] == {"not_applicable": "not applicable to a predictions file"}
    assert report["not_applicable"]["robustness"] == "not applicable to a predictions file"
    digest = hashlib.sha256(data).hexdigest()
    assert report["hashes"]["predictions_sha256"] == digest == report["traceability"]["predictions_sha256"]
    assert "model_sha256" not in report["hashes"]
    assert verify_report(db, sub.signature, sub.report)
    signed = _ledger(db, "evaluation.report_signed")[-1]
    assert json.loads(signed.leaf)["data"]["predictions_sha256"] == digest
    pdf = tmp_path / "r.pdf"
    assert runner.invoke(app, ["eval", "report", str(submission_id), "--pdf", str(pdf)]).exit_code == 0
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    assert "not applicable to a predictions file" in text and "predictions_sha256" in text


def test_parquet_predictions_through_the_api_count_in_the_cap_and_show_on_the_leaderboard(db, cast, api, web,
                                                                                          benchmark, pima_model):
    from yizhi.evaluation import service
    from yizhi.jobs.service import work_once

    phase = service.get_benchmark(db, benchmark).phases[0]
    phase.cap = 1
    db.commit()
    phase_id = release(db, benchmark)
    client = api(cast.company)
    inputs = pq.read_table(io.BytesIO(_download(client, phase_id, "parquet").content))
    keys, scores = participant_scores(pima_model, inputs)
    sent = client.post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions",
                       files={"predictions": ("p.parquet", predictions_parquet(keys, scores))}, data={"org": "company"})
    assert sent.status_code == 202, sent.text
    assert sent.json()["kind"] == "predictions" and "predictions_sha256" in sent.json()
    assert work_once("test")
    report = client.get(f"/api/v1/evaluation/submissions/{sent.json()['id']}/report").json()
    assert 0.80 < report["metrics"]["auroc"]["value"] < 0.92
    again = client.post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions",
                        files={"model": ("p.csv", predictions_csv(keys, scores))}, data={"org": "company"})
    assert again.status_code == 429, again.text                         # the cap counts files like models
    board = client.get(f"/api/v1/evaluation/phases/{phase_id}/leaderboard").json()["rows"]
    assert [(row["organization"], row["kind"]) for row in board] == [("company", "predictions")]
    page = web().login(cast.company).get(f"/evaluation/phases/{phase_id}/leaderboard")
    assert "预测文件" in page.text


def test_a_phase_whose_inputs_are_not_released_refuses_predictions_files(tmp_path, db, cast, api, benchmark):
    from yizhi.errors import Conflict

    client = api(cast.company)
    refused = client.post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions",
                          files={"model": ("p.csv", b"case,score\nabc,0.5\n")}, data={"org": "company"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "inputs_not_released"
    file = tmp_path / "p.csv"
    file.write_bytes(b"case,score\nabc,0.5\n")
    result = CliRunner().invoke(app, ["eval", "submit", benchmark, str(file), "--org", "company"])
    assert isinstance(result.exception, Conflict) and "submit an ONNX model" in str(result.exception)
    from yizhi.evaluation.models import Submission

    assert db.scalar(select(Submission.id)) is None                      # nothing stored


@pytest.fixture
def released(db, benchmark):
    """The hidden phase released; its keys in file order."""
    phase_id = release(db, benchmark)
    from yizhi.evaluation.models import Phase
    from yizhi.evaluation.releases import case_keys

    phase = db.get(Phase, phase_id)
    return phase_id, sorted(case_keys(phase.release.key_salt, phase.release.rows))


def _rows(keys, score="0.5"):
    return [[k, score] for k in keys]


def _send(client, benchmark, data: bytes, name: str = "p.csv", lang: str = "zh"):
    return client.post(f"/api/v1/evaluation/benchmarks/{benchmark}/submissions", files={"model": (name, data)},
                       data={"org": "company"}, headers={"Accept-Language": lang})


def test_every_bad_line_is_reported_with_its_number_in_the_readers_language(db, cast, api, benchmark, released):
    from evaluation_predictions import csv_bytes

    _, keys = released
    client = api(cast.company)
    rows = _rows(keys)
    rows[0][1] = "abc"                       # line 2: text in the score column
    rows[1][1] = "NaN"                       # line 3: not finite
    rows[2][1] = "1.5"                       # line 4: not a probability
    rows[3][0] = "not-a-released-key"        # line 5: unknown key
    rows[4][0] = keys[5]                     # line 6 takes line 7's key: line 7 repeats it
    del rows[-1]                             # missing: keys[3] (line 5's), keys[4] (line 6's) and the last
    answer = _send(client, benchmark, csv_bytes(["case", "score"], rows))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_predictions"
    by_line = {p["line"]: p["message"] for p in error["problems"]}
    assert by_line[2] == "第 2 行：score 不是数字：abc"
    assert "不是有限数" in by_line[3] and "nan" in by_line[3].lower()
    assert "0 到 1" in by_line[4]
    assert "not-a-released-key" in by_line[5] and "不是本阶段发布的病例" in by_line[5]
    assert by_line[7] == f"第 7 行：病例 {keys[5]} 重复出现（首次在第 6 行）"
    missing = [p["message"] for p in error["problems"] if p["line"] is None]
    assert missing == [f"3 个已发布病例没有预测，例如 {keys[3]}, {keys[4]}, {keys[-1]}"]
    assert len(error["problems"]) == 6 and "6" in error["message"]
    english = _send(client, benchmark, csv_bytes(["case", "score"], rows), lang="en").json()["error"]
    assert "line 2: score is not a number: abc" in [p["message"] for p in english["problems"]]
    from yizhi.evaluation.models import Submission

    assert db.scalar(select(Submission.id)) is None


@pytest.mark.parametrize("case", ["header", "encoding", "parquet_text", "empty_key"])
def test_malformed_files_each_give_their_own_message(db, cast, api, benchmark, released, case):
    import pyarrow as pa

    from evaluation_predictions import csv_bytes

    _, keys = released
    client = api(cast.company)
    if case == "header":
        answer = _send(client, benchmark, csv_bytes(["id", "prob"], _rows(keys)))
        expected = {1: "第 1 行：表头应为列 case, score（实际为 id, prob）"}
    elif case == "encoding":
        rows = _rows(keys)
        data = csv_bytes(["case", "score"], rows).replace(keys[2].encode(), keys[2].encode() + "病例".encode("gbk"))
        answer = _send(client, benchmark, data)
        expected = {4: "第 4 行：不是 UTF-8 文本（第 21 列的字节 0xb2）；请将文件另存为 UTF-8"}
    elif case == "parquet_text":
        buffer = io.BytesIO()
        scores = ["0.5"] * len(keys)
        scores[9] = "high"
        pq.write_table(pa.table({"case": keys, "score": scores}), buffer)
        answer = _send(client, benchmark, buffer.getvalue(), name="p.parquet")
        expected = {11: "第 11 行：score 不是数字：high"}
    else:
        rows = _rows(keys)
        rows[0][0] = " "
        answer = _send(client, benchmark, csv_bytes(["case", "score"], rows))
        expected = {2: "第 2 行：病例编号为空"}
    assert answer.status_code == 422, answer.text
    problems = {p["line"]: p["message"] for p in answer.json()["error"]["problems"] if p["line"] is not None}
    assert problems == expected


def test_an_oversized_predictions_file_is_refused_with_its_limit(db, cast, api, benchmark, released, monkeypatch):
    from yizhi.evaluation.settings import reset_evaluation_settings_cache

    monkeypatch.setenv("YIZHI_EVALUATION_MAX_PREDICTIONS_MB", "1")
    reset_evaluation_settings_cache()
    try:
        answer = _send(api(cast.company), benchmark, b"case,score\n" + b"x" * (1024 * 1024 + 10))
    finally:
        monkeypatch.delenv("YIZHI_EVALUATION_MAX_PREDICTIONS_MB")
        reset_evaluation_settings_cache()
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["message"] == "预测文件大于 1 MiB"


def test_the_pages_release_download_and_submit_a_predictions_file(db, cast, web, benchmark, evaluator, pima_model):
    from evaluation_helpers import add_member
    from yizhi.evaluation import service
    from yizhi.jobs.service import work_once

    phase_id = service.get_benchmark(db, benchmark).phases[0].id
    holder = add_member(db, evaluator, "scientist@eval.example")
    organiser = web().login(holder)
    page = organiser.get(f"/evaluation/benchmarks/{benchmark}")
    assert f"/evaluation/phases/{phase_id}/release" in page.text
    assert organiser.post_form(f"/evaluation/phases/{phase_id}/release").status_code == 303
    assert len(_ledger(db, "evaluation.inputs_released")) == 1

    company = web().login(cast.company)
    page = company.get(f"/evaluation/benchmarks/{benchmark}")
    assert "已发布输入" in page.text and f"/evaluation/phases/{phase_id}/release" not in page.text
    download = company.get(f"/evaluation/phases/{phase_id}/inputs", params={"org": "company", "format": "parquet"})
    assert download.status_code == 200 and download.content.startswith(b"PAR1")
    assert len(_ledger(db, "evaluation.inputs_downloaded")) == 1
    keys, scores = participant_scores(pima_model, pq.read_table(io.BytesIO(download.content)))

    bad = company.post_form(f"/evaluation/benchmarks/{benchmark}/submit", {"org": "company"},
                            files={"model": ("p.csv", predictions_csv(keys[:-1], scores[:-1]))})
    assert bad.status_code == 422 and "没有预测" in bad.text and keys[-1] in bad.text
    sent = company.post_form(f"/evaluation/benchmarks/{benchmark}/submit", {"org": "company"},
                             files={"model": ("p.csv", predictions_csv(keys, scores))})
    assert sent.status_code == 303, sent.text
    assert work_once("test")
    report = company.get(sent.headers["location"])
    assert "不适用于预测文件" in report.text and 'id="robustness-na"' in report.text
    assert 'id="efficiency-na"' in report.text and "预测文件" in report.text
    english = company.get(sent.headers["location"] + "?lang=en")
    assert "not applicable to a predictions file" in english.text
