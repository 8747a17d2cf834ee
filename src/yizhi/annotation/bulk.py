"""Inserting a project's items fast: a project may hold a million.

The ORM (and even a Core ``insert()`` with a list of dicts) builds and processes one parameter dict per
row; for a million rows that is minutes. Here rows are plain tuples in the table's column order,
written with ``COPY … FROM STDIN`` on PostgreSQL and one ``executemany`` per chunk on SQLite, inside
the caller's transaction (nothing is committed here, so a failure leaves no half project).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator

from sqlalchemy.orm import Session

from yizhi.annotation.models import Item

CHUNK = 50_000
# every NOT NULL column without a server default; the rest (suggestion, gold_answer …) stay NULL
COLUMNS = ("project_id", "key", "ref", "status", "required", "taken", "answered", "priority", "gold",
           "final_source", "adjudication_comment")


def item_tuples(project_id: int, rows: Iterable[tuple[str, dict, int]]) -> Iterator[tuple]:
    """(key, ref, required) → a row of ``annotation_items`` in ``COLUMNS`` order."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    for key, ref, required in rows:
        yield (project_id, key, dumps(ref), "open", required, 0, 0, 0.0, "", "", "")


def insert_items(session: Session, rows: Iterable[tuple]) -> int:
    """Write item tuples (see ``item_tuples``) in the session's transaction; returns how many."""
    session.flush()
    connection = session.connection()
    names = ", ".join(COLUMNS)
    table = Item.__tablename__
    if connection.dialect.name == "postgresql":
        return _copy(connection, f"COPY {table} ({names}) FROM STDIN", rows)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"
    cursor = connection.connection.dbapi_connection.cursor()
    total, rows = 0, iter(rows)
    try:
        while chunk := list(itertools.islice(rows, CHUNK)):
            cursor.executemany(sql, chunk)
            total += len(chunk)
    finally:
        cursor.close()
    return total


def _copy(connection, statement: str, rows: Iterable[tuple]) -> int:
    total = 0
    with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            total += 1
    return total
