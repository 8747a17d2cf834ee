"""The fast path gives fhirpathpy's rows, resource by resource, on every default view."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import ingest_cohort as cohort
import pytest

from yizhi.ingest.fhir.fastpath import NotSimple, compile_simple
from yizhi.ingest.fhir.plan import default_views
from yizhi.ingest.fhir.viewdef import compile_view

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import ingest as bench  # noqa: E402  (the benchmark's generator of bulk-export resources)


def _resources() -> list[dict]:
    rng = random.Random(3)
    found = []
    for n in range(12):
        for resources in bench._patient_bundle(rng, n).values():
            found += resources
    for key in cohort.PATIENTS:
        found += cohort._fhir_resources(key)
    return json.loads(json.dumps(found))


def test_every_default_view_is_fast_and_agrees_with_fhirpathpy():
    resources = _resources()
    compared = 0
    for name, definition in default_views().items():
        view = compile_view(definition)
        assert view.fast, name
        for resource in resources:
            fast, slow = view.rows(resource, fast=True), view.rows(resource, fast=False)
            assert fast == slow, (name, resource["id"])
            compared += len(slow)
    assert compared > 500


@pytest.mark.parametrize("expression", ["name.where(use = 'official').family", "a | b", "%context.id",
                                        "value.ofType(Quantity).value", "getReferenceKey()"])
def test_fitting_expressions(expression):
    assert compile_simple(expression) is not None


@pytest.mark.parametrize("expression", ["effective", "name.exists() and active", "name.family.", "count() > 1",
                                        "status = 'final'", "iif(active, 1, 0)", "name[0]"])
def test_expressions_left_to_fhirpathpy(expression):
    with pytest.raises(NotSimple):
        compile_simple(expression)


def test_an_ambiguous_choice_element_falls_back_for_that_resource():
    view = compile_view({"resourceType": "ViewDefinition", "name": "v", "resource": "Observation",
                         "select": [{"column": [{"name": "v", "path": "value.first()"}]}]})
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueString": "high"}
    assert view.rows(observation) == view.rows(observation, fast=False) == [{"v": "high"}]
