"""From a checked query to SQL: columns resolved against the version's schema and the grant, joins on
``patient`` only, filters as parameterised SQL.

Every name a query uses — the table, joined tables, each operation parameter and each ``where``
column — is looked up in the version's schema (unknown: 422, named) and then passed to
``grants.require_columns`` (outside the grant: 403, named). Only then is it quoted into SQL; values
are always bound parameters.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from yizhi.access import grants
from yizhi.access.models import GrantDataset
from yizhi.catalog.models import DatasetVersion
from yizhi.errors import N_, ValidationFailed
from yizhi.space import engine
from yizhi.space.engine import quote
from yizhi.space.query_schemas import Condition, QueryIn

PATIENT = "patient"
# the query fields that name columns, and how many each holds
COLUMN_FIELDS = ("rows", "columns", "column", "outcome", "covariates", "time", "event", "group")


@dataclass
class Column:
    ref: str          # as the query wrote it
    table: str
    name: str
    arrow_type: str
    sql: str          # qualified, quoted expression


@dataclass
class Plan:
    version: DatasetVersion
    table: str
    joins: list[str]
    columns: dict[str, Column]
    where_sql: str
    where_params: list
    conditions: list[Condition]
    unit_sql: str | None          # the main table's patient column (the disclosure unit), if it has one
    patient_unique: bool = True   # one row per patient in the main table (or no patient column)
    population_not_null: list[str] = field(default_factory=list)

    @property
    def from_sql(self) -> str:
        sql = f"{quote(self.table)} AS t0"
        for i, name in enumerate(self.joins, start=1):
            sql += f" JOIN {quote(name)} AS t{i} ON t{i}.{quote(PATIENT)} = t0.{quote(PATIENT)}"
        return sql

    def col(self, ref: str) -> Column:
        return self.columns[ref]

    def filtered(self, extra_not_null: list[str] = ()) -> tuple[str, list]:
        """``FROM ... WHERE ...`` of the population, with ``extra_not_null`` columns required present."""
        clauses = [self.where_sql] if self.where_sql else []
        clauses += [f"{self.columns[r].sql} IS NOT NULL" for r in extra_not_null]
        where = (" WHERE " + " AND ".join(f"({c})" for c in clauses)) if clauses else ""
        return f"FROM {self.from_sql}{where}", list(self.where_params)


def build_plan(query: QueryIn, entry: GrantDataset, con) -> Plan:
    version = entry.version
    _require_table(version, query.table, "table")
    grants.allowed_columns(entry, query.table)
    joins = list(dict.fromkeys(query.join))
    for i, name in enumerate(joins):
        _require_table(version, name, f"join[{i}]")
        if name == query.table:
            raise ValidationFailed(N_("join[%(i)s]: a table is not joined to itself"), params={"i": i},
                                   field=f"join[{i}]")
        for table in (query.table, name):
            if PATIENT not in version.columns_of(table):
                raise ValidationFailed(N_("join[%(i)s]: tables are joined on patient, and %(table)s has no patient "
                                          "column"), params={"i": i, "table": table}, field=f"join[{i}]")
    refs = _column_refs(query)
    resolved = {ref: _resolve(version, query.table, joins, ref, where) for ref, where in refs}
    _require_granted(entry, query.table, joins, resolved.values())
    for i, name in enumerate(joins):
        if not _patient_unique(con, version, name):
            raise ValidationFailed(N_("join[%(i)s]: %(table)s has several rows per patient; join only tables with "
                                      "one row per patient"), params={"i": i, "table": name}, field=f"join[{i}]")
    conditions = query.conditions()
    where_sql, params = where_clause(conditions, resolved)
    has_patient = PATIENT in version.columns_of(query.table)
    return Plan(version=version, table=query.table, joins=joins, columns=resolved, where_sql=where_sql,
                where_params=params, conditions=conditions,
                unit_sql=f"t0.{quote(PATIENT)}" if has_patient else None,
                patient_unique=(not has_patient) or _patient_unique(con, version, query.table))


def _require_table(version: DatasetVersion, table: str, field_name: str) -> None:
    if table not in (version.tables or {}):
        raise ValidationFailed(N_("dataset version %(ref)s has no table %(table)s"),
                               params={"ref": version.ref, "table": table}, field=field_name)


def _column_refs(query: QueryIn) -> list[tuple[str, str]]:
    """(column reference, the field naming it) for every column the query names anywhere."""
    refs: list[tuple[str, str]] = []
    for name in COLUMN_FIELDS:
        value = getattr(query, name)
        if value is None:
            continue
        if isinstance(value, list):
            refs += [(v, f"{name}[{i}]") for i, v in enumerate(value)]
        else:
            refs.append((value, name))
    refs += [(c.column, f"where[{i}][0]") for i, c in enumerate(query.conditions())]
    seen: dict[str, str] = {}
    for ref, where in refs:
        seen.setdefault(ref, where)
    return list(seen.items())


def _resolve(version: DatasetVersion, table: str, joins: list[str], ref: str, where: str) -> Column:
    main = version.columns_of(table)
    if ref in main:
        return Column(ref, table, ref, main[ref], f"t0.{quote(ref)}")
    prefix, dot, name = ref.partition(".")
    if dot and prefix in joins and name in version.columns_of(prefix):
        index = joins.index(prefix) + 1
        return Column(ref, prefix, name, version.columns_of(prefix)[name], f"t{index}.{quote(name)}")
    if dot and prefix in (version.tables or {}) and prefix not in joins and prefix != table:
        raise ValidationFailed(N_("%(field)s: column %(column)s is in table %(table)s, which the query does not join"),
                               params={"field": where, "column": ref, "table": prefix}, field=where)
    raise ValidationFailed(N_("%(field)s: table %(table)s has no column %(column)s"),
                           params={"field": where, "table": table, "column": ref}, field=where)


def _require_granted(entry: GrantDataset, table: str, joins: list[str], columns) -> None:
    by_table: dict[str, list[str]] = {table: [], **{j: [PATIENT] for j in joins}}
    if joins:
        by_table[table].append(PATIENT)
    for column in columns:
        by_table.setdefault(column.table, []).append(column.name)
    for name, names in by_table.items():
        grants.require_columns(entry, name, names)


# --- filters --------------------------------------------------------------------------------------

_SQL_OPERATORS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def where_clause(conditions: list[Condition], columns: dict[str, Column]) -> tuple[str, list]:
    parts, params = [], []
    for i, condition in enumerate(conditions):
        column = columns[condition.column]
        sql, values = _condition_sql(condition, column, i)
        parts.append(sql)
        params += values
    return " AND ".join(parts), params


def _condition_sql(condition: Condition, column: Column, index: int) -> tuple[str, list]:
    op, value, field_name = condition.operator, condition.value, f"where[{index}][2]"
    if op == "is_null":
        return f"{column.sql} IS {'' if value is not False else 'NOT '}NULL", []
    if op == "in":
        values = [_typed(v, column, field_name) for v in value]
        marks = ", ".join(_placeholder(column) for _ in values)
        return f"{column.sql} IN ({marks})", values
    if op == "between":
        low, high = (_typed(v, column, field_name) for v in value)
        return f"{column.sql} BETWEEN {_placeholder(column)} AND {_placeholder(column)}", [low, high]
    if op not in ("=", "!=") and engine.arrow_type_is_text_or_bool(column.arrow_type):
        raise ValidationFailed(N_("%(field)s: %(operator)s compares numbers or dates, and %(column)s holds %(type)s"),
                               params={"field": f"where[{index}][1]", "operator": op, "column": column.ref,
                                       "type": column.arrow_type}, field=f"where[{index}][1]")
    return f"{column.sql} {_SQL_OPERATORS[op]} {_placeholder(column)}", [_typed(value, column, field_name)]


def _placeholder(column: Column) -> str:
    if column.arrow_type.startswith("date"):
        return "CAST(? AS DATE)"
    if column.arrow_type.startswith("timestamp"):
        return "CAST(? AS TIMESTAMP)"
    return "?"


def _typed(value, column: Column, field_name: str):
    kind = column.arrow_type
    wrong = ValidationFailed(N_("%(field)s: %(value)s does not fit column %(column)s (%(type)s)"),
                             params={"field": field_name, "value": repr(value)[:60], "column": column.ref,
                                     "type": kind}, field=field_name)
    if kind == "bool":
        if not isinstance(value, bool):
            raise wrong
        return value
    if engine.is_numeric(kind):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
        return value
    if engine.is_temporal(kind):
        return _date_text(value, wrong)
    if not isinstance(value, str):
        raise wrong
    return value


def _date_text(value, wrong) -> str:
    import datetime as dt

    if not isinstance(value, str):
        raise wrong
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise wrong from None
    return value


# --- facts about a table, cached per version (versions never change) ------------------------------

_UNIQUE: dict[tuple[int, str, str], bool] = {}
_UNIQUE_LOCK = threading.Lock()


def _patient_unique(con, version: DatasetVersion, table: str) -> bool:
    key = (version.id, version.root_hash or "", table)
    with _UNIQUE_LOCK:
        if key in _UNIQUE:
            return _UNIQUE[key]
    patient = quote(PATIENT)
    rows, distinct = con.execute(f"SELECT count(*), count(DISTINCT {patient}) FROM {quote(table)}").fetchone()
    unique = rows == distinct
    with _UNIQUE_LOCK:
        _UNIQUE[key] = unique
    return unique
