"""POST /api/v1/deid/tabular and result downloads: the hospital's people only; the outsider is refused."""

from __future__ import annotations

import csv
import io
import json

import pytest

from yizhi.jobs import service as jobs

TABLE = (
    "record_id;age;race;diagnosis\n"
    "1;34;Han;flu\n2;36;Han;asthma\n3;38;Hui;flu\n4;31;Han;gout\n"
    "5;52;Zhuang;flu\n6;55;Han;asthma\n7;57;Hui;gout\n8;59;Han;flu\n"
)
RACE = "Han;Majority;*\nHui;Minority;*\nZhuang;Minority;*\n"
CONFIG = """\
quasi_identifiers:
  age: {intervals: [10, 20]}
  race: {hierarchy: race.csv}
identifiers: [record_id]
sensitive: {diagnosis: {l: 2}}
k: 2
"""


def start(client, config: str = CONFIG, hierarchies=(("race.csv", RACE),), **form):
    files = [("file", ("patients.csv", TABLE.encode(), "text/csv")),
             ("config", ("anonymize.yaml", config.encode(), "application/yaml"))]
    files += [("hierarchy", (name, text.encode(), "text/csv")) for name, text in hierarchies]
    return client.post("/api/v1/deid/tabular", files=files, data={"org": "hospital", **form})


@pytest.fixture
def finished_job(api, cast) -> int:
    response = start(api(cast.owner))
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["kind"] == "deid.anonymize_table" and job["state"] == "queued"
    jobs.run_job(job["id"])
    return job["id"]


def test_owner_and_colleague_download_output_and_report(api, cast, finished_job):
    for member in (cast.owner, cast.colleague):
        client = api(member)
        status = client.get(f"/api/v1/jobs/{finished_job}").json()
        assert status["state"] == "succeeded", status["error"]
        output = client.get(f"/api/v1/deid/tabular/{finished_job}/output")
        assert output.status_code == 200 and output.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(output.text), delimiter=";"))
        assert len(rows) == 8 and "record_id" not in rows[0]
        report = client.get(f"/api/v1/deid/tabular/{finished_job}/report")
        assert report.status_code == 200
        data = json.loads(report.content)
        assert data["min_class_size"] >= 2 and set(data["levels"]) == {"age", "race"}


def test_outsider_can_neither_start_for_the_hospital_nor_download(api, cast, finished_job):
    outsider = api(cast.outsider)
    assert start(outsider).status_code == 403
    assert outsider.get(f"/api/v1/deid/tabular/{finished_job}/output").status_code == 404
    assert api().get(f"/api/v1/deid/tabular/{finished_job}/output").status_code == 401


def test_bad_config_is_refused_before_anything_is_queued(api, cast):
    client = api(cast.owner)
    before = len(client.get("/api/v1/jobs").json())
    response = start(client, config=CONFIG.replace("k: 2", "k: 2\nsuppression_limit: 0.1"))
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "anonymize.yaml, line 7: suppression_limit: unknown setting" in message
    missing = start(client, hierarchies=())
    assert missing.status_code == 422 and "upload the file 'race.csv'" in missing.json()["error"]["message"]
    assert len(client.get("/api/v1/jobs").json()) == before


def test_parquet_output_on_request(api, cast):
    import pyarrow.parquet as pq

    client = api(cast.owner)
    job = start(client, output_format="parquet").json()
    jobs.run_job(job["id"])
    output = client.get(f"/api/v1/deid/tabular/{job['id']}/output")
    assert output.status_code == 200
    table = pq.read_table(io.BytesIO(output.content))
    assert table.num_rows == 8 and table.column_names == ["age", "race", "diagnosis"]
