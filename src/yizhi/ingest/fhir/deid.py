"""De-identify one FHIR R4 resource (a JSON dict), driven by the element types of the R4 model.

The walk knows each element's FHIR type from fhirpathpy's R4 model tables (``path2Type``), so a
name is removed because it is a HumanName wherever it sits (Patient.name, Patient.contact.name, a
contained RelatedPerson), not because a key is called ``name``. By type:

* HumanName, Identifier, ContactPoint, Signature, base64 data: removed.
* Address: line, city, district, text removed; postcode cut to the profile's length; state and
  country kept.
* date, dateTime, instant (and Period, Annotation.time...): moved by the patient's date shift;
  Patient.birthDate reduced to its year (top-coded for ages over max_age).
* Age: values above max_age top-coded.
* Narrative (text.div), markdown and string elements (valueString, note/comment text, string
  extensions, descriptions...): through the text de-identifier, batched, with the patient's
  pseudonym (so the dates they mention move by the same shift); Coding.display and units are
  terminology and kept.
* Attachment: text/* data decoded, cleaned and re-encoded; other data, url and hash removed.
* Resource ids and references: keyed stand-ins (Patient → the patient's pseudonym), so
  references still join; Reference.display and .identifier removed; meta.lastUpdated/source/
  versionId removed.
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from pathlib import Path

import fhirpathpy

from yizhi.deid.keys import derive
from yizhi.ingest.identity import Identity, birth_year, top_code_age, truncate_postcode
from yizhi.ingest.profile import Profile

_MODEL_DIR = Path(fhirpathpy.__file__).parent / "models" / "r4"
REMOVED_TYPES = frozenset({"HumanName", "Identifier", "ContactPoint", "Signature", "base64Binary"})
DATE_TYPES = frozenset({"date", "dateTime", "instant"})
TEXT_TYPES = frozenset({"string", "markdown"})
KEPT_TEXT = frozenset({"Coding.display", "Coding.version", "Quantity.unit", "Reference.type", "Extension.url",
                       "Narrative.status"})
ADDRESS_KEPT = frozenset({"state", "country", "use", "type", "id"})
META_REMOVED = ("lastUpdated", "versionId", "source")
PATIENT_KEYS = ("subject", "patient", "beneficiary")
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_REFERENCE = re.compile(r"(?:.*/)?([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[A-Za-z0-9\-.]{1,64})?")


@lru_cache(maxsize=1)
def _model() -> tuple[dict, dict, dict]:
    def load(name: str) -> dict:
        return json.loads((_MODEL_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return load("path2Type"), load("pathsDefinedElsewhere"), load("type2Parent")


@lru_cache(maxsize=20_000)
def element_type(path: str, key: str) -> tuple[str | None, str]:
    """(FHIR type of ``path.key`` or None for a backbone/unknown element, the path to walk into)."""
    path_to_type, elsewhere, parents = _model()
    base = elsewhere.get(path, path)
    found = path_to_type.get(f"{base}.{key}")
    owner = base
    while found is None and "." not in owner and owner in parents:
        owner = parents[owner]
        found = path_to_type.get(f"{owner}.{key}")
    if found is None and key in ("extension", "modifierExtension"):
        found = "Extension"
    if found in ("BackboneElement", "Element"):
        found = None
    if found == "System.String":
        found = "id"
    if found and found[0].isupper() and found != "Resource":
        return found, found  # a complex datatype: its elements are looked up under its own name
    return found, f"{owner}.{key}"


class ResourceDeidentifier:
    """De-identifies resources under one identity and profile; collects text to clean in batches."""

    def __init__(self, identity: Identity, profile: Profile, patient_keys: dict[str, str] | None = None) -> None:
        self.identity = identity
        self.profile = profile
        self.patient_keys = patient_keys or {}  # Patient logical id -> the key to pseudonymise
        self._pending: list[tuple[object, object, str, str | None, str]] = []

    # ---- ids and references ------------------------------------------------------------------
    def patient_pseudonym(self, logical_id: str) -> str:
        return self.identity.pseudonym(self.patient_keys.get(logical_id, logical_id))

    def resource_key(self, resource_type: str, logical_id: str) -> str:
        if resource_type == "Patient":
            return self.patient_pseudonym(logical_id)
        return "R" + derive(self.identity.key, "ingest-resource", f"{resource_type}/{logical_id}")[:8].hex()

    def rewrite_reference(self, reference: str, local: dict[str, str]) -> str | None:
        if reference.startswith("#"):
            return reference
        reference = local.get(reference, reference)
        match = _REFERENCE.fullmatch(reference)
        if not match:
            return None
        return f"{match[1]}/{self.resource_key(match[1], match[2])}"

    def patient_of(self, resource: dict, local: dict[str, str]) -> str | None:
        """The pseudonym of the patient this resource is about (None for none)."""
        if resource.get("resourceType") == "Patient" and isinstance(resource.get("id"), str):
            return self.patient_pseudonym(resource["id"])
        for key in PATIENT_KEYS:
            value = resource.get(key)
            reference = value.get("reference") if isinstance(value, dict) else None
            if isinstance(reference, str):
                match = _REFERENCE.fullmatch(local.get(reference, reference))
                if match and match[1] == "Patient":
                    return self.patient_pseudonym(match[2])
        return None

    # ---- the walk ----------------------------------------------------------------------------
    def deidentify(self, resource: dict, local: dict[str, str] | None = None) -> str | None:
        """De-identify ``resource`` in place (text cleaned at ``flush``); returns its patient's pseudonym."""
        local = local or {}
        pseudonym = self.patient_of(resource, local)
        self._resource(resource, pseudonym, local)
        return pseudonym

    def flush(self) -> None:
        """Clean every text collected since the last flush, in one batch, and put it back."""
        if not self._pending:
            return
        cleaned = self.identity.clean_texts([text for *_, text in self._pending], [p for _, _, _, p, _ in self._pending])
        for (container, slot, kind, _, _), text in zip(self._pending, cleaned):
            if kind == "div":
                container[slot] = '<div xmlns="http://www.w3.org/1999/xhtml">' + html.escape(text, quote=False) + "</div>"
            elif kind == "base64":
                container[slot] = base64.b64encode(text.encode("utf-8")).decode("ascii")
            else:
                container[slot] = text
        self._pending.clear()

    def _resource(self, resource: dict, pseudonym: str | None, local: dict[str, str]) -> None:
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str):
            return
        if isinstance(resource.get("id"), str):
            resource["id"] = self.resource_key(resource_type, resource["id"])
        meta = resource.get("meta")
        if isinstance(meta, dict):
            for key in META_REMOVED:
                meta.pop(key, None)
        skip = ("resourceType", "id", "meta")
        if resource_type == "Patient":
            self._patient_fields(resource, pseudonym)
            skip += ("birthDate",)  # already reduced to its (shifted) year
        self._object(resource, resource_type, pseudonym, local, skip=skip)

    def _patient_fields(self, resource: dict, pseudonym: str | None) -> None:
        birth = resource.get("birthDate")
        if isinstance(birth, str):
            year = birth_year(birth, self.identity.shift_days(pseudonym), self.profile.reference_year,
                              self.profile.max_age)
            if year is None:
                resource.pop("birthDate")
            else:
                resource["birthDate"] = year
        resource.pop("_birthDate", None)
        resource.pop("photo", None)

    def _object(self, data: dict, path: str, pseudonym: str | None, local: dict[str, str], skip=()) -> None:
        for key in list(data):
            if key in skip:
                continue
            value = data[key]
            if key.startswith("_"):  # a primitive's extensions
                if isinstance(value, (dict, list)):
                    self._value(data, key, value, "Element", "Element", pseudonym, local)
                continue
            fhir_type, child_path = element_type(path, key)
            if fhir_type in REMOVED_TYPES:
                del data[key]
                continue
            self._value(data, key, value, fhir_type, child_path, pseudonym, local)

    def _value(self, container, slot, value, fhir_type, path, pseudonym, local) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self._value(value, index, item, fhir_type, path, pseudonym, local)
            if not value:
                del container[slot]
            return
        if isinstance(value, dict):
            self._complex(container, slot, value, fhir_type, path, pseudonym, local)
        elif isinstance(value, str):
            self._primitive(container, slot, value, fhir_type, path, pseudonym)

    def _complex(self, container, slot, value: dict, fhir_type, path, pseudonym, local) -> None:
        if fhir_type == "Resource":  # contained or a bundle entry's resource
            self._resource(value, pseudonym, local)
        elif fhir_type == "Reference":
            self._reference(value, local)
            self._object(value, "Reference", pseudonym, local, skip=("reference", "display", "identifier"))
        elif fhir_type == "Address":
            self._address(value)
            self._object(value, "Address", pseudonym, local, skip=("postalCode",))
        elif fhir_type == "Narrative":
            div = value.get("div")
            if isinstance(div, str):
                text = html.unescape(_SPACES.sub(" ", _TAGS.sub(" ", div))).strip()
                self._pending.append((value, "div", "div", pseudonym, text))
        elif fhir_type == "Attachment":
            self._attachment(value, pseudonym)
            self._object(value, "Attachment", pseudonym, local, skip=("data",))
        elif fhir_type == "Age":
            if "value" in value:
                value["value"] = top_code_age(value["value"], self.profile.max_age)
            self._object(value, path, pseudonym, local, skip=("value",))
        else:
            self._object(value, path, pseudonym, local)

    def _primitive(self, container, slot, value: str, fhir_type, path, pseudonym) -> None:
        if fhir_type in DATE_TYPES:
            shifted = self.identity.shift_iso(value, pseudonym)
            if shifted is None:
                del container[slot]
            else:
                container[slot] = shifted
        elif fhir_type in TEXT_TYPES or fhir_type is None:
            # the element name is the last part of the path for backbone/unknown elements
            if path in KEPT_TEXT:
                return
            self._pending.append((container, slot, "text", pseudonym, value))
        elif fhir_type == "xhtml":
            self._pending.append((container, slot, "div", pseudonym, html.unescape(_TAGS.sub(" ", value))))

    def _reference(self, value: dict, local: dict[str, str]) -> None:
        reference = value.get("reference")
        if isinstance(reference, str):
            rewritten = self.rewrite_reference(reference, local)
            if rewritten is None:
                del value["reference"]
            else:
                value["reference"] = rewritten
        value.pop("display", None)
        value.pop("identifier", None)

    def _address(self, value: dict) -> None:
        postcode = value.get("postalCode")
        for key in list(value):
            if key not in ADDRESS_KEPT and key not in ("postalCode", "period", "extension"):
                del value[key]
        if isinstance(postcode, str):
            cut = truncate_postcode(postcode, self.profile.postcode_digits)
            if cut:
                value["postalCode"] = cut
            else:
                value.pop("postalCode", None)

    def _attachment(self, value: dict, pseudonym) -> None:
        data = value.get("data")
        content_type = str(value.get("contentType", ""))
        for key in ("url", "hash", "size"):
            value.pop(key, None)
        if isinstance(data, str) and content_type.startswith("text/"):
            try:
                text = base64.b64decode(data, validate=True).decode("utf-8")
            except ValueError:
                value.pop("data")
                return
            self._pending.append((value, "data", "base64", pseudonym, text))
        else:
            value.pop("data", None)
