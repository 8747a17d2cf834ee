"""Needs-list releases: numbered, versioned snapshots of the approved needs, and their exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yizhi.accounts.models import Organization, OrgKind, Person
from yizhi.db import utcnow
from yizhi.errors import N_, Conflict, NotFound, ValidationFailed
from yizhi.exports import safe_cell, safe_row
from yizhi.needs.common import check, write_ledger
from yizhi.needs.models import Need, NeedStatus, Release


RELEASED_STATES = (NeedStatus.published, NeedStatus.in_engagement, NeedStatus.piloting)  # what a list takes

RELEASE_COLUMNS = (
    ("no", "序号 No."), ("need_id", "需求编号 ID"), ("title", "需求名称 Title"), ("organization", "提出单位 Hospital"),
    ("department", "科室 Department"), ("category", "类别 Category"), ("importance", "重要性 Importance"),
    ("urgency", "紧迫性 Urgency"), ("description", "需求描述 Description"), ("modalities", "数据模态 Modalities"),
    ("data_available", "可提供数据 Data available"), ("expected_outcome", "预期成果 Expected outcome"),
    ("success_measures", "评价指标 Success measures"), ("budget", "预算(万元) Budget (10k CNY)"),
    ("deadline", "截止日期 Deadline"), ("contact", "联系人 Contact"),
)


def _snapshot_row(position: int, need: Need) -> dict:
    budget = ""
    if need.budget_min is not None or need.budget_max is not None:
        budget = f"{need.budget_min if need.budget_min is not None else ''}-{need.budget_max if need.budget_max is not None else ''}"
    return {
        "no": position,
        "need_id": need.id,
        "title": need.title,
        "organization": need.organization.name,
        "organization_en": need.organization.name_en or "",
        "department": need.department,
        "category": need.category,
        "importance": need.importance.value,
        "urgency": need.urgency.value,
        "description": need.description,
        "modalities": "、".join(need.modalities or []),
        "data_available": need.data_available,
        "expected_outcome": need.expected_outcome,
        "success_measures": need.success_measures,
        "budget": budget,
        "deadline": need.deadline.isoformat() if need.deadline else "",
        "contact": " ".join(x for x in (need.contact_name, need.contact_info) if x),
    }


def _snapshot_hash(rows: list[dict]) -> str:
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def released_need_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for snapshot in session.scalars(select(Release.snapshot)):
        ids.update(row["need_id"] for row in snapshot)
    return ids


def release_needs_list(session: Session, person: Person | None, *, title: str | None = None, notes: str = "",
                       year: int | None = None) -> Release:
    """Freeze the approved needs not yet in any list into the next numbered list of the year."""
    check(person, "needs.release", None)
    year = year or utcnow().year
    already = released_need_ids(session)
    needs = [
        n for n in session.scalars(select(Need).where(Need.status.in_(RELEASED_STATES)).order_by(Need.published_at, Need.id))
        if n.id not in already
    ]
    if not needs:
        raise Conflict("there is no approved need that is not already in a released list")
    number = (session.scalar(select(func.max(Release.number)).where(Release.year == year)) or 0) + 1
    rows = [_snapshot_row(i + 1, n) for i, n in enumerate(needs)]
    release = Release(
        year=year, number=number, version=1,
        title=title or f"{year}年第{number}期医疗人工智能临床需求清单",
        notes=notes, snapshot=rows, snapshot_sha256=_snapshot_hash(rows), need_count=len(rows),
        org_id=_commission_org_id(session, person), released_by_id=person.id if person else None,
    )
    session.add(release)
    session.flush()
    write_ledger(session, "needs_list.released", f"needs_list:{release.id}",
            {"year": year, "number": number, "version": 1, "need_ids": [r["need_id"] for r in rows],
             "sha256": release.snapshot_sha256}, person, session.get(Organization, release.org_id))
    return release


def revise_release(session: Session, person: Person | None, release: Release, notes: str = "") -> Release:
    """A new version of a list: the same needs, as they read now. Earlier versions stay as they were."""
    check(person, "needs.release", None)
    latest = session.scalar(select(func.max(Release.version)).where(Release.year == release.year,
                                                                      Release.number == release.number))
    needs = [session.get(Need, row["need_id"]) for row in release.snapshot]
    rows = [_snapshot_row(i + 1, n) for i, n in enumerate(n for n in needs if n is not None)]
    revised = Release(
        year=release.year, number=release.number, version=(latest or 1) + 1, title=release.title,
        notes=notes or release.notes, snapshot=rows, snapshot_sha256=_snapshot_hash(rows), need_count=len(rows),
        org_id=release.org_id, released_by_id=person.id if person else None,
    )
    session.add(revised)
    session.flush()
    write_ledger(session, "needs_list.released", f"needs_list:{revised.id}",
            {"year": revised.year, "number": revised.number, "version": revised.version,
             "need_ids": [r["need_id"] for r in rows], "sha256": revised.snapshot_sha256},
            person, session.get(Organization, revised.org_id))
    return revised


def _commission_org_id(session: Session, person: Person | None) -> int:
    if person is not None:
        for m in person.memberships:
            if m.organization.kind == OrgKind.commission and m.organization.approved:
                return m.organization_id
    org_id = session.scalar(select(Organization.id).where(Organization.kind == OrgKind.commission).order_by(Organization.id))
    if org_id is None:
        raise ValidationFailed("no commission organisation exists to publish the list", field="org")
    return org_id


def get_release(session: Session, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(N_("no needs list %(release_id)s"), params={"release_id": release_id})
    return release


def list_releases(session: Session) -> list[Release]:
    return list(session.scalars(select(Release).order_by(Release.year.desc(), Release.number.desc(), Release.version.desc())))


def _export_row(row: dict) -> dict:
    """A snapshot row as the bilingual exports print it: the organisation as 中文名 (English name)."""
    english = row.get("organization_en")
    if english and english != row.get("organization"):
        return {**row, "organization": f"{row.get('organization', '')} ({english})"}
    return row


def release_csv(release: Release) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([label for _, label in RELEASE_COLUMNS])
    for row in map(_export_row, release.snapshot):
        writer.writerow(safe_row(row.get(key, "") for key, _ in RELEASE_COLUMNS))  # no formulas (CWE-1236)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def release_xlsx(release: Release) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{release.year}-{release.number}"
    sheet.append([safe_cell(release.title + (f"（第{release.version}版）" if release.version > 1 else ""))])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"SHA-256 {release.snapshot_sha256}"])
    sheet.append([label for _, label in RELEASE_COLUMNS])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in map(_export_row, release.snapshot):
        sheet.append(safe_row(row.get(key, "") for key, _ in RELEASE_COLUMNS))  # text, never a formula
    for column, width in zip("ABCDEFGHIJKLMNOP", (6, 10, 30, 24, 14, 16, 10, 10, 60, 16, 30, 30, 30, 14, 12, 24), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
