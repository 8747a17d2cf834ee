"""Exports: DCAT-AP/HealthDCAT-AP JSON-LD parses with rdflib and says what the card says;
Croissant 1.0 validates with mlcroissant and its records read back from the exported Parquet."""

import json

import pyarrow as pa
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from catalog_helpers import FULL_CARD, org
from yizhi.catalog import export, keys
from yizhi.catalog.testing import make_version

HEALTH = Namespace("http://healthdataportal.eu/ns/health#")


@pytest.fixture
def version(db, cast):
    table = pa.table({"patient": ["a1", "a2", "a3"], "age": [40, 51, 63], "hba1c": [6.1, None, 7.3],
                      "visit": pa.array([19000, 19001, 19400], pa.date32()), "note": ["x", "y", "z"]})
    card = {**FULL_CARD, "title": "糖尿病 HbA1c", "publisher": "第一医院", "number_of_records": 3,
            "number_of_unique_individuals": 3, "min_typical_age": 40, "max_typical_age": 63,
            "temporal_coverage": {"start": "2022-01-08", "end": "2023-03-26"}, "coding_system": ["ICD-10", "LOINC"],
            "access_rights": "NON_PUBLIC", "theme": ["HEAL"], "health_theme": ["type 2 diabetes"]}
    made = make_version(db, org(db, "hospital"), "dm-labs", {"labs": table}, card=card)
    db.commit()
    return made


def test_dcat_jsonld_parses_and_carries_the_card(version):
    graph = Graph().parse(data=export.card_document(version, "dcat"), format="json-ld")
    subject = URIRef(export.version_url(version))
    assert (subject, RDF.type, DCAT.Dataset) in graph
    assert (subject, DCTERMS.title, Literal("糖尿病 HbA1c")) in graph
    assert (subject, HEALTH.numberOfRecords, Literal(3, datatype=XSD.nonNegativeInteger)) in graph
    assert (subject, HEALTH.minTypicalAge, Literal(40, datatype=XSD.nonNegativeInteger)) in graph
    assert (subject, HEALTH.hasCodingSystem, URIRef("https://www.wikidata.org/entity/P494")) in graph
    assert (subject, DCTERMS.accessRights,
            URIRef("http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC")) in graph
    assert (subject, Namespace("https://w3id.org/dpv#").hasLegalBasis, URIRef("https://w3id.org/dpv#Consent")) in graph
    temporal = graph.value(subject, DCTERMS.temporal)
    assert graph.value(temporal, DCAT.startDate) == Literal("2022-01-08", datatype=XSD.date)
    distributions = list(graph.objects(subject, DCAT.distribution))
    assert len(distributions) == 1
    assert export.card_document(version, "dcat") == export.card_document(version, "dcat")  # reproducible


def test_croissant_validates_and_its_records_read_back(db, version, tmp_path):
    mlc = pytest.importorskip("mlcroissant")
    out = tmp_path / "out"
    export.export_version(db, version, out)
    dataset = mlc.Dataset(jsonld=str(out / "croissant.json"))   # validates; raises on errors
    records = list(dataset.records(record_set="labs"))
    assert [r["labs/age"] for r in records] == [40, 51, 63]
    assert [r["labs/patient"] for r in records] == [b"a1", b"a2", b"a3"]
    assert records[1]["labs/hba1c"] is None or records[1]["labs/hba1c"] != records[1]["labs/hba1c"]
    document = json.loads((out / "croissant.json").read_text())
    assert document["rai:dataUseCases"] == "dpv:ResearchAndDevelopment"
    assert document["rai:dataLimitations"] == "adults with E11"
    field_types = {f["name"]: f["dataType"] for f in document["recordSet"][0]["field"]}
    assert field_types == {"patient": "sc:Text", "age": "sc:Integer", "hba1c": "sc:Float", "visit": "sc:Date",
                           "note": "sc:Text"}


def test_export_never_carries_the_key_and_refuses_a_changed_version(db, version, tmp_path):
    key = keys.ensure_key(version.dataset)
    out = tmp_path / "out"
    export.export_version(db, version, out)
    assert all(key not in p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert (keys.key_path(version.dataset).stat().st_mode & 0o777) == 0o600
    with pytest.raises(Exception, match="not an empty folder"):
        export.export_version(db, version, out)
    from yizhi.catalog import store
    (store.version_dir(version) / "tables" / "labs.parquet").write_bytes(b"tampered")
    from yizhi.errors import Conflict
    with pytest.raises(Conflict, match="does not match its manifest"):
        export.export_version(db, version, tmp_path / "again")


def test_public_card_hides_small_counts(db, cast):
    made = make_version(db, org(db, "hospital"), "tiny", {"t": pa.table({"patient": ["p"] * 4})},
                        card={"title": "tiny", "number_of_records": 4, "number_of_unique_individuals": 1,
                              "min_typical_age": 23, "max_typical_age": 87})
    db.commit()
    public = json.loads(export.card_document(made, "json", public=True))["card"]
    assert public["number_of_records"] == "<10" and public["number_of_unique_individuals"] == "<10"
    assert (public["min_typical_age"], public["max_typical_age"]) == (20, 90)
    graph = Graph().parse(data=export.card_document(made, "dcat", public=True), format="json-ld")
    assert Literal(4, datatype=XSD.nonNegativeInteger) not in set(graph.objects())
