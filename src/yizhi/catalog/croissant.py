"""Croissant 1.0 description of a dataset version (JSON-LD), with the Responsible-AI fields.

Each Parquet table becomes a FileObject and a RecordSet whose fields read its columns, so a
Croissant reader (``mlcroissant`` in the tests) loads the exported directory and reads the
records back. De-identified DICOM files are a FileSet. Pure: plain dicts in, a dict out.
"""

from __future__ import annotations

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
    "path": "cr:path", "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField", "transform": "cr:transform",
}


def data_type(arrow_type: str) -> str:
    """Croissant data type of an Arrow type written as text (``int64``, ``timestamp[us]``...)."""
    text = arrow_type.lower()
    if text.startswith(("int", "uint")):
        return "sc:Integer"
    if text.startswith(("double", "float", "halffloat", "decimal")):
        return "sc:Float"
    if text.startswith("bool"):
        return "sc:Boolean"
    if text.startswith("date"):
        return "sc:Date"
    if text.startswith("timestamp"):
        return "sc:DateTime"
    return "sc:Text"


def _text(value) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return f"{value.get('start', '')}/{value.get('end', '')}"
    return str(value or "")


def rai_fields(card: dict, stats: dict) -> dict:
    """The RAI extension's fields, from the card and the build (never from row values)."""
    modalities = ", ".join(stats.get("modalities") or []) or "tables"
    fields = {
        "rai:dataCollection": _text(card.get("population_coverage")) or _text(card.get("description")),
        "rai:dataCollectionType": f"Routine clinical care records ({modalities}) of {_text(card.get('publisher'))}",
        "rai:dataCollectionTimeFrame": _text(card.get("temporal_coverage")),
        "rai:dataCollectionMissingData": _text(card.get("quality_annotation")),
        "rai:dataPreprocessingProtocol": (
            "De-identified on the YiZhi platform with one keyed pseudonym and one date shift per patient across "
            "every modality; direct identifiers removed; free text through the text de-identifier; DICOM per "
            "PS3.15 Annex E; files that could not be made safe quarantined and not released."),
        "rai:dataAnnotationProtocol": _text(card.get("annotation_protocol")),
        "rai:dataUseCases": _text(card.get("purpose")),
        "rai:dataLimitations": _text(card.get("inclusion_criteria")),
        "rai:dataBiases": _text(card.get("population_coverage")),
        "rai:personalSensitiveInformation": (
            "Health data of patients, pseudonymised; usable only inside the trusted data space under a grant."),
        "rai:dataReleaseMaintenancePlan": _text(card.get("retention_period")) or "Versions are immutable; "
        "changes are released as new versions.",
    }
    return {key: value for key, value in fields.items() if value}


def croissant(info: dict) -> dict:
    """``info``: url, ref, number, card, stats, tables {name: {columns, rows}}, files [{path, sha256}]."""
    card = info.get("card") or {}
    by_path = {f["path"]: f for f in info.get("files") or []}
    distribution, record_sets = [], []
    for name, table in sorted((info.get("tables") or {}).items()):
        path = f"tables/{name}.parquet"
        file_id = f"{name}.parquet"
        distribution.append({"@type": "cr:FileObject", "@id": file_id, "name": file_id, "contentUrl": path,
                             "encodingFormat": PARQUET, "sha256": (by_path.get(path) or {}).get("sha256", "")})
        record_sets.append({
            "@type": "cr:RecordSet", "@id": name, "name": name,
            "description": f"{name}: {len(table.get('columns') or {})} columns",
            "field": [{"@type": "cr:Field", "@id": f"{name}/{column}", "name": column, "dataType": data_type(kind),
                       "source": {"fileObject": {"@id": file_id}, "extract": {"column": column}}}
                      for column, kind in (table.get("columns") or {}).items()],
        })
    if any(p.startswith("dicom/") for p in by_path):
        distribution.append({"@type": "cr:FileSet", "@id": "dicom-files", "name": "dicom-files",
                             "encodingFormat": "application/dicom", "includes": "dicom/**/*.dcm"})
    document = {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": CONFORMS_TO,
        "name": info["ref"].replace("@", "-v"), "alternateName": _text(card.get("title")) or info["ref"],
        "description": _text(card.get("description")) or _text(card.get("title")) or info["ref"],
        "url": info["url"], "version": f"{int(info['number'])}.0.0",
        # the card page states the terms under which the data may be used (grants, the trusted data space)
        "license": info.get("license") or info["url"],
        "citeAs": f"{_text(card.get('publisher'))}. {_text(card.get('title'))} ({info['ref']}). {info['url']}",
        "creator": {"@type": "sc:Organization", "name": _text(card.get("publisher")) or "unknown"},
        "keywords": [str(k) for k in (card.get("keyword") or []) + (card.get("health_theme") or [])],
        "distribution": distribution, "recordSet": record_sets,
        **rai_fields(card, info.get("stats") or {}),
    }
    if info.get("published_at"):
        document["datePublished"] = info["published_at"][:10]
    return document
