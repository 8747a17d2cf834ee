"""Patients link across modalities by the hospital's id: FHIR patients with generated logical ids
(as Synthea and many servers write) are keyed by their MRN identifier when the profile says so."""

from __future__ import annotations

import json

import ingest_cohort as cohort
import pyarrow.parquet as pq

from yizhi.ingest import Source, build_version, load_profile
from yizhi.ingest.identity import Identity

import pytest

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

MRN_SYSTEM = "urn:oid:1.2.156.112604.1.2.1"


def test_fhir_patients_keyed_by_mrn_join_the_tables(tmp_path):
    patient = {"resourceType": "Patient", "id": "8f2c6a3e-5d1b-4c7e-9a0f-1b2c3d4e5f60",
               "identifier": [{"system": "urn:other", "value": "X-1"}, {"system": MRN_SYSTEM, "value": "MRN0042"}],
               "name": [{"family": "Okafor", "given": ["Ngozi"]}]}
    observation = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "HbA1c"},
                   "subject": {"reference": f"Patient/{patient['id']}"}, "valueString": "Okafor reports fatigue"}
    (tmp_path / "fhir.ndjson").write_text(json.dumps(patient) + "\n" + json.dumps(observation) + "\n")
    (tmp_path / "labs.csv").write_text("mrn,hba1c\nMRN0042,7.9\n")
    out = tmp_path / "out"
    out.mkdir()
    profile = load_profile(f"fhir:\n  patient_identifier_system: '{MRN_SYSTEM}'\n")
    build_version([Source("fhir.ndjson", tmp_path / "fhir.ndjson"), Source("labs.csv", tmp_path / "labs.csv")],
                  out, profile=profile, key=cohort.KEY)
    expected = Identity(cohort.KEY).pseudonym("MRN0042")
    assert pq.read_table(out / "tables" / "patient.parquet").column("patient").to_pylist() == [expected]
    observations = pq.read_table(out / "tables" / "observation.parquet").to_pylist()
    assert [row["patient"] for row in observations] == [expected]
    assert "Okafor" not in (observations[0]["value_string"] or "")  # known from the Patient, scrubbed
    assert pq.read_table(out / "tables" / "labs.parquet").column("patient").to_pylist() == [expected]
