"""Users' own ViewDefinitions: uploaded as .json beside the data, validated before any work, run on
the de-identified resources (so they cannot select what was removed)."""

from __future__ import annotations

import json

import ingest_cohort as cohort
import pyarrow.parquet as pq
import pytest

from yizhi.errors import ValidationFailed
from yizhi.ingest import Source, build_version, load_profile

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent


def _sources(tmp_path, view: dict) -> list[Source]:
    cohort.write_fhir_ndjson(tmp_path / "patients.ndjson")
    (tmp_path / "my_view.json").write_text(json.dumps(view))
    return [Source("patients.ndjson", tmp_path / "patients.ndjson"), Source("my_view.json", tmp_path / "my_view.json")]


def test_a_user_view_runs_on_de_identified_resources(tmp_path):
    view = {"resourceType": "ViewDefinition", "name": "patient_names", "resource": "Patient", "status": "active",
            "select": [{"column": [{"name": "patient", "path": "getResourceKey()"},
                                   {"name": "family", "path": "name.family.first()"},
                                   {"name": "phone", "path": "telecom.value.first()"},
                                   {"name": "narrative", "path": "text.`div`"}]}]}
    out = tmp_path / "out"
    out.mkdir()
    result = build_version(_sources(tmp_path, view), out, profile=load_profile(None), key=cohort.KEY)
    rows = pq.read_table(out / "tables" / "patient_names.parquet").to_pylist()
    assert result.tables["patient_names"]["rows"] == 1
    assert rows[0]["family"] is None and rows[0]["phone"] is None  # removed before the view ran
    assert "Henderson" not in rows[0]["narrative"] and rows[0]["patient"].startswith("P")


def test_a_broken_user_view_is_refused_with_file_and_path(tmp_path):
    view = {"resourceType": "ViewDefinition", "name": "bad", "resource": "Patient",
            "select": [{"column": [{"name": "x", "path": "name.where("}]}]}
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValidationFailed) as caught:
        build_version(_sources(tmp_path, view), out, profile=load_profile(None), key=cohort.KEY)
    assert "my_view.json: ViewDefinition select[0].column[0].path" in caught.value.message
    assert list(out.iterdir()) == []
