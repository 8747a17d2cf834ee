"""The readable event history: names not ids, both languages, filters, paging, CSV with escaped
cells; commission staff see everything, an owner only their organisation's events, others nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from yizhi import ledger
from yizhi.accounts import service as accounts
from yizhi.db import utcnow


def _record(db, kind, subject, actor, org, data=None):
    ledger.record(db, kind, subject, data or {"x": 1}, actor=actor, org=org)


def _count(db, **where):
    from sqlalchemy import func, select

    from yizhi.ledger.models import LedgerEntry

    stmt = select(func.count()).select_from(LedgerEntry)
    for column, value in where.items():
        stmt = stmt.where(getattr(LedgerEntry, column) == value)
    return db.scalar(stmt)


def _world(db, cast):
    hospital = accounts.get_org_by_slug(db, "hospital")
    admin = accounts.get_person_by_email(db, cast.admin.email)
    owner = accounts.get_person_by_email(db, cast.owner.email)
    _record(db, "org.approved", f"org:{hospital.id}", f"user:{admin.id}", "hospital")
    _record(db, "token.created", f"person:{owner.id}", str(owner.id), "hospital")
    _record(db, "member.added", f"person:{owner.id}", "system", "other-hospital")
    db.commit()
    return hospital, admin, owner


def test_commission_reads_names_in_both_languages(cast, db, web):
    _world(db, cast)
    admin = web(cast.admin)
    zh = admin.get("/ledger/history?lang=zh").text
    assert "管理员" in zh and "第一医院" in zh and "张院长" in zh   # people and organisations by name
    assert "批准" in zh                                              # "approved an organisation", in Chinese
    assert "org.approved" not in zh.split("<tbody>")[1].split("</tbody>")[0].replace('data-kind="org.approved"', "")
    en = admin.get("/ledger/history?lang=en").text
    assert "approved an organisation" in en and f"{_count(db)} event(s)" in en
    assert "the platform" in en  # the system actor, in words


def test_owner_sees_only_their_organisation_and_others_are_refused(cast, db, web):
    _world(db, cast)
    owner = web(cast.owner).get("/ledger/history?lang=en").text
    assert f"{_count(db, org='hospital')} event(s)" in owner and 'data-kind="token.created"' in owner
    assert "另一医院" not in owner.split("<tbody>")[1]  # the other hospital's events stay out
    assert "0 event(s)" in web(cast.owner).get("/ledger/history?lang=en&org=other-hospital").text
    assert web(cast.colleague).get("/ledger/history").status_code == 403
    assert web(cast.company).get("/ledger/history.csv").status_code == 403
    assert web().get("/ledger/history").status_code == 303


def test_filters_person_kind_dates_and_paging(cast, db, web):
    hospital, admin, owner = _world(db, cast)
    for number in range(55):
        _record(db, "need.published", f"need:{number + 1000}", f"user:{owner.id}", "hospital")
    db.commit()
    client = web(cast.admin)
    assert "55 event(s)" in client.get("/ledger/history?lang=en&kind=need.published").text
    assert "1 event(s)" in client.get(f"/ledger/history?lang=en&who={cast.admin.email}").text
    assert "0 event(s)" in client.get("/ledger/history?lang=en&who=nobody@nowhere.test").text
    today = (utcnow() + timedelta(hours=8)).date()
    assert f"{_count(db)} event(s)" in client.get(f"/ledger/history?lang=en&since={today}&until={today}").text
    assert "0 event(s)" in client.get(f"/ledger/history?lang=en&since={today + timedelta(days=1)}").text
    bad = client.get("/ledger/history?lang=zh&since=not-a-date")
    assert bad.status_code == 422 and "not-a-date" in bad.text
    second = client.get("/ledger/history?lang=en&page=2&kind=need.published").text
    assert second.count("<tr data-kind=") == 5 and "Page 2 of 2" in second


def test_csv_export_names_and_escapes_formulas(cast, db, web):
    hospital, admin, owner = _world(db, cast)
    owner_row = db.get(type(owner), owner.id)
    owner_row.display_name = "=HYPERLINK(\"http://x\")"
    db.commit()
    response = web(cast.admin).get("/ledger/history.csv?lang=en")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Entry", "Time (UTC)", "Organisation"] and len(rows) == _count(db) + 1
    who = [row[3] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://x\")" in who and not any(cell.startswith("=") for row in rows for cell in row)
    zh = web(cast.owner).get("/ledger/history.csv?lang=zh").text
    assert "条目" in zh or "时间" in zh
    assert zh.count("\n") == _count(db, org="hospital") + 1  # header + the hospital's events only
