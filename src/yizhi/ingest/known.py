"""What the dataset itself says identifies each patient, used to scrub that patient's free text.

A first pass reads only the identifying fields — FHIR Patient names, telecoms, identifiers,
address lines; the direct-identifier columns of tables — and keeps, per patient, the values
found. Every free text of that patient (notes, FHIR strings, table text, DICOM descriptors) then
has those exact values replaced by their type tag before the text de-identifier runs: a name the
text recognizers miss (a Chinese name inside an English DICOM description, say) is still removed,
because another modality told us it is this patient's name. This is the cross-modality part no
single-format de-identifier can do.

The same pass maps Patient logical ids to the identifier the profile keys patients by
(``fhir.patient_identifier_system``), so FHIR patients link to DICOM PatientID and table ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from yizhi.ingest.lines import Chunk, read_lines

_PATIENT_LINE = re.compile(rb'"resourceType"\s*:\s*"Patient"')
MIN_LATIN = 3  # shorter Latin values ("Li", "Al") are words too often to scrub blindly
MIN_CJK = 2
MIN_ID = 5  # ids shorter than this ("123") are also blood pressures and doses in the text


def _worth(value: str) -> bool:
    value = value.strip()
    if not value:
        return False
    return len(value) >= (MIN_CJK if any(ord(ch) > 0x2E80 for ch in value) else MIN_LATIN)


def patient_values(resource: dict) -> list[tuple[str, str]]:
    """(value, type) of the identifying fields of a Patient resource."""
    found: list[tuple[str, str]] = []
    for name in _list(resource.get("name")):
        family = name.get("family") if isinstance(name.get("family"), str) else ""
        given = [g for g in _list(name.get("given")) if isinstance(g, str)]
        texts = [name.get("text"), family, " ".join(given + [family]), family + "".join(given), *given]
        found += [(t, "NAME") for t in texts if isinstance(t, str) and _worth(t)]
    for contact in _list(resource.get("contact")):
        name = contact.get("name") if isinstance(contact.get("name"), dict) else {}
        found += [(t, "NAME") for t in [name.get("text"), name.get("family")] if isinstance(t, str) and _worth(t)]
        found += _telecoms(contact.get("telecom"))
    found += _telecoms(resource.get("telecom"))
    for identifier in _list(resource.get("identifier")):
        value = identifier.get("value")
        if isinstance(value, str) and len(value.strip()) >= MIN_ID:
            found.append((value, "ID_NUMBER"))
    for address in _list(resource.get("address")):
        found += [(line, "ADDRESS") for line in _list(address.get("line")) if isinstance(line, str) and _worth(line)]
        if isinstance(address.get("text"), str) and _worth(address["text"]):
            found.append((address["text"], "ADDRESS"))
    if isinstance(resource.get("id"), str) and len(resource["id"]) >= MIN_ID:
        found.append((resource["id"], "RECORD_NUMBER"))
    return found


def _telecoms(items) -> list[tuple[str, str]]:
    out = []
    for telecom in _list(items):
        value = telecom.get("value")
        if isinstance(value, str) and _worth(value):
            out.append((value, "EMAIL" if telecom.get("system") == "email" else "PHONE"))
    return out


def _list(value) -> list:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, (dict, str))]
    return [value] if isinstance(value, (dict, str)) else []


def identifier_of(resource: dict, system: str | None) -> str | None:
    if not system:
        return None
    for identifier in _list(resource.get("identifier")):
        if identifier.get("system") == system and isinstance(identifier.get("value"), str):
            return identifier["value"]
    return None


def collect(item: dict) -> dict:
    """Pre-pass work item: {"values": {patient key: [[value, type]...]}, "keys": {logical id: key}}."""
    kind = item["kind"]
    if kind in ("fhir-ndjson", "fhir-json"):
        return _collect_fhir(item)
    if kind == "table":
        from yizhi.ingest.tables import known_values
        return {"values": known_values(item), "keys": {}}
    return {"values": {}, "keys": {}}


def _collect_fhir(item: dict) -> dict:
    system = item.get("patient_identifier_system")
    values: dict[str, list] = {}
    keys: dict[str, str] = {}

    def take(resource) -> None:
        if not isinstance(resource, dict):
            return
        if resource.get("resourceType") == "Bundle":
            for entry in _list(resource.get("entry")):
                take(entry.get("resource"))
            return
        if resource.get("resourceType") != "Patient" or not isinstance(resource.get("id"), str):
            return
        key = identifier_of(resource, system) or resource["id"]
        keys[resource["id"]] = key
        values.setdefault(key, []).extend([list(v) for v in patient_values(resource)])

    path = Path(item["path"])
    if item["kind"] == "fhir-ndjson":
        for line in read_lines(path, Chunk(item["start"], item["end"], item["first_line"]), item["max_line_bytes"]):
            if line.data is not None and _PATIENT_LINE.search(line.data):
                try:
                    take(orjson.loads(line.data))
                except orjson.JSONDecodeError:
                    continue
    elif path.stat().st_size <= item["max_json_bytes"]:
        try:
            take(orjson.loads(path.read_bytes()))
        except orjson.JSONDecodeError:
            pass  # the main pass reports it
    return {"values": values, "keys": keys}


def merge(results: list[dict], pseudonym) -> dict:
    """{"values": {pseudonym: [[value, type]...] longest first}, "keys": {logical id: key}}."""
    keys: dict[str, str] = {}
    for result in results:
        keys.update(result.get("keys", {}))
    values: dict[str, set] = {}
    for result in results:
        for key, found in result.get("values", {}).items():
            values.setdefault(pseudonym(key), set()).update((value, kind) for value, kind in found)
    ordered = {p: [list(v) for v in sorted(found, key=lambda v: (-len(v[0]), v))] for p, found in sorted(values.items())}
    return {"values": ordered, "keys": keys}


def scrub(text: str, known: list[list[str]], tag) -> str:
    """``text`` with every known value of its patient replaced by its type's tag (longest first)."""
    for value, kind in known:
        if value in text:
            text = text.replace(value, tag(kind))
    return text
