"""Frequency and magnitude tables (count, crosstab, sum, mean, histogram) with cell suppression.

Counts are of rows; the disclosure threshold is judged on *patients* (distinct ``patient`` of the main
table, or rows when it has no such column): a cell of 40 lab results from 3 patients is a cell of 3.
Cells and margins below the threshold are suppressed, then complementary cells (see
:mod:`yizhi.space.suppression`), then, if the owner asked for it, published counts are rounded.
"""

from __future__ import annotations

import itertools

import numpy as np

from yizhi.errors import N_, ValidationFailed
from yizhi.space import disclosure
from yizhi.space.disclosure import DisclosureRules
from yizhi.space.engine import quote
from yizhi.space.plan import Plan
from yizhi.space.query_schemas import QueryIn
from yizhi.space.results import Release, plain, sort_key
from yizhi.space.settings import get_query_settings
from yizhi.space.suppression import SuppressedTable, suppress


def count(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    source, params = plan.filtered()
    n, units = con.execute(f"SELECT count(*), {_units(plan)} {source}", params).fetchone()
    if disclosure.small_count(units, rules):
        return Release({"n": None}, ["n"], population_n=n)
    return Release({"n": disclosure.round_count(int(n), rules)}, [], population_n=n)


def _units(plan: Plan) -> str:
    return "count(*)" if plan.patient_unique or plan.unit_sql is None else f"count(DISTINCT {plan.unit_sql})"


# --- two-way layout ------------------------------------------------------------------------------

class Grid:
    """Levels of the row and column variables and a cell per combination (all combinations)."""

    def __init__(self, rows: list[str], columns: list[str], keys: list[tuple]):
        self.rows, self.columns = rows, columns
        dims = rows + columns
        levels = [sorted({k[i] for k in keys}, key=sort_key) for i in range(len(dims))]
        self.row_keys = list(itertools.product(*levels[: len(rows)])) or [()]
        self.column_keys = list(itertools.product(*levels[len(rows):])) or [()]
        self.row_index = {k: i for i, k in enumerate(self.row_keys)}
        self.column_index = {k: i for i, k in enumerate(self.column_keys)}

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_keys), len(self.column_keys)

    def position(self, key: tuple) -> tuple[int, int]:
        return self.row_index[key[: len(self.rows)]], self.column_index[key[len(self.rows):]]

    def label(self, names: list[str], key: tuple) -> dict:
        return {name: plain(value) for name, value in zip(names, key, strict=True)}


def _too_many_cells(limit: int) -> ValidationFailed:
    return ValidationFailed(N_("the table would have more than %(max)s cells; use fewer or coarser variables"),
                            params={"max": limit}, field="rows")


def grouping_sets(plan: Plan, con, rows: list[str], columns: list[str], measures: str, source: str,
                  params: list, value_sql: str | None = None, combine=None) -> tuple[dict[tuple, tuple], list[tuple]]:
    """Cells, row margins, column margins and total of ``measures`` over the rows of ``source``:
    ({(the dims grouped by, their values): measured}, the cells' keys).

    Where a patient has one row (or there is no patient column), margins are added up from the cells
    with ``combine`` — one GROUP BY instead of four grouping sets; else DuckDB's GROUPING SETS."""
    dims = rows + columns
    limit = get_query_settings().query_max_cells
    names = [f"d{i}" for i in range(len(dims))]
    per_row = plan.unit_sql is None or plan.patient_unique
    selects = [f"{plan.col(d).sql} AS {n}" for d, n in zip(dims, names, strict=True)]
    selects.append("1 AS u" if per_row else f"{plan.unit_sql} AS u")
    if value_sql is not None:
        selects.append(f"CAST({value_sql} AS DOUBLE) AS v")
    inner = f"SELECT {', '.join(selects)} {source}"
    if value_sql is not None:   # contributions: one per patient (or row) and group
        if per_row:
            inner = f"SELECT {', '.join(names)}{', ' if names else ''}v AS c, 1 AS k FROM ({inner})"
        else:
            group = ", ".join([*names, "u"])
            inner = f"SELECT {group}, sum(v) AS c, count(*) AS k FROM ({inner}) GROUP BY {group}"
    if not dims:
        return {((), ()): tuple(con.execute(f"SELECT {measures} FROM ({inner})", params).fetchone())}, [()]
    if per_row and combine is not None:
        found = con.execute(f"SELECT {', '.join(names)}, {measures} FROM ({inner}) GROUP BY ALL LIMIT {limit + 1}",
                            params).fetchall()
        if len(found) > limit:
            raise _too_many_cells(limit)
        cells = {tuple(row[: len(dims)]): tuple(row[len(dims):]) for row in found}
        out = {(tuple(dims), key): value for key, value in cells.items()}
        for subset in {tuple(rows), tuple(columns), ()}:
            positions = [dims.index(d) for d in subset]
            groups: dict[tuple, list] = {}
            for key, value in cells.items():
                groups.setdefault(tuple(key[i] for i in positions), []).append(value)
            out.update({(subset, key): combine(values) for key, values in groups.items()})
        return out, list(cells)
    sets = list(dict.fromkeys(tuple(x) for x in (names, names[: len(rows)], names[len(rows):], [])))
    grouping = ", ".join("(" + ", ".join(x) + ")" for x in sets)
    flags = ", ".join(f"GROUPING({n})" for n in names)
    found = con.execute(f"SELECT {', '.join(names)}, {flags}, {measures} FROM ({inner}) "
                        f"GROUP BY GROUPING SETS ({grouping}) LIMIT {3 * limit + 2}", params).fetchall()
    if len(found) > 3 * limit + 1:
        raise _too_many_cells(limit)
    out = {}
    width = len(dims)
    for row in found:
        key, flag_values, measured = row[:width], row[width: 2 * width], row[2 * width:]
        present = tuple(d for d, f in zip(dims, flag_values, strict=True) if f == 0)
        out[(present, tuple(v for v, f in zip(key, flag_values, strict=True) if f == 0))] = tuple(measured)
    keys = [key for (present, key) in out if present == tuple(dims)]
    if len(keys) > limit:
        raise _too_many_cells(limit)
    return out, keys


def _grid(rows: list[str], columns: list[str], keys: list[tuple]) -> Grid:
    grid = Grid(rows, columns, keys)
    limit = get_query_settings().query_max_cells
    if grid.shape[0] * grid.shape[1] > limit:
        raise _too_many_cells(limit)
    return grid


def _add_counts(values: list[tuple]) -> tuple:
    return tuple(sum(v[i] for v in values) for i in range(len(values[0])))


def _add_magnitudes(values: list[tuple]) -> tuple:
    """(sum, rows, contributors, largest |contributions|, sum of |contributions|, least contribution)."""
    width = len(values[0][3] or [])
    tops = sorted((t for v in values for t in (v[3] or [])), reverse=True)[: max(width, 2)]
    return (sum(v[0] for v in values), sum(v[1] for v in values), sum(v[2] for v in values), tops,
            sum(v[4] for v in values), min(v[5] for v in values))


# --- crosstab ------------------------------------------------------------------------------------

def crosstab(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    rows, columns = list(query.rows or []), list(query.columns or [])
    dims = rows + columns
    source, params = plan.filtered(dims)
    units = "count(*)" if plan.patient_unique or plan.unit_sql is None else "count(DISTINCT u)"
    found, keys = grouping_sets(plan, con, rows, columns, f"count(*), {units}", source, params, combine=_add_counts)
    grid = _grid(rows, columns, keys)
    counts, cell_units = np.zeros(grid.shape), np.zeros(grid.shape)
    row_units, column_units, total_units = np.zeros(grid.shape[0]), np.zeros(grid.shape[1]), 0
    for (present, key), (n, u) in found.items():
        if present == tuple(dims):
            r, c = grid.position(key)
            counts[r, c], cell_units[r, c] = n, u
        if present == tuple(rows) and key in grid.row_index:
            row_units[grid.row_index[key]] = u
        if present == tuple(columns) and key in grid.column_index:
            column_units[grid.column_index[key]] = u
        if present == ():
            total_units = u
    margins = (row_units if columns else None, column_units if rows else None, total_units)
    table = _suppress_counts(counts, cell_units, margins, rules)
    result, suppressed = _count_result(grid, table, rules)
    return Release(result, suppressed, population_n=int(counts.sum()), not_null=dims)


def _suppress_counts(counts: np.ndarray, units: np.ndarray, margin_units, rules: DisclosureRules) -> SuppressedTable:
    row_units, column_units, total_units = margin_units
    small = np.vectorize(lambda v: disclosure.small_count(v, rules), otypes=[bool])
    primary = small(units) if units.size else np.zeros(units.shape, dtype=bool)
    rows_primary = small(row_units) if row_units is not None else primary[:, 0] & (counts.shape[1] == 1)
    columns_primary = small(column_units) if column_units is not None else primary[0, :] & (counts.shape[0] == 1)
    return suppress(counts, primary, protection=rules.min_count,
                    primary_margins=(rows_primary, columns_primary, disclosure.small_count(total_units, rules)))


def _count_result(grid: Grid, table: SuppressedTable, rules: DisclosureRules) -> tuple[dict, list[str]]:
    suppressed: list[str] = []

    def value(n, masked, path):
        if masked:
            suppressed.append(path)
            return None
        return disclosure.round_count(int(n), rules)

    cells = []
    for r, row_key in enumerate(grid.row_keys):
        for c, column_key in enumerate(grid.column_keys):
            path = f"cells[{len(cells)}].n"
            cells.append({"row": grid.label(grid.rows, row_key), "column": grid.label(grid.columns, column_key),
                          "n": value(table.cells[r, c], table.cell_mask[r, c], path)})
    margins: dict = {}
    if grid.columns and grid.rows:
        margins["rows"] = [{"row": grid.label(grid.rows, k), "n": value(table.row_margins[i], table.row_mask[i],
                                                                          f"margins.rows[{i}].n")}
                           for i, k in enumerate(grid.row_keys)]
        margins["columns"] = [{"column": grid.label(grid.columns, k),
                               "n": value(table.column_margins[i], table.column_mask[i], f"margins.columns[{i}].n")}
                              for i, k in enumerate(grid.column_keys)]
    margins["total"] = value(table.total, table.total_masked, "margins.total")
    return {"rows": grid.rows, "columns": grid.columns, "cells": cells, "margins": margins}, suppressed


# --- magnitude tables: sum and mean ---------------------------------------------------------------

def magnitude(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    rows, columns = list(query.rows or []), list(query.columns or [])
    dims, value = rows + columns, plan.col(query.column)
    _require_numeric(value, "column")
    source, params = plan.filtered(dims + [query.column])
    top = max(2, rules.dominance_n)
    measures = f"sum(c), sum(k), count(*), max(abs(c), {int(top)}), sum(abs(c)), min(c)"
    found, keys = grouping_sets(plan, con, rows, columns, measures, source, params, value_sql=value.sql,
                                combine=_add_magnitudes)
    grid = _grid(rows, columns, keys)
    layout = _magnitude_layout(grid, found, rows, columns, rules)
    table = _suppress_magnitudes(layout, rules)
    result, suppressed = _magnitude_result(grid, layout, table, query.op, rules)
    result["column"] = query.column
    return Release(result, suppressed, population_n=int(layout["n"].sum()), not_null=dims + [query.column])


def _require_numeric(column, field_name: str) -> None:
    from yizhi.space.engine import is_numeric

    if not is_numeric(column.arrow_type):
        raise ValidationFailed(N_("%(field)s: column %(column)s is not numeric (%(type)s)"),
                               params={"field": field_name, "column": column.ref, "type": column.arrow_type},
                               field=field_name)


def _magnitude_layout(grid: Grid, found: dict, rows, columns, rules: DisclosureRules) -> dict:
    shape = grid.shape
    layout = {"sum": np.zeros(shape), "n": np.zeros(shape), "fails": np.zeros(shape, dtype=bool),
              "row_fails": np.zeros(shape[0], dtype=bool), "column_fails": np.zeros(shape[1], dtype=bool),
              "total_fails": False, "nonnegative": True}
    dims = tuple(rows + columns)
    for (present, key), (total, n, contributors, top, abs_total, least) in found.items():
        fails = disclosure.magnitude_fails(float(abs_total or 0), int(contributors or 0), list(top or []),
                                           rules) is not None
        if least is not None and least < 0:
            layout["nonnegative"] = False
        if present == dims:
            r, c = grid.position(key)
            layout["sum"][r, c], layout["n"][r, c], layout["fails"][r, c] = total or 0.0, n or 0, fails
        if present == tuple(rows) and key in grid.row_index:
            layout["row_fails"][grid.row_index[key]] = fails
        if present == tuple(columns) and key in grid.column_index:
            layout["column_fails"][grid.column_index[key]] = fails
        if present == ():
            layout["total_fails"] = fails
    # an empty cell has no contributors: it is published as zero (there is no one to protect)
    layout["fails"] &= layout["n"] > 0
    return layout


def _suppress_magnitudes(layout: dict, rules: DisclosureRules) -> SuppressedTable:
    shape = layout["sum"].shape
    rows_primary = layout["row_fails"] if shape[1] > 1 else layout["fails"][:, 0]
    columns_primary = layout["column_fails"] if shape[0] > 1 else layout["fails"][0, :]
    protection = np.maximum(2 * rules.p_ratio * np.abs(layout["sum"]), 1e-6)
    return suppress(layout["sum"], layout["fails"], protection=protection, nonnegative=layout["nonnegative"],
                    primary_margins=(rows_primary, columns_primary, layout["total_fails"]))


def _magnitude_result(grid: Grid, layout: dict, table: SuppressedTable, op: str,
                      rules: DisclosureRules) -> tuple[dict, list[str]]:
    suppressed: list[str] = []
    row_n, column_n = layout["n"].sum(axis=1), layout["n"].sum(axis=0)

    def entry(total, n, masked, path) -> dict:
        if masked:
            suppressed.append(path)
            return {"n": None, op: None}
        number = (total / n if n else None) if op == "mean" else total
        return {"n": disclosure.round_count(int(n), rules), op: plain(number)}

    cells = []
    for r, row_key in enumerate(grid.row_keys):
        for c, column_key in enumerate(grid.column_keys):
            cells.append({"row": grid.label(grid.rows, row_key), "column": grid.label(grid.columns, column_key),
                          **entry(table.cells[r, c], layout["n"][r, c], table.cell_mask[r, c], f"cells[{len(cells)}]")})
    margins: dict = {}
    if grid.rows and grid.columns:
        margins["rows"] = [{"row": grid.label(grid.rows, k), **entry(table.row_margins[i], row_n[i], table.row_mask[i],
                                                                     f"margins.rows[{i}]")}
                           for i, k in enumerate(grid.row_keys)]
        margins["columns"] = [{"column": grid.label(grid.columns, k),
                               **entry(table.column_margins[i], column_n[i], table.column_mask[i],
                                       f"margins.columns[{i}]")} for i, k in enumerate(grid.column_keys)]
    margins["total"] = entry(table.total, layout["n"].sum(), table.total_masked, "margins.total")
    return {"column": None, "rows": grid.rows, "columns": grid.columns, "cells": cells, "margins": margins}, suppressed


# --- histogram -----------------------------------------------------------------------------------

def histogram(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    column = plan.col(query.column)
    _require_numeric(column, "column")
    source, params = plan.filtered([query.column])
    n, units, low, high = con.execute(
        f"SELECT count(*), {_units(plan)}, min({column.sql}), max({column.sql}) {source}", params).fetchone()
    edges = _edges(query.bins, low, high)
    if edges is None or disclosure.small_count(units, rules) or (units == 0):
        return Release({"column": query.column, "edges": None, "counts": None, "total": None if units else 0},
                       ["edges", "counts", "total"] if units else [], population_n=n, not_null=[query.column])
    inner = edges[1:-1]
    bin_sql = " + ".join(f"(CASE WHEN {column.sql} >= ? THEN 1 ELSE 0 END)" for _ in inner) or "0"
    in_range = f"{column.sql} BETWEEN ? AND ?"
    where = f"{source} AND ({in_range})" if " WHERE " in source else f"{source} WHERE {in_range}"
    found = con.execute(f"SELECT {bin_sql} AS b, count(*), {_units(plan)} {where} GROUP BY 1",
                        [*inner, *params, edges[0], edges[-1]]).fetchall()
    bins = len(edges) - 1
    counts, bin_units = np.zeros((bins, 1)), np.zeros((bins, 1))
    for b, c, u in found:
        counts[int(b), 0], bin_units[int(b), 0] = c, u
    total_units = con.execute(f"SELECT {_units(plan)} {where}", [*params, edges[0], edges[-1]]).fetchone()[0]
    table = _suppress_counts(counts, bin_units, (None, None, total_units), rules)
    out, suppressed = [], []
    for i in range(bins):
        if table.cell_mask[i, 0]:
            suppressed.append(f"counts[{i}]")
            out.append(None)
        else:
            out.append(disclosure.round_count(int(counts[i, 0]), rules))
    total = None if table.total_masked else disclosure.round_count(int(counts.sum()), rules)
    if table.total_masked:
        suppressed.append("total")
    return Release({"column": query.column, "edges": [plain(e) for e in edges], "counts": out, "total": total},
                   suppressed, population_n=n, not_null=[query.column])


def _edges(bins, low, high) -> list[float] | None:
    if isinstance(bins, list):
        return [float(b) for b in bins]
    if low is None:
        return None
    return [float(e) for e in np.histogram_bin_edges(np.array([float(low), float(high)]), bins=int(bins or 10))]
