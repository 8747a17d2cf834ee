"""The `deid.anonymize_table` job: stored upload in, stored anonymized table + report out."""

from __future__ import annotations

import io
import json

import pyarrow.csv as pacsv

from yizhi import storage
from yizhi.deid.tabular import tasks  # noqa: F401  (registers the handler)
from yizhi.jobs.models import JobState

CSV = (
    "id,age,race,diagnosis\n"
    "1,34,Han,flu\n2,36,Han,asthma\n3,38,Hui,flu\n4,31,Han,gout\n"
    "5,52,Zhuang,flu\n6,55,Han,asthma\n7,57,Hui,gout\n8,59,Han,flu\n"
)
RACE = "Han;Majority;*\nHui;Minority;*\nZhuang;Minority;*\n"


def base_params(**changes) -> dict:
    params = {
        "input": storage.put_bytes(CSV.encode()),
        "input_name": "patients.csv",
        "config": {
            "quasi_identifiers": {"age": {"intervals": [10, 20]}, "race": {"hierarchy": "race.csv"}},
            "identifiers": ["id"],
            "sensitive": {"diagnosis": {"l": 2}},
            "k": 2,
        },
        "files": {"race.csv": storage.put_bytes(RACE.encode())},
    }
    params.update(changes)
    return params


def test_job_stores_output_and_report(run_job):
    job = run_job("deid.anonymize_table", base_params())
    assert job.state == JobState.succeeded, job.error
    with storage.open_file(job.result["output"]) as handle:
        table = pacsv.read_csv(io.BytesIO(handle.read()))
    assert table.column_names == ["age", "race", "diagnosis"]
    assert table.num_rows == 8
    with storage.open_file(job.result["report_file"]) as handle:
        report = json.loads(handle.read())
    assert report == job.result["report"]
    assert report["min_class_size"] >= 2
    assert job.result["output_name"] == "patients-anonymized.csv"


def test_job_refuses_server_paths_for_hierarchies(run_job):
    params = base_params()
    params["config"]["quasi_identifiers"]["race"] = {"hierarchy": "/etc/passwd"}
    job = run_job("deid.anonymize_table", params)
    # failed for good: a transient failure would have gone back to the queue (attempts < max)
    assert job.state == JobState.failed
    assert "plain file name" in job.error


def test_job_reports_bad_value_without_temporary_paths(run_job):
    params = base_params(input=storage.put_bytes((CSV + "9,40,Miao,flu\n").encode()))
    job = run_job("deid.anonymize_table", params)
    assert job.state == JobState.failed
    first_line = job.error.splitlines()[0]
    assert "'Miao'" in first_line and "line 10" in first_line and "race.csv" in first_line
    assert "yizhi-anonymize-" not in first_line
