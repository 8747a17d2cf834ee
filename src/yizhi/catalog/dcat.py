"""DCAT-AP / HealthDCAT-AP description of a dataset version as JSON-LD, built with rdflib.

Vocabularies: dcat, dct, foaf, vcard, dcatap, spdx, dpv and healthdcatap (the HealthDCAT-AP
namespace as its working group and ckanext-dcat publish it; not ratified yet). Fields that are
ours alone (a template's inclusion criteria, protocol, reference standard) use the platform's
namespace. Pure: takes a plain description of the version, returns a JSON-LD string.
"""

from __future__ import annotations

import json

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, XSD

DCAT3 = Namespace(str(DCAT))  # dcat:version is DCAT 3; rdflib's closed DCAT namespace predates it
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
HEALTH = Namespace("http://healthdataportal.eu/ns/health#")
DPV = Namespace("https://w3id.org/dpv#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
PARQUET = URIRef("https://www.iana.org/assignments/media-types/application/vnd.apache.parquet")
DICOM = URIRef("https://www.iana.org/assignments/media-types/application/dicom")
# Coding systems as HealthDCAT-AP asks for them: Wikidata properties of the identifier schemes.
CODING_SYSTEMS = {"ICD-10": "https://www.wikidata.org/entity/P494", "LOINC": "https://www.wikidata.org/entity/P4338",
                  "SNOMED CT": "https://www.wikidata.org/entity/P5806", "ATC": "https://www.wikidata.org/entity/P267"}
CONTEXT = {"dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "vcard": str(VCARD), "dcatap": str(DCATAP),
           "healthdcatap": str(HEALTH), "dpv": str(DPV), "spdx": str(SPDX), "xsd": str(XSD), "rdfs": str(RDFS)}


def dataset_graph(info: dict) -> Graph:
    """``info``: url, ref, number, card, files [{path, sha256, bytes}], published_at, namespace."""
    graph = Graph()
    for prefix, uri in CONTEXT.items():
        graph.bind(prefix, Namespace(uri))
    own = Namespace(info["namespace"])
    graph.bind("yizhi", own)
    card = info.get("card") or {}
    subject = URIRef(info["url"])
    graph.add((subject, RDF.type, DCAT.Dataset))
    graph.add((subject, DCTERMS.identifier, Literal(info["ref"])))
    graph.add((subject, DCAT3.version, Literal(str(info["number"]))))
    if info.get("published_at"):
        graph.add((subject, DCTERMS.issued, Literal(info["published_at"], datatype=XSD.dateTime)))
    _texts(graph, subject, card)
    _agents(graph, subject, card)
    _figures(graph, subject, card)
    _periods(graph, subject, card)
    _rights(graph, subject, card)
    for key, prop in (("inclusion_criteria", own.inclusionCriteria), ("modality_protocol", own.modalityProtocol),
                      ("reference_standard", own.referenceStandard), ("annotation_protocol", own.annotationProtocol)):
        if card.get(key):
            graph.add((subject, prop, Literal(card[key])))
    for file in info.get("files") or []:
        _distribution(graph, subject, info["url"], file)
    return graph


def _texts(graph, subject, card) -> None:
    for key, prop in (("title", DCTERMS.title), ("description", DCTERMS.description),
                      ("population_coverage", HEALTH.populationCoverage)):
        if card.get(key):
            graph.add((subject, prop, Literal(card[key])))
    for key, prop in (("keyword", DCAT.keyword), ("health_theme", HEALTH.healthTheme),
                      ("health_category", HEALTH.healthCategory), ("quality_annotation", HEALTH.qualityAnnotation)):
        for value in card.get(key) or []:
            graph.add((subject, prop, Literal(value)))
    for value in card.get("theme") or []:
        theme = str(value).strip()
        graph.add((subject, DCAT.theme, URIRef(DATA_THEME + theme) if theme.isalpha() and theme.isupper()
                   else Literal(theme)))
    for value in card.get("coding_system") or []:
        known = CODING_SYSTEMS.get(str(value).strip())
        graph.add((subject, HEALTH.hasCodingSystem, URIRef(known) if known else Literal(value)))
    if card.get("spatial_coverage"):
        place = BNode("spatial")
        graph.add((subject, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, RDFS.label, Literal(card["spatial_coverage"])))


def _agents(graph, subject, card) -> None:
    if card.get("publisher"):
        publisher = BNode("publisher")
        graph.add((subject, DCTERMS.publisher, publisher))
        graph.add((publisher, RDF.type, FOAF.Organization))
        graph.add((publisher, FOAF.name, Literal(card["publisher"])))
    if card.get("contact_point"):
        contact = BNode("contact")
        graph.add((subject, DCAT.contactPoint, contact))
        graph.add((contact, RDF.type, VCARD.Kind))
        text = str(card["contact_point"]).strip()
        if "@" in text and " " not in text:
            graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{text}")))
        graph.add((contact, VCARD.fn, Literal(text)))


def _figures(graph, subject, card) -> None:
    for key, prop in (("number_of_records", HEALTH.numberOfRecords),
                      ("number_of_unique_individuals", HEALTH.numberOfUniqueIndividuals),
                      ("min_typical_age", HEALTH.minTypicalAge), ("max_typical_age", HEALTH.maxTypicalAge)):
        value = card.get(key)
        if isinstance(value, int):
            graph.add((subject, prop, Literal(value, datatype=XSD.nonNegativeInteger)))
        elif isinstance(value, str) and value:   # a count shown after disclosure control ("<10")
            graph.add((subject, prop, Literal(value)))


def _periods(graph, subject, card) -> None:
    for key, prop in (("temporal_coverage", DCTERMS.temporal), ("retention_period", HEALTH.retentionPeriod)):
        period = card.get(key)
        if not isinstance(period, dict) or not (period.get("start") or period.get("end")):
            continue
        node = BNode(key)   # named blank nodes: the same card gives the same document
        graph.add((subject, prop, node))
        graph.add((node, RDF.type, DCTERMS.PeriodOfTime))
        if period.get("start"):
            graph.add((node, DCAT.startDate, Literal(period["start"], datatype=XSD.date)))
        if period.get("end"):
            graph.add((node, DCAT.endDate, Literal(period["end"], datatype=XSD.date)))


def _rights(graph, subject, card) -> None:
    if card.get("access_rights"):
        graph.add((subject, DCTERMS.accessRights, URIRef(ACCESS_RIGHT + card["access_rights"])))
    for key, prop in (("legal_basis", DPV.hasLegalBasis), ("purpose", DPV.hasPurpose)):
        for value in card.get(key) or []:
            text = str(value).strip()
            # "dpv:Consent" names a DPV concept; anything else is the owner's own words
            graph.add((subject, prop, URIRef(str(DPV) + text[4:]) if text.startswith("dpv:") and text[4:].isalnum()
                       else Literal(text)))


def _distribution(graph, subject, url: str, file: dict) -> None:
    name = "".join(c if c.isalnum() else "-" for c in file["path"])
    node = BNode(f"distribution-{name}")
    graph.add((subject, DCAT.distribution, node))
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCTERMS.title, Literal(file["path"])))
    graph.add((node, DCAT.accessURL, URIRef(url)))
    graph.add((node, DCAT.mediaType, PARQUET if file["path"].endswith(".parquet") else DICOM))
    graph.add((node, DCAT.byteSize, Literal(int(file["bytes"]), datatype=XSD.nonNegativeInteger)))
    checksum = BNode(f"checksum-{name}")
    graph.add((node, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((checksum, SPDX.checksumValue, Literal(file["sha256"], datatype=XSD.hexBinary)))


def dcat_jsonld(info: dict) -> str:
    graph = dataset_graph(info)
    context = {**CONTEXT, "yizhi": info["namespace"]}
    return json.dumps(json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True)),
                      ensure_ascii=False, indent=1, sort_keys=True)
