"""Dataset cards: fields named as HealthDCAT-AP names them, per-organ / per-disease templates,
the figures a build fills in, and the check that refuses to publish an incomplete card.

Pure: no database, no web. A card is a plain dict ``{field: value}``; :data:`CARD_FIELDS` says
each field's kind, its RDF property (used by :mod:`yizhi.catalog.dcat`) and its English label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from yizhi.errors import N_, NotFound, ValidationFailed

TEMPLATES_DIR = Path(__file__).parent / "data" / "card_templates"
ACCESS_RIGHTS = ("NON_PUBLIC", "RESTRICTED", "PUBLIC")
MAX_TEXT = 4000
MAX_LIST = 50


@dataclass(frozen=True)
class CardField:
    key: str
    label: str          # English msgid
    kind: str           # text | longtext | list | int | period | choice
    prop: str           # the (Health)DCAT-AP property, as a CURIE
    auto: bool = False  # filled from the build's figures


CARD_FIELDS: tuple[CardField, ...] = (
    CardField("title", N_("Title"), "text", "dct:title"),
    CardField("description", N_("Description"), "longtext", "dct:description"),
    CardField("publisher", N_("Publisher"), "text", "dct:publisher", auto=True),
    CardField("contact_point", N_("Contact point"), "text", "dcat:contactPoint"),
    CardField("keyword", N_("Keywords"), "list", "dcat:keyword"),
    CardField("theme", N_("Theme"), "list", "dcat:theme"),
    CardField("health_theme", N_("Health theme (disease)"), "list", "healthdcatap:healthTheme"),
    CardField("health_category", N_("Health category"), "list", "healthdcatap:healthCategory"),
    CardField("coding_system", N_("Coding systems"), "list", "healthdcatap:hasCodingSystem"),
    CardField("number_of_records", N_("Number of records"), "int", "healthdcatap:numberOfRecords", auto=True),
    CardField("number_of_unique_individuals", N_("Number of unique individuals"), "int",
              "healthdcatap:numberOfUniqueIndividuals", auto=True),
    CardField("min_typical_age", N_("Minimum typical age"), "int", "healthdcatap:minTypicalAge", auto=True),
    CardField("max_typical_age", N_("Maximum typical age"), "int", "healthdcatap:maxTypicalAge", auto=True),
    CardField("population_coverage", N_("Population coverage"), "longtext", "healthdcatap:populationCoverage"),
    CardField("temporal_coverage", N_("Temporal coverage"), "period", "dct:temporal", auto=True),
    CardField("spatial_coverage", N_("Spatial coverage"), "text", "dct:spatial"),
    CardField("legal_basis", N_("Legal basis"), "list", "dpv:hasLegalBasis"),
    CardField("purpose", N_("Purpose"), "list", "dpv:hasPurpose"),
    CardField("retention_period", N_("Retention period"), "period", "healthdcatap:retentionPeriod"),
    CardField("access_rights", N_("Access rights"), "choice", "dct:accessRights"),
    CardField("quality_annotation", N_("Quality annotations"), "list", "healthdcatap:qualityAnnotation", auto=True),
)
# Fields a template may require: what organ/disease datasets need beyond HealthDCAT-AP.
TEMPLATE_FIELDS: tuple[CardField, ...] = (
    CardField("inclusion_criteria", N_("Inclusion criteria"), "longtext", "yizhi:inclusionCriteria"),
    CardField("modality_protocol", N_("Modality and protocol"), "longtext", "yizhi:modalityProtocol"),
    CardField("reference_standard", N_("Reference standard"), "longtext", "yizhi:referenceStandard"),
    CardField("annotation_protocol", N_("Annotation protocol"), "longtext", "yizhi:annotationProtocol"),
)
FIELDS_BY_KEY = {f.key: f for f in CARD_FIELDS + TEMPLATE_FIELDS}
# Every published card has these, whatever its template.
BASE_REQUIRED = ("title", "description", "publisher", "contact_point", "legal_basis", "purpose",
                 "access_rights", "number_of_records")


@dataclass(frozen=True)
class CardTemplate:
    name: str
    title: dict
    organ: str
    disease: str
    modalities: tuple[str, ...]
    defaults: dict
    required: tuple[str, ...]
    hints: dict = field(default_factory=dict)

    def label(self, locale: str) -> str:
        return self.title.get(locale) or self.title.get("en") or self.name

    def template_fields(self) -> list[CardField]:
        """The template's own fields, required ones first."""
        keys = list(self.required) + [k for k in self.hints if k not in self.required]
        return [FIELDS_BY_KEY[k] for k in keys if k in FIELDS_BY_KEY]


def _load_template(path: Path) -> CardTemplate:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = [k for k in raw.get("required", []) if k not in FIELDS_BY_KEY]
    if unknown:
        raise RuntimeError(f"card template {path.name} requires unknown fields {unknown}")
    return CardTemplate(name=raw["name"], title=dict(raw["title"]), organ=raw.get("organ", ""),
                        disease=raw.get("disease", ""), modalities=tuple(raw.get("modalities", [])),
                        defaults=dict(raw.get("defaults") or {}), required=tuple(raw.get("required", [])),
                        hints=dict(raw.get("fields") or {}))


@lru_cache(maxsize=1)
def templates() -> dict[str, CardTemplate]:
    found = {}
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        template = _load_template(path)
        found[template.name] = template
    return found


def get_template(name: str | None) -> CardTemplate | None:
    """The template called ``name`` (its code or its Chinese/English title); None for no template."""
    if not name:
        return None
    wanted = name.strip()
    for template in templates().values():
        if wanted == template.name or wanted in template.title.values():
            return template
    raise NotFound(N_("no card template %(name)s; templates: %(known)s"),
                   params={"name": wanted, "known": ", ".join(sorted(templates()))})


def required_fields(template: CardTemplate | None) -> list[str]:
    return list(BASE_REQUIRED) + [k for k in (template.required if template else ()) if k not in BASE_REQUIRED]


def is_filled(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, tuple, dict)):
        return any(is_filled(v) for v in (value.values() if isinstance(value, dict) else value))
    return True


def missing_fields(card: dict, template: CardTemplate | None) -> list[str]:
    """Required fields the card lacks, in the order a form shows them."""
    return [key for key in required_fields(template) if not is_filled(card.get(key))]


def initial_card(title: str, description: str, publisher: str, template: CardTemplate | None) -> dict:
    card = {"title": title, "description": description, "publisher": publisher,
            "access_rights": "NON_PUBLIC"}
    if template is not None:
        for key, value in template.defaults.items():
            card.setdefault(key, list(value) if isinstance(value, list) else value)
    return card


def figures_from_build(stats: dict, quality: dict) -> dict:
    """Card fields a build fills: counts, age range, temporal coverage, quality notes."""
    filled: dict = {}
    if stats.get("records") is not None:
        filled["number_of_records"] = int(stats["records"])
    if stats.get("individuals") is not None:
        filled["number_of_unique_individuals"] = int(stats["individuals"])
    age_range = stats.get("age_range")
    if age_range and len(age_range) == 2 and None not in age_range:
        filled["min_typical_age"], filled["max_typical_age"] = int(age_range[0]), int(age_range[1])
    coverage = stats.get("temporal_coverage")
    if coverage and len(coverage) == 2 and None not in coverage:
        filled["temporal_coverage"] = {"start": str(coverage[0]), "end": str(coverage[1])}
    filled["quality_annotation"] = quality_notes(stats, quality)
    return filled


def quality_notes(stats: dict, quality: dict) -> list[str]:
    """Short, count-only statements about completeness (no values from the data)."""
    notes = []
    for table, report in sorted((quality.get("tables") or {}).items()):
        columns = report.get("columns") or {}
        if not columns:
            continue
        worst = max(columns.items(), key=lambda item: float(item[1].get("null_share") or 0))
        notes.append(f"{table}: {report.get('rows', 0)} rows, {len(columns)} columns; "
                     f"most missing: {worst[0]} ({float(worst[1].get('null_share') or 0):.0%})")
    for modality, count in sorted((stats.get("dicom_series") or {}).items()):
        notes.append(f"DICOM {modality}: {count} series")
    return notes[:MAX_LIST]


# ----- validating what a person writes into a card ------------------------------------------------
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def clean_card_update(update: dict) -> dict:
    """Check each field a person sets: known key, right kind, bounded size; ValidationFailed naming it."""
    cleaned = {}
    for key, value in update.items():
        spec = FIELDS_BY_KEY.get(key)
        if spec is None or spec.key == "publisher":
            raise ValidationFailed(N_("the card has no field %(field)s you can set"), params={"field": key},
                                   field=key)
        cleaned[key] = _clean_value(spec, value)
    return cleaned


def _clean_value(spec: CardField, value):
    if value is None or value == "":
        return None
    if spec.kind in ("text", "longtext"):
        return _text(spec, value)
    if spec.kind == "list":
        items = value if isinstance(value, list) else [p for p in re.split(r"[\n;；]", str(value))]
        items = [_text(spec, item) for item in items if str(item).strip()]
        if len(items) > MAX_LIST:
            raise ValidationFailed(N_("%(field)s holds %(count)d items; at most %(max)d"),
                                   params={"field": spec.key, "count": len(items), "max": MAX_LIST}, field=spec.key)
        return items
    if spec.kind == "int":
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationFailed(N_("%(field)s must be a whole number"), params={"field": spec.key},
                                   field=spec.key) from None
        if not 0 <= number <= 10**12:
            raise ValidationFailed(N_("%(field)s must be between 0 and 10^12"), params={"field": spec.key},
                                   field=spec.key)
        return number
    if spec.kind == "choice":
        text = str(value).strip().upper()
        if text not in ACCESS_RIGHTS:
            raise ValidationFailed(N_("%(field)s must be one of %(choices)s"),
                                   params={"field": spec.key, "choices": ", ".join(ACCESS_RIGHTS)}, field=spec.key)
        return text
    return _period(spec, value)


def _text(spec: CardField, value) -> str:
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(N_("%(field)s is %(length)d characters long; at most %(max)d"),
                               params={"field": spec.key, "length": len(text), "max": MAX_TEXT}, field=spec.key)
    return text


def _period(spec: CardField, value) -> dict | None:
    if isinstance(value, str):
        parts = [p.strip() for p in re.split(r"\s*(?:/|\.\.|–|~)\s*", value.strip()) if p.strip()]
        value = {"start": parts[0] if parts else "", "end": parts[1] if len(parts) > 1 else ""}
    if not isinstance(value, dict):
        raise ValidationFailed(N_("%(field)s must be a period START/END (YYYY-MM-DD/YYYY-MM-DD)"),
                               params={"field": spec.key}, field=spec.key)
    start, end = str(value.get("start") or "").strip(), str(value.get("end") or "").strip()
    for part in (start, end):
        if part and not _DATE.match(part):
            raise ValidationFailed(N_("%(field)s must be a period START/END (YYYY-MM-DD/YYYY-MM-DD)"),
                                   params={"field": spec.key}, field=spec.key)
    if start and end and end < start:
        raise ValidationFailed(N_("%(field)s ends before it starts"), params={"field": spec.key}, field=spec.key)
    return {"start": start, "end": end} if (start or end) else None


def display_value(value) -> str:
    """A card value as one line of text (lists joined, periods as START – END)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return f"{value.get('start', '')} – {value.get('end', '')}"
    return str(value)
