"""The differencing audit: a query whose population differs from an earlier one by a few patients is
refused, because the difference of the two results would describe those few.

A query's *population* is the set of rows of its main table that its joins and filters select and in
which every column the operation uses is present. Before a non-DP query is run, its population is
compared with the population of every earlier *released* non-DP query of the same organisation on the
same dataset version and main table (any of its grants): one DuckDB pass counts, for each earlier
population, the patients with a row in one population but not the other (rows, for a table without a
``patient`` column). A count above zero and below the dataset's minimum count refuses the query.
Identical populations (a count of zero) are fine: the same people described again.

What it covers: the classic pair ("age > 50", then "age > 50 and patient != X"), a population grown
or shrunk by a few rows or patients by any filter, joins or missing values, across the organisation's
grants on the version. What it does not: differences built from three or more queries (A − B − C),
from cells of different tables over the same population, from populations that differ by more than
the threshold but whose results differ in a small subgroup, or across organisations, versions or
tables; and a refusal itself tells the asker that the difference is between 1 and the threshold.
Those are the attacks differential privacy answers: DP queries are not audited, because their noise
protects each patient whatever the other queries were, and their cost is the ε they spend.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.space.engine import quote
from yizhi.space.plan import PATIENT, Plan, _resolve, where_clause
from yizhi.space.query_models import QueryLog
from yizhi.space.query_schemas import Condition

MAX_COMPARED = 500


def population_of(plan: Plan, not_null: list[str]) -> dict:
    """The population as data: main table, joins, filters, required columns (canonical order)."""
    return {"table": plan.table, "joins": sorted(plan.joins),
            "where": [[c.column, c.operator, c.value] for c in plan.conditions],
            "not_null": sorted(set(not_null))}


def population_hash(population: dict) -> str:
    return hashlib.sha256(json.dumps(population, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def earlier_populations(session: Session, organization_id: int, version_id: int, table: str,
                        exclude_hash: str) -> list[tuple[int, dict]]:
    """(query id, population) of earlier released non-DP queries, one per distinct population."""
    rows = session.execute(
        select(QueryLog.id, QueryLog.population, QueryLog.population_hash)
        .where(QueryLog.organization_id == organization_id, QueryLog.version_id == version_id,
               QueryLog.table_name == table, QueryLog.status == "released", QueryLog.dp.is_(False),
               QueryLog.population_hash.is_not(None), QueryLog.population_hash != exclude_hash)
        .order_by(QueryLog.id.desc())).all()
    seen: dict[str, tuple[int, dict]] = {}
    for query_id, population, digest in rows:
        if digest not in seen:
            seen[digest] = (query_id, population)
        if len(seen) >= MAX_COMPARED:
            break
    return list(seen.values())


def closest_difference(con, plan: Plan, population: dict, earlier: list[tuple[int, dict]],
                       threshold: int) -> tuple[int, int] | None:
    """(earlier query id, patients that differ) of the first earlier population that differs from this
    one by more than 0 and fewer than ``threshold`` patients; None when there is none."""
    if not earlier:
        return None
    joins = sorted({*population["joins"], *(j for _, p in earlier for j in p["joins"])})
    aliases = {name: f"t{i}" for i, name in enumerate(joins, start=1)}
    from_sql = f"{quote(plan.table)} AS t0" + "".join(
        f" LEFT JOIN {quote(name)} AS {alias} ON {alias}.{quote(PATIENT)} = t0.{quote(PATIENT)}"
        for name, alias in aliases.items())
    current_sql, params = _predicate(plan, population, aliases)
    differences, diff_params = [], []
    unit = plan.unit_sql or None
    for _, other in earlier:
        other_sql, other_params = _predicate(plan, other, aliases)
        changed = f"(coalesce(({current_sql}), false) <> coalesce(({other_sql}), false))"
        differences.append(f"count(DISTINCT {unit}) FILTER (WHERE {changed})" if unit
                           else f"count(*) FILTER (WHERE {changed})")
        diff_params += [*params, *other_params]
    row = con.execute(f"SELECT {', '.join(differences)} FROM {from_sql}", diff_params).fetchone()
    for (query_id, _), differing in zip(earlier, row, strict=True):
        if 0 < int(differing) < threshold:
            return query_id, int(differing)
    return None


def _predicate(plan: Plan, population: dict, aliases: dict[str, str]) -> tuple[str, list]:
    """SQL that is true for the rows of ``population``, over the main table left-joined to ``aliases``."""
    joins = population["joins"]
    version = plan.version
    columns = {}
    refs = [c[0] for c in population["where"]] + list(population["not_null"])
    for ref in refs:
        column = _resolve(version, population["table"], joins, ref, "where")
        if column.table != population["table"]:
            column.sql = f"{aliases[column.table]}.{quote(column.name)}"
        columns[ref] = column
    conditions = [Condition(column=c[0], operator=c[1], value=c[2]) for c in population["where"]]
    sql, params = where_clause(conditions, columns)
    parts = [sql] if sql else []
    parts += [f"{aliases[j]}.{quote(PATIENT)} IS NOT NULL" for j in joins]
    parts += [f"{columns[r].sql} IS NOT NULL" for r in population["not_null"]]
    return (" AND ".join(f"({p})" for p in parts) or "true"), params
