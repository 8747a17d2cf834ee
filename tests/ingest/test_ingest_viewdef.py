"""SQL-on-FHIR v2 ViewDefinitions: examples in the shape of the spec's own test suite give the
spec's answers; broken views are refused with the JSON path of the problem."""

from __future__ import annotations

import pytest

from yizhi.ingest.fhir.plan import default_views
from yizhi.ingest.fhir.viewdef import ViewError, compile_view

# Touches no database: run once, in the SQLite run (tests/conftest.py checks it).
pytestmark = pytest.mark.db_independent

PATIENTS = [
    {"resourceType": "Patient", "id": "pt1", "active": True,
     "name": [{"use": "official", "family": "F1.1"}, {"family": "F1.2"}],
     "address": [{"city": "s1"}],
     "contact": [{"telecom": [{"system": "phone"}], "address": {"city": "c1"},
                  "name": {"family": "FC1.1", "given": ["N1", "N1`"]}},
                 {"telecom": [{"system": "email"}], "gender": "unknown",
                  "name": {"family": "FC1.2", "given": ["N1.1", "N1.2"]}}]},
    {"resourceType": "Patient", "id": "pt2", "active": False,
     "name": [{"family": "F2.1"}, {"use": "official", "family": "F2.2"}],
     "address": [{"city": "s21"}, {"city": "s22"}],
     "contact": [{"address": {"city": "c21"}}, {"address": {"city": "c22"}}]},
    {"resourceType": "Patient", "id": "pt3"},
]


def _view(select, **extra):
    return compile_view({"resourceType": "ViewDefinition", "name": "v", "resource": "Patient", "status": "active",
                         "select": select, **extra})


def _rows(view, resources=PATIENTS):
    """The rows by fhirpathpy, checked equal to the fast path's where the view fits it."""
    slow = [row for resource in resources for row in view.rows(resource, fast=False)]
    if view.fast:
        assert [row for resource in resources for row in view.rows(resource, fast=True)] == slow
    return slow


def test_basic_columns():
    view = _view([{"column": [{"name": "id", "path": "id"}, {"name": "last", "path": "name.family.first()"}]}])
    assert _rows(view) == [{"id": "pt1", "last": "F1.1"}, {"id": "pt2", "last": "F2.1"}, {"id": "pt3", "last": None}]


def test_for_each_gives_a_row_per_item_and_none_for_empty():
    view = _view([{"column": [{"name": "id", "path": "id"}]},
                  {"forEach": "name", "column": [{"name": "family", "path": "family"}]}])
    assert _rows(view) == [{"id": "pt1", "family": "F1.1"}, {"id": "pt1", "family": "F1.2"},
                           {"id": "pt2", "family": "F2.1"}, {"id": "pt2", "family": "F2.2"}]


def test_for_each_or_null_keeps_the_resource_with_nulls():
    view = _view([{"column": [{"name": "id", "path": "id"}]},
                  {"forEachOrNull": "name", "column": [{"name": "family", "path": "family"}]}])
    assert _rows(view)[-1] == {"id": "pt3", "family": None}
    assert len(_rows(view)) == 5


def test_nested_for_each():
    view = _view([{"column": [{"name": "id", "path": "id"}]},
                  {"forEach": "contact", "select": [{"forEach": "name.given",
                                                     "column": [{"name": "given", "path": "$this"}]}]}])
    assert _rows(view) == [{"id": "pt1", "given": g} for g in ["N1", "N1`", "N1.1", "N1.2"]]


def test_union_all():
    view = _view([{"column": [{"name": "id", "path": "id"}],
                   "unionAll": [{"forEach": "address", "column": [{"name": "city", "path": "city"}]},
                                {"forEach": "contact.address", "column": [{"name": "city", "path": "city"}]}]}])
    assert [(r["id"], r["city"]) for r in _rows(view)] == [
        ("pt1", "s1"), ("pt1", "c1"), ("pt2", "s21"), ("pt2", "s22"), ("pt2", "c21"), ("pt2", "c22")]


def test_where_and_constant():
    view = _view([{"column": [{"name": "id", "path": "id"},
                              {"name": "official", "path": "name.where(use = %name_use).family"}]}],
                 where=[{"path": "active = true"}], constant=[{"name": "name_use", "valueString": "official"}])
    assert _rows(view) == [{"id": "pt1", "official": "F1.1"}]


def test_collection_column_and_typed_values():
    view = _view([{"column": [{"name": "id", "path": "id"},
                              {"name": "families", "path": "name.family", "collection": True},
                              {"name": "active", "path": "active", "type": "boolean"}]}])
    assert _rows(view)[:2] == [{"id": "pt1", "families": ["F1.1", "F1.2"], "active": True},
                               {"id": "pt2", "families": ["F2.1", "F2.2"], "active": False}]


def test_more_than_one_value_without_collection_is_an_error():
    view = _view([{"column": [{"name": "family", "path": "name.family"}]}])
    with pytest.raises(ViewError):
        _rows(view)


def test_reference_keys_join_resources():
    observation = compile_view({"resourceType": "ViewDefinition", "name": "obs", "resource": "Observation",
                                "select": [{"column": [{"name": "id", "path": "getResourceKey()"},
                                                       {"name": "patient", "path": "subject.getReferenceKey(Patient)"},
                                                       {"name": "encounter", "path": "subject.getReferenceKey(Encounter)"}]}]})
    rows = observation.rows({"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"},
                             "subject": {"reference": "Patient/pt1"}})
    assert rows == [{"id": "o1", "patient": "pt1", "encounter": None}]


def test_choice_types_inside_a_for_each_keep_their_fhir_type():
    view = compile_view({"resourceType": "ViewDefinition", "name": "c", "resource": "Observation",
                         "select": [{"forEach": "component", "column": [
                             {"name": "value", "path": "value.ofType(Quantity).value", "type": "decimal"}]}]})
    rows = view.rows({"resourceType": "Observation", "component": [{"valueQuantity": {"value": 120}},
                                                                   {"valueString": "n/a"}]})
    assert rows == [{"value": 120.0}, {"value": None}]


def test_other_resource_types_give_no_rows():
    view = _view([{"column": [{"name": "id", "path": "id"}]}])
    assert view.rows({"resourceType": "Observation", "id": "x"}) == []


@pytest.mark.parametrize(("definition", "where"), [
    ({"resourceType": "ViewDefinition", "name": "v", "select": [{"column": [{"name": "a", "path": "id"}]}]}, "resource"),
    ({"resourceType": "ViewDefinition", "name": "v", "resource": "Patient",
      "select": [{"column": [{"name": "a", "path": "name.("}]}]}, "select[0].column[0].path"),
    ({"resourceType": "ViewDefinition", "name": "v", "resource": "Patient",
      "select": [{"forEach": "name", "forEachOrNull": "name", "column": [{"name": "a", "path": "id"}]}]}, "select[0]"),
    ({"resourceType": "ViewDefinition", "name": "v", "resource": "Patient",
      "select": [{"unionAll": [{"column": [{"name": "a", "path": "id"}]}, {"column": [{"name": "b", "path": "id"}]}]}]},
     "select[0].unionAll[1]"),
    ({"resourceType": "ViewDefinition", "name": "v", "resource": "Patient",
      "select": [{"column": [{"name": "a", "path": "id"}, {"name": "a", "path": "gender"}]}]}, "select"),
    ({"resourceType": "ViewDefinition", "name": "1bad", "resource": "Patient", "select": []}, "name"),
    ({"resourceType": "Patient"}, "resourceType"),
])
def test_broken_views_are_refused_with_where(definition, where):
    with pytest.raises(ViewError) as caught:
        compile_view(definition)
    assert caught.value.path == where


def test_every_default_view_compiles_and_names_patient():
    views = default_views()
    assert {"patient", "encounter", "condition", "observation", "medication_request", "procedure",
            "diagnostic_report", "imaging_study", "document_reference"} <= set(views)
    for name, definition in views.items():
        view = compile_view(definition)
        assert view.name == name
        assert "patient" in [c.name for c in view.columns]
