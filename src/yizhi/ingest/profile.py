"""The de-identification profile: one YAML document that says how every modality is made safe.

``load_profile(None)`` is the safe default a user need not write: free text through the text
de-identifier (keyed surrogates, dates shifted per patient), direct identifiers removed, postcodes
cut to 3 characters, ages over 89 top-coded, DICOM by the Basic Profile with modified dates and
cleaned descriptors. A table without an entry under ``tables:`` is handled by name: a patient-id
column is looked for, identifier-like columns are dropped, date-like columns shifted and every
other text column goes through the text de-identifier.

```yaml
text_policy: surrogate          # surrogate (keyed fakes, dates shifted) | redact (type tags)
postcode_digits: 3              # leading characters of a postcode kept (0 removes it)
max_age: 89                     # ages above it are written as max_age + 1
reference_year: 2025            # ages from birth years are counted at this year (deterministic)
tables:
  labs.csv:                     # the uploaded file's name
    patient_id: patient_id
    direct_identifiers: [patient_name]
    quasi_identifiers: []       # generalised by the k-anonymity step when `k` is set
    dates: [collected_date]
    free_text: [comment]        # other columns pass through
    ages: []
    postcodes: []
    k: 5                        # optional, per table (else the top-level k)
fhir:
  views: default                # or a list of default view names; own ViewDefinitions are uploaded as .json
  patient_identifier_system: null   # key patients by this Patient.identifier system instead of Patient.id
dicom:
  options: [retain-long-modified-dates, clean-descriptors]
```

Errors name the YAML line and key (``ValidationFailed``).
"""

from __future__ import annotations

import re
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from yizhi.deid.dicom.options import OptionError, parse_options
from yizhi.errors import N_, ValidationFailed

DEFAULT_DICOM_OPTIONS = ["retain-long-modified-dates", "clean-descriptors"]
MAX_PROFILE_BYTES = 1 << 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableMap(_Strict):
    """The column map of one uploaded table (keys as the issue fixes them, plus ages/postcodes/k)."""

    patient_id: str = Field(description="The column holding the patient id; replaced by `patient`.")
    direct_identifiers: list[str] = Field(default_factory=list, description="Columns removed.")
    quasi_identifiers: list[str] | dict[str, dict | None] = Field(
        default_factory=list, description="Generalised by k-anonymity when k is set (a list, or name: spec).")
    dates: list[str] = Field(default_factory=list, description="Shifted by the patient's date shift.")
    free_text: list[str] = Field(default_factory=list, description="Through the text de-identifier.")
    ages: list[str] = Field(default_factory=list, description="Numbers above max_age are top-coded.")
    postcodes: list[str] = Field(default_factory=list, description="Cut to postcode_digits characters.")
    k: int | None = Field(default=None, ge=2, description="k-anonymity over the quasi-identifiers.")
    max_suppression: float | None = Field(default=None, ge=0, le=1)
    separator: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = Field(default=None, description="Text encoding (default: detected).")

    def quasi_specs(self) -> dict[str, dict]:
        if isinstance(self.quasi_identifiers, dict):
            return {name: dict(spec or {}) for name, spec in self.quasi_identifiers.items()}
        return {name: {} for name in self.quasi_identifiers}

    def mapped_columns(self) -> list[tuple[str, str]]:
        """(role, column) for every column the map names."""
        roles = [("patient_id", self.patient_id)]
        for role in ("direct_identifiers", "dates", "free_text", "ages", "postcodes"):
            roles += [(role, name) for name in getattr(self, role)]
        roles += [("quasi_identifiers", name) for name in self.quasi_specs()]
        return roles


class FhirSettings(_Strict):
    views: Literal["default"] | list[str] = "default"
    patient_identifier_system: str | None = None


class DicomSettings(_Strict):
    options: list[str] = Field(default_factory=lambda: list(DEFAULT_DICOM_OPTIONS))

    @field_validator("options")
    @classmethod
    def known_options(cls, names: list[str]) -> list[str]:
        try:
            parse_options(names)
        except OptionError as exc:
            raise ValueError(str(exc)) from None
        return names


class Limits(_Strict):
    max_line_bytes: int = Field(default=64 << 20, ge=1024, description="Longest NDJSON/JSONL line.")
    max_json_bytes: int = Field(default=512 << 20, ge=1024, description="Largest Bundle or single JSON file.")
    max_expanded_bytes: int = Field(default=64 << 30, ge=1024, description="Total bytes a zip may expand to.")
    max_member_bytes: int = Field(default=4 << 30, ge=1024, description="Largest member of a zip.")
    max_ratio: float = Field(default=200.0, ge=1, description="Largest expanded/compressed ratio of a zip member.")


class Profile(_Strict):
    text_policy: Literal["surrogate", "redact"] = "surrogate"
    language: Literal["auto", "zh", "en"] = "auto"
    postcode_digits: int = Field(default=3, ge=0, le=10)
    max_age: int = Field(default=89, ge=1, le=150)
    reference_year: int = Field(default=2025, ge=1900, le=2200)
    k: int | None = Field(default=None, ge=2)
    max_suppression: float = Field(default=0.05, ge=0, le=1)
    tables: dict[str, TableMap] = Field(default_factory=dict)
    fhir: FhirSettings = Field(default_factory=FhirSettings)
    dicom: DicomSettings = Field(default_factory=DicomSettings)
    limits: Limits = Field(default_factory=Limits)

    def as_plain(self) -> dict:
        """Plain data for a worker process (rebuilt there with ``Profile.model_validate``)."""
        return self.model_dump(mode="json")


def load_profile(text: str | None) -> Profile:
    """The profile in ``text`` (YAML); None or blank → the safe default."""
    if text is None or not text.strip():
        return Profile()
    if len(text.encode("utf-8", "replace")) > MAX_PROFILE_BYTES:
        raise ValidationFailed(N_("the profile is larger than %(limit)s bytes"),
                               params={"limit": MAX_PROFILE_BYTES}, field="profile")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationFailed(N_("profile line %(line)s: not valid YAML (%(problem)s)"),
                               params={"line": mark.line + 1 if mark else "?",
                                       "problem": getattr(exc, "problem", None) or "syntax error"},
                               field="profile") from None
    if data is None:
        return Profile()
    if not isinstance(data, dict):
        raise ValidationFailed(N_("the profile must be a mapping of settings (text_policy, tables, ...)"),
                               field="profile")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = [part for part in error["loc"] if not _is_type_tag(part)]
        key = ".".join(str(part) for part in location) or "(top level)"
        message = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"].removeprefix("Value error, ")
        raise ValidationFailed(N_("profile line %(line)s, key %(key)s: %(problem)s"),
                               params={"line": _yaml_line(text, location) or "?", "key": key, "problem": message},
                               field="profile") from None


_TYPE_TAG = re.compile(r"(?:list|dict|set|tuple)\[.*\]|int|float|str|bool|none|function-\w+\[.*\]")


def _is_type_tag(part) -> bool:
    """pydantic puts union members' type names into error locations; they are not YAML keys."""
    return isinstance(part, str) and bool(_TYPE_TAG.fullmatch(part))


def _yaml_line(text: str, location: list) -> int | None:
    """1-based line of the deepest YAML node along ``location``."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
