"""The differencing audit: a query whose population differs from an earlier one by a few patients is
refused, because the difference of the two results would describe those few.

A query's *population* is the set of rows of its main table that its joins and filters select and in
which every column the operation uses is present. Before a non-DP query is released, its population
is compared with the population of every earlier *released* non-DP query of the same organisation on
the same dataset version and main table (any of its grants): one DuckDB pass counts, for each earlier
population, the patients with a row in one population but not the other (rows, for a table without a
``patient`` column). A count above zero and below the dataset's minimum count refuses the query.
Identical populations (a count of zero) are fine: the same people described again.

Cost: every population is kept with its size (patients), which the operation counts anyway. Two
populations whose sizes differ by the threshold or more differ in at least that many patients, so only
earlier populations of nearly the same size reach the data pass — usually none, since a cohort cut
another way rarely lands within a few patients of an earlier one. The pass itself counts rows, not
distinct pseudonyms, where the table has one row per patient.

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


def population_units(con, plan: Plan, population: dict) -> int:
    """Patients in ``population`` (rows for a table without ``patient``), for operations that did not count them."""
    source, params = plan.filtered(population["not_null"])
    unit = "count(*)" if plan.patient_unique or plan.unit_sql is None else f"count(DISTINCT {plan.unit_sql})"
    return int(con.execute(f"SELECT {unit} {source}", params).fetchone()[0])


def may_differ_by_few(units: int, other: dict, threshold: int) -> bool:
    """Whether an earlier population could differ from one of ``units`` patients by 1 to threshold − 1.

    Two sets of sizes a and b differ in at least |a − b| members, so an earlier population whose size
    (kept with it since this round of the audit) is ``threshold`` or more away cannot be the other half
    of a differencing pair; only populations of nearly the same size need the data pass."""
    known = other.get("units")
    return not isinstance(known, int) or abs(known - units) < threshold


def closest_difference(con, plan: Plan, population: dict, earlier: list[tuple[int, dict]],
                       threshold: int) -> tuple[int, int] | None:
    """(earlier query id, patients that differ) of the first earlier population that differs from this
    one by more than 0 and fewer than ``threshold`` patients; None when there is none.

    One DuckDB pass over the main table (left-joined to every table any of the populations joins).
    Where a row is a patient and each earlier population's size was kept with it (``"units"``), the
    pass scans this population's rows alone (its filters are pushed into the Parquet scan), counting
    them and those also in each earlier population: the difference is |A| + |B| − 2|A ∩ B|.
    Otherwise it counts, for each earlier population, the rows or distinct patients in exactly one of
    the two, over every row of the table."""
    if not earlier:
        return None
    if plan.patient_unique and all(isinstance(p.get("units"), int) for _, p in earlier):
        return _closest_by_intersection(con, plan, population, earlier, threshold)
    from_sql, aliases = _joined(plan, population, earlier)
    current_sql, params = _predicate(plan, population, aliases)
    differences, diff_params = [], []
    # a row is a patient where the main table has one row per patient: count rows, not distinct pseudonyms
    unit = None if plan.patient_unique else plan.unit_sql
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


def _closest_by_intersection(con, plan: Plan, population: dict, earlier: list[tuple[int, dict]],
                             threshold: int) -> tuple[int, int] | None:
    from_sql, aliases = _joined(plan, population, earlier)
    current_sql, params = _predicate(plan, population, aliases)
    shared, shared_params = [], []
    for _, other in earlier:
        other_sql, other_params = _predicate(plan, other, aliases)
        shared.append(f"count(*) FILTER (WHERE coalesce(({other_sql}), false))")
        shared_params += other_params
    # this population's own size is counted in the same pass (rather than trusted from the operation)
    row = con.execute(f"SELECT count(*), {', '.join(shared)} FROM {from_sql} WHERE {current_sql}",
                      [*shared_params, *params]).fetchone()
    size = int(row[0])
    for (query_id, other), both in zip(earlier, row[1:], strict=True):
        differing = size + int(other["units"]) - 2 * int(both)
        if 0 < differing < threshold:
            return query_id, differing
    return None


def _joined(plan: Plan, population: dict, earlier: list[tuple[int, dict]]) -> tuple[str, dict[str, str]]:
    """The main table left-joined to every table any of the populations joins, and their aliases."""
    joins = sorted({*population["joins"], *(j for _, p in earlier for j in p["joins"])})
    aliases = {name: f"t{i}" for i, name in enumerate(joins, start=1)}
    from_sql = f"{quote(plan.table)} AS t0" + "".join(
        f" LEFT JOIN {quote(name)} AS {alias} ON {alias}.{quote(PATIENT)} = t0.{quote(PATIENT)}"
        for name, alias in aliases.items())
    return from_sql, aliases


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
