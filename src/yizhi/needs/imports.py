"""Bulk import of needs and solutions (CLI and upload job): all records or none."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.accounts.models import OrgKind
from yizhi.db import utcnow
from yizhi.errors import N_, ValidationFailed, localize_problem, problem
from yizhi.exports import unescape_cell
from yizhi.needs import permissions
from yizhi.needs.common import fill_category, org_by_slug
from yizhi.needs.index import need_document, solution_document, vector_to_bytes
from yizhi.needs.lifecycle import publish_need, set_need_fields
from yizhi.needs.matching.dense import default_encoder
from yizhi.needs.models import Need, NeedStatus, Solution, SolutionStatus
from yizhi.needs.schemas import NeedImport, SolutionImport
from yizhi.needs.solutions import SOLUTION_FIELDS


@dataclass
class ImportProblem:
    """A bad line of an import: an English msgid and its values, shown in each reader's language."""

    line: int
    field: str
    msgid: str
    params: dict = dataclass_field(default_factory=dict)
    translate: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return localize_problem({**self.as_problem(), "line": None}, lambda text: text)

    def as_problem(self) -> dict:
        return problem(self.msgid, self.params, line=self.line, field=self.field or None, translate=self.translate)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", field {self.field!r}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    suggested_categories: int = 0
    problems: list[ImportProblem] = dataclass_field(default_factory=list)
    ids: list[int] = dataclass_field(default_factory=list)


MAX_IMPORT_PROBLEMS = 1000  # a file that is wrong everywhere is reported by its first thousand lines


def read_records(path: Path, suffix: str | None = None, name: str | None = None) -> list[tuple[int, dict]]:
    """(line number, record) pairs from .jsonl or .csv. A file that cannot be read at all raises
    ValidationFailed; lines that are not records raise one ValidationFailed listing *every* such line.

    `suffix` overrides the file's own (uploads are stored under their SHA-256, without one); `name` is
    what messages call the file (never a path on the server)."""
    shown = name or path.name
    suffix = (suffix or path.suffix).lower()
    if suffix not in (".jsonl", ".csv"):
        raise ValidationFailed(N_("%(file)s: expected a .jsonl or .csv file, not %(suffix)s"),
                               params={"file": shown, "suffix": suffix or "-"}, field="FILE")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValidationFailed(N_("%(file)s: no such file"), params={"file": shown}, field="FILE") from None
    except UnicodeDecodeError as exc:
        raise ValidationFailed(N_("%(file)s: not UTF-8 text (byte %(byte)s); save it as UTF-8"),
                               params={"file": shown, "byte": exc.start}, field="FILE") from None
    records: list[tuple[int, dict]] = []
    bad: list[dict] = []
    if suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                bad.append(problem(N_("not valid JSON (%(reason)s at column %(column)s)"),
                                   {"reason": getattr(exc, "msg", "too deeply nested"),
                                    "column": getattr(exc, "colno", 1)}, line=number))
                continue
            if not isinstance(record, dict):
                bad.append(problem(N_("expected a JSON object"), line=number))
                continue
            records.append((number, record))
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames:
            raise ValidationFailed(N_("%(file)s: the CSV file has no header line"), params={"file": shown},
                                   field="FILE")
        for record in reader:
            if None in record:
                bad.append(problem(N_("more values than header columns"), line=reader.line_num))
                continue
            if not any((v or "").strip() for v in record.values()):
                continue
            records.append((reader.line_num, {k.strip(): unescape_cell(v) for k, v in record.items() if k}))
    if bad:
        raise ValidationFailed(N_("%(file)s: %(count)s line(s) cannot be read; nothing was imported"),
                               params={"file": shown, "count": len(bad)}, field="FILE",
                               problems=bad[:MAX_IMPORT_PROBLEMS])
    if not records:
        raise ValidationFailed(N_("%(file)s: no records found"), params={"file": shown}, field="FILE")
    return records


def validate_records(records: list[tuple[int, dict]], schema) -> tuple[list[tuple[int, object]], list[ImportProblem]]:
    """Every problem of every line (not only the first), each as msgid + values."""
    from yizhi.web.validation import as_problems, labels_of

    labels = labels_of(schema)
    valid, problems = [], []
    seen_ids: dict[str, int] = {}
    for line, record in records:
        try:
            item = schema.model_validate(record)
        except ValidationError as exc:
            for found in as_problems(exc.errors(), labels, line=line):
                problems.append(ImportProblem(line, found["field"] or "", found["message"], found["params"],
                                              tuple(found["translate"])))
            continue
        if item.id is not None:
            if item.id in seen_ids:
                problems.append(ImportProblem(line, "id", N_("id %(id)s is also on line %(other)s"),
                                              {"id": item.id, "other": seen_ids[item.id]}))
                continue
            seen_ids[item.id] = line
        valid.append((line, item))
    return valid, problems


def import_needs(session: Session, path: Path, org_slug: str, *, publish: bool = False, progress=None,
                 suffix: str | None = None, name: str | None = None) -> ImportReport:
    """Import needs into `org_slug`; all or nothing. Existing external ids are updated (if still editable)."""
    org = org_by_slug(session, org_slug)
    if org.kind != OrgKind.hospital:
        raise ValidationFailed(N_("%(org_slug)s is a %(kind)s, not a hospital"), params={"org_slug": org_slug, "kind": org.kind.value}, field="--org")
    valid, problems = validate_records(read_records(path, suffix, name), NeedImport)
    report = ImportReport(problems=problems)
    if problems:
        return report
    existing = {n.external_id: n for n in session.scalars(select(Need).where(Need.org_id == org.id, Need.external_id.is_not(None)))}
    for line, item in valid:
        current = existing.get(item.id) if item.id else None
        if current is not None and current.status not in permissions.EDITABLE_NEED_STATES:
            report.problems.append(ImportProblem(
                line, "id", N_("need %(id)s is already %(status)s and cannot be changed by an import"),
                {"id": item.id, "status": current.status.value}, ("status",)))
    if report.problems:
        return report
    docs, rows = [], []
    for line, item in valid:
        need = existing.get(item.id) if item.id else None
        if need is None:
            need = Need(org_id=org.id, external_id=item.id, status=NeedStatus.draft, category="other")
            session.add(need)
            report.imported += 1
        else:
            report.updated += 1
        set_need_fields(need, item)
        need.updated_at = utcnow()
        rows.append((need, item))
        docs.append(need_document(need))
    _bulk_embed_and_categorise(rows, docs, report, progress)
    session.flush()
    for need, _ in rows:
        if publish:
            need.status = NeedStatus.under_review  # the operator's import is the review
            publish_need(session, None, need, "imported")
        report.ids.append(need.id)
    session.flush()
    return report


def import_solutions(session: Session, path: Path, org_slug: str, *, progress=None,
                     suffix: str | None = None, name: str | None = None) -> ImportReport:
    org = org_by_slug(session, org_slug)
    if org.kind not in (OrgKind.company, OrgKind.university):
        raise ValidationFailed(N_("%(org_slug)s is a %(kind)s, not a company or university"), params={"org_slug": org_slug, "kind": org.kind.value}, field="--org")
    valid, problems = validate_records(read_records(path, suffix, name), SolutionImport)
    report = ImportReport(problems=problems)
    if problems:
        return report
    existing = {s.external_id: s for s in session.scalars(select(Solution).where(Solution.org_id == org.id, Solution.external_id.is_not(None)))}
    docs, rows = [], []
    for _line, item in valid:
        solution = existing.get(item.id) if item.id else None
        if solution is None:
            solution = Solution(org_id=org.id, external_id=item.id, status=SolutionStatus.published, category="other")
            session.add(solution)
            report.imported += 1
        else:
            report.updated += 1
        for name in SOLUTION_FIELDS:
            setattr(solution, name, getattr(item, name))
        solution.updated_at = utcnow()
        rows.append((solution, item))
        docs.append(solution_document(solution))
    _bulk_embed_and_categorise(rows, docs, report, progress)
    session.flush()
    report.ids = [s.id for s, _ in rows]
    return report


def _bulk_embed_and_categorise(rows, docs, report: ImportReport, progress=None) -> None:
    encoder = default_encoder()
    batch = 64
    for start in range(0, len(rows), batch):
        chunk = slice(start, start + batch)
        vectors = encoder.encode([d.dense_text() for d in docs[chunk]])
        for (row, item), vector in zip(rows[chunk], vectors, strict=True):
            row.embedding, row.embedding_model = vector_to_bytes(vector), encoder.name
            fill_category(row, item.category, vector)
            report.suggested_categories += int(row.category_suggested)
        if progress is not None:
            progress(min(start + batch, len(rows)), len(rows))
