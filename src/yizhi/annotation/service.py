"""Projects: created on a dataset version the organisation holds or has a live grant on; their items
built from the version's rows or DICOM instances; gold items, predictions (pre-annotation and
uncertainty sampling). Services flush; callers commit. No HTTP here.
"""

from __future__ import annotations

import hashlib
import math
import random
import re

import pyarrow.parquet as pq
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload

from yizhi import ledger
from yizhi.access import grants
from yizhi.accounts.models import Organization, Person
from yizhi.annotation.models import Item, ItemStatus, Project, ProjectKind, ProjectState
from yizhi.annotation.schema import check_answer, parse_schema
from yizhi.annotation.settings import get_annotation_settings
from yizhi.catalog import service as catalog
from yizhi.catalog import store
from yizhi.catalog.models import DatasetVersion
from yizhi.errors import N_, Conflict, NotFound, PermissionDenied, ValidationFailed

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
GOLD_REQUIRED = 1_000_000          # gold items stay open: every annotator may be shown them
SOURCE_KINDS = ("text", "dicom", "rows")


def org_by_slug(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(N_("no organisation %(slug)s"), params={"slug": slug})
    return org


def person_by_email(session: Session, email: str) -> Person:
    person = session.scalar(select(Person).where(func.lower(Person.email) == (email or "").strip().lower()))
    if person is None:
        raise NotFound(N_("no person %(email)s"), params={"email": email})
    return person


# The project with its dataset version and dataset in one round trip: every request on a project
# reads the version (where its data lives, who holds it). Only the version's columns a request uses
# are loaded; its card, quality and build figures (large JSON) load on access. Built once: building
# loader options per call costs more than the cached SQL.
_PROJECT_BY_SLUG = (select(Project).where(Project.slug == bindparam("p_slug")).options(
    joinedload(Project.version).load_only(DatasetVersion.id, DatasetVersion.dataset_id, DatasetVersion.number,
                                          DatasetVersion.state, DatasetVersion.root_hash, DatasetVersion.tables)
    .joinedload(DatasetVersion.dataset)))


def get_project(session: Session, slug: str) -> Project:
    project = session.scalar(_PROJECT_BY_SLUG, {"p_slug": slug}) if isinstance(slug, str) else None
    if project is None:
        raise NotFound(N_("no annotation project %(slug)s"), params={"slug": slug})
    return project


def get_item(session: Session, project: Project, key: str) -> Item:
    item = session.scalar(select(Item).where(Item.project_id == project.id, Item.key == str(key)))
    if item is None:
        raise NotFound(N_("project %(slug)s has no item %(key)s"), params={"slug": project.slug, "key": key})
    return item


# --- access to the data ------------------------------------------------------------------------

def require_data_access(session: Session, project: Project) -> None:
    """The project's organisation still holds the version, or its grant is still live."""
    version = project.version
    if version.organization_id == project.organization_id:
        return
    if project.grant_id is None:
        raise PermissionDenied(N_("%(org)s neither holds %(ref)s nor works under a grant on it"),
                               params={"org": project.organization.slug, "ref": version.ref}, code="not_granted")
    grants.require_live(grants.get_grant(session, project.grant_id))


def _check_holder(session: Session, person: Person | None, org: Organization, version: DatasetVersion,
                  grant_id: int | None, columns: list[str], table: str | None):
    if version.organization_id == org.id:
        return None
    if grant_id is None:
        raise PermissionDenied(N_("%(org)s does not hold %(ref)s: name the grant the project works under"),
                               params={"org": org.slug, "ref": version.ref}, code="not_granted")
    if person is not None:
        grant, entry = grants.require_use(session, person, grant_id, version.ref)
    else:
        grant = grants.require_live(grants.get_grant(session, grant_id))
        entry = grants.grant_dataset(grant, version.ref)
    if grant.organization_id != org.id:
        raise PermissionDenied(N_("grant %(id)s is not %(org)s's"), params={"id": grant_id, "org": org.slug},
                               code="not_granted")
    if table and columns:
        grants.require_columns(entry, table, columns)
    return grant


def _check_annotator_orgs(session: Session, org: Organization, version: DatasetVersion, orgs: list[Organization]):
    """Annotators of another organisation see the data only if it holds the version or a live grant."""
    for other in orgs:
        if other.id in (org.id, version.organization_id):
            continue
        if grants.live_grant_exists(session, other, version) is None:
            raise PermissionDenied(N_("annotators of %(org)s may not see %(ref)s: it holds no live grant on it"),
                                   params={"org": other.slug, "ref": version.ref}, code="not_granted")


# --- the source of items -----------------------------------------------------------------------

def parse_source(version: DatasetVersion, source: dict | None, kind: ProjectKind) -> dict:
    source = dict(source or {})
    source.setdefault("kind", "dicom" if "dicom_index" in version.tables and kind == ProjectKind.labeling
                      and "notes" not in version.tables else "text")
    if source["kind"] not in SOURCE_KINDS:
        raise ValidationFailed(N_("source kind must be one of %(kinds)s"), params={"kinds": ", ".join(SOURCE_KINDS)},
                               field="source")
    if source["kind"] == "dicom":
        source["table"] = "dicom_index"
        if "dicom_index" not in version.tables:
            raise ValidationFailed(N_("dataset version %(ref)s has no DICOM images (no dicom_index table)"),
                                   params={"ref": version.ref}, field="source")
        return source
    source.setdefault("table", "notes")
    columns = version.columns_of(source["table"])
    if not columns:
        raise ValidationFailed(N_("dataset version %(ref)s has no table %(table)s"),
                               params={"ref": version.ref, "table": source["table"]}, field="source.table")
    if source["kind"] == "text":
        source.setdefault("text_column", "text")
        needed = [source["text_column"]]
        source["columns"] = [c for c in source.get("columns") or [] if c in columns]
    else:
        source["columns"] = list(source.get("columns") or [c for c in columns])
        needed = source["columns"]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise ValidationFailed(N_("table %(table)s has no column(s) %(columns)s"),
                               params={"table": source["table"], "columns": ", ".join(missing)}, field="source")
    return source


def _item_rows(version: DatasetVersion, source: dict, sample: int | None, seed: str):
    """(count, iterator of (key, ref)): rows of a table are generated, not listed — a project may
    hold a million."""
    if source["kind"] == "dicom":
        index = pq.read_table(store.table_path(version, "dicom_index"),
                              columns=[c for c in ("path", "sop_uid", "rows", "columns", "frames")
                                       if c in version.columns_of("dicom_index")]).to_pylist()
        rows = [(r.get("sop_uid") or r["path"], {"path": r["path"], "rows": r.get("rows"), "columns": r.get("columns"),
                                                 "frames": r.get("frames") or 1}) for r in index]
        if sample is not None and sample < len(rows):
            rows = random.Random(seed).sample(rows, sample)
        return len(rows), iter(rows)
    count = int((version.tables.get(source["table"]) or {}).get("rows") or 0)
    if sample is not None and sample < count:
        numbers = sorted(random.Random(seed).sample(range(count), sample))
        return sample, ((str(n), {"row": n}) for n in numbers)
    return count, ((str(n), {"row": n}) for n in range(count))


def _overlapped(slug: str, key: str, percent: int) -> bool:
    if percent >= 100:
        return True
    digest = hashlib.sha256(f"{slug}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


DEID_SCHEMA = {"labels": [{"name": "phi", "type": "spans", "title": "Identifiers",
                           "classes": ["NAME", "ID_NUMBER", "PHONE", "EMAIL", "URL", "IP_ADDRESS", "SOCIAL_ID",
                                       "BANK_CARD", "PLATE", "DEVICE_ID", "RECORD_NUMBER", "ADDRESS", "ZIP",
                                       "LOCATION", "ORGANIZATION", "DATE", "AGE"]}]}


def create_project(session: Session, *, slug: str, title: str, org: Organization, dataset: str,
                   schema=None, kind: str = "labeling", source: dict | None = None, instructions: str = "",
                   grant_id: int | None = None, overlap: int = 1, overlap_percent: int = 100,
                   lock_minutes: int | None = None, skip_policy: str = "allow", qualification_count: int = 0,
                   qualification_min: float = 0.8, gold_rate: float = 0.0, annotator_orgs: list[str] = (),
                   annotator_people: list[str] = (), reviewer_people: list[str] = (), sample: int | None = None,
                   prefill: str | None = None, actor: Person | None = None, study: dict | None = None) -> Project:
    """Check everything, then make the project and its items (flushes; the caller commits)."""
    settings = get_annotation_settings()
    if not SLUG.match(slug or ""):
        raise ValidationFailed(N_("a project slug is 3-64 lower-case letters, digits and dashes"), field="slug")
    if session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
        raise Conflict(N_("annotation project %(slug)s exists already"), params={"slug": slug})
    try:
        kind_value = ProjectKind(kind)
    except ValueError:
        raise ValidationFailed(N_("kind must be labeling, deid_review or reader_study"), field="kind") from None
    _check_numbers(overlap, overlap_percent, lock_minutes, skip_policy, qualification_count, qualification_min,
                   gold_rate, sample)
    version = catalog.resolve_version(session, dataset)
    parsed_source = parse_source(version, source, kind_value)
    if kind_value == ProjectKind.deid_review:
        schema = schema or DEID_SCHEMA
        prefill = prefill or "deid"
        if parsed_source["kind"] != "text":
            raise ValidationFailed(N_("a de-identification review works on a text table"), field="source")
    if schema is None:
        raise ValidationFailed(N_("give the label schema"), field="schema")
    parsed_schema = parse_schema(schema)
    if prefill not in (None, "deid", "predictions"):
        raise ValidationFailed(N_("prefill must be deid or predictions"), field="prefill")
    if prefill == "deid" and not any(label["type"] == "spans" for label in parsed_schema["labels"]):
        raise ValidationFailed(N_("pre-annotation from the de-identifier needs a spans field"), field="prefill")
    parsed_source["prefill"] = prefill
    columns = [parsed_source["text_column"]] if parsed_source["kind"] == "text" else parsed_source.get("columns", [])
    grant = _check_holder(session, actor, org, version, grant_id, columns + parsed_source.get("columns", []),
                          parsed_source.get("table"))
    orgs = [org_by_slug(session, s) for s in dict.fromkeys(annotator_orgs or [org.slug])]
    _check_annotator_orgs(session, org, version, orgs)
    people = [person_by_email(session, e) for e in dict.fromkeys(annotator_people)]
    reviewers = [person_by_email(session, e) for e in dict.fromkeys(reviewer_people)]
    count, rows = _item_rows(version, parsed_source, sample, slug)
    if not count:
        raise ValidationFailed(N_("dataset version %(ref)s has nothing to annotate in %(table)s"),
                               params={"ref": version.ref, "table": parsed_source.get("table")}, field="source")
    if count > settings.max_items:
        raise ValidationFailed(N_("a project holds at most %(max)s items"), params={"max": settings.max_items},
                               field="source")
    project = Project(slug=slug, title=(title or slug)[:200], kind=kind_value, organization_id=org.id,
                      version_id=version.id, grant_id=grant.id if grant else None, source=parsed_source,
                      schema=parsed_schema, instructions=(instructions or "")[:20000], overlap=overlap,
                      overlap_percent=overlap_percent, lock_minutes=lock_minutes or settings.default_lock_minutes,
                      skip_policy=skip_policy, qualification_count=qualification_count,
                      qualification_min=qualification_min, gold_rate=gold_rate,
                      annotator_orgs=[o.id for o in orgs], annotator_people=[p.id for p in people],
                      reviewer_people=[p.id for p in reviewers], study=study, state=ProjectState.open,
                      created_by_id=actor.id if actor else None)
    project.organization, project.version = org, version
    session.add(project)
    session.flush()
    add_items(session, project, rows)
    ledger.record(session, "annotation.project_created", f"annotation_project:{project.id}",
                  {"project": slug, "version": version.ref, "root_hash": version.root_hash, "kind": kind_value.value,
                   "items": count, "grant_id": project.grant_id},
                  actor=str(actor.id) if actor else None, org=org.slug)
    return project


def _check_numbers(overlap, overlap_percent, lock_minutes, skip_policy, qualification_count, qualification_min,
                   gold_rate, sample) -> None:
    checks = [
        (isinstance(overlap, int) and 1 <= overlap <= 20, N_("overlap must be 1-20 annotators per item"), "overlap"),
        (isinstance(overlap_percent, int) and 0 <= overlap_percent <= 100,
         N_("the overlapped share must be 0-100 per cent"), "overlap_percent"),
        (lock_minutes is None or isinstance(lock_minutes, int) and 1 <= lock_minutes <= 1440,
         N_("a lock lasts 1-1440 minutes"), "lock_minutes"),
        (skip_policy in ("allow", "reason", "forbid"), N_("skip policy must be allow, reason or forbid"), "skip_policy"),
        (isinstance(qualification_count, int) and 0 <= qualification_count <= 1000,
         N_("a qualification set has 0-1000 gold items"), "qualification_count"),
        (isinstance(qualification_min, int | float) and 0 <= qualification_min <= 1,
         N_("the qualification accuracy must be between 0 and 1"), "qualification_min"),
        (isinstance(gold_rate, int | float) and 0 <= gold_rate <= 0.5,
         N_("the hidden gold rate must be between 0 and 0.5"), "gold_rate"),
        (sample is None or isinstance(sample, int) and sample >= 1, N_("a sample has at least one item"), "sample"),
    ]
    for ok, message, field in checks:
        if not ok:
            raise ValidationFailed(message, field=field)


def add_items(session: Session, project: Project, rows) -> int:
    """Insert items from any iterable of (key, ref); overlap decided per item (``bulk``: COPY or
    executemany of plain tuples, a million in seconds)."""
    from yizhi.annotation import bulk

    def required(key: str) -> int:
        return project.overlap if _overlapped(project.slug, key, project.overlap_percent) else 1

    return bulk.insert_items(session, bulk.item_tuples(project.id, ((k, r, required(k)) for k, r in rows)))


# --- gold, predictions ---------------------------------------------------------------------------

def set_gold(session: Session, project: Project, entries: list[dict]) -> int:
    """Mark items as gold: ``[{"key", "answer", "use": "qualify"|"hidden"}]``; answers checked."""
    if not isinstance(entries, list) or not entries or len(entries) > 10_000:
        raise ValidationFailed(N_("give 1-10000 gold entries"), field="gold")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or entry.get("use", "hidden") not in ("qualify", "hidden"):
            raise ValidationFailed(N_("gold entry %(index)s: give key, answer and use (qualify or hidden)"),
                                   params={"index": index}, field="gold")
        item = get_item(session, project, str(entry.get("key")))
        if item.taken:
            raise Conflict(N_("item %(key)s has been given to annotators already and cannot become gold"),
                           params={"key": item.key})
        item.gold_answer = check_answer(project.schema, entry.get("answer"))
        item.gold = entry.get("use", "hidden")
        item.required = GOLD_REQUIRED
        item.status = ItemStatus.open
    session.flush()
    return len(entries)


def uncertainty(prediction) -> float:
    """How unsure a model is: 1 − |2p − 1| for a probability, normalised entropy for a distribution."""
    if isinstance(prediction, int | float) and not isinstance(prediction, bool):
        p = min(max(float(prediction), 0.0), 1.0)
        return 1 - abs(2 * p - 1)
    if isinstance(prediction, dict) and prediction:
        values = [max(float(v), 0.0) for v in prediction.values() if isinstance(v, int | float)]
        total = sum(values)
        if total <= 0 or len(values) < 2:
            return 0.0
        entropy = -sum(v / total * math.log(v / total) for v in values if v > 0)
        return entropy / math.log(len(values))
    return 0.0


def set_predictions(session: Session, project: Project, entries: list[dict]) -> int:
    """A model's predictions: ``[{"key", "suggestion"?, "probability"?}]`` — the suggestion pre-fills
    the annotator's answer; the probability (or class distribution) sets the priority (most uncertain
    first)."""
    if not isinstance(entries, list) or not entries or len(entries) > 1_000_000:
        raise ValidationFailed(N_("give 1-1000000 predictions"), field="predictions")
    keys = {str(e.get("key")): e for e in entries if isinstance(e, dict)}
    if len(keys) != len(entries):
        raise ValidationFailed(N_("every prediction is an object with a distinct key"), field="predictions")
    wanted, items = list(keys), {}
    for start in range(0, len(wanted), 10_000):     # bounded IN lists
        items.update({i.key: i for i in session.scalars(select(Item).where(
            Item.project_id == project.id, Item.key.in_(wanted[start:start + 10_000])))})
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise ValidationFailed(N_("no item(s) %(keys)s in this project"), params={"keys": ", ".join(unknown[:5])},
                               field="predictions")
    for key, entry in keys.items():
        item = items[key]
        if entry.get("suggestion") is not None:
            item.suggestion = check_answer(project.schema, entry["suggestion"])
        if entry.get("probability") is not None:
            item.priority = round(uncertainty(entry["probability"]), 6)
    session.flush()
    return len(keys)


def progress(session: Session, project: Project) -> dict:
    rows = session.execute(select(Item.status, func.count()).where(Item.project_id == project.id, Item.gold == "")
                           .group_by(Item.status)).all()
    counts = {status.value: 0 for status in ItemStatus}
    counts.update({(s.value if hasattr(s, "value") else s): n for s, n in rows})
    counts["total"] = sum(n for _s, n in rows)
    counts["gold"] = session.scalar(select(func.count()).select_from(Item).where(
        Item.project_id == project.id, Item.gold != "")) or 0
    return counts


def close_project(session: Session, project: Project, actor: Person | None = None) -> None:
    project.state = ProjectState.closed
    ledger.record(session, "annotation.project_closed", f"annotation_project:{project.id}", {"project": project.slug},
                  actor=str(actor.id) if actor else None, org=project.organization.slug)
    session.flush()
