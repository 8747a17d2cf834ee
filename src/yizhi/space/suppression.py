"""Cell suppression for a two-way table with margins: primary cells, then complementary cells until
no suppressed primary cell can be narrowed down from what is published.

A crosstab of up to three variables is laid out as rows (the combinations of the row variables) ×
columns (the combinations of the column variables), with a margin per row, a margin per column and a
grand total. What is published obeys one linear equation per row, per column and for each margin
line, so an attacker who sees the published entries can bound every suppressed one by linear
programming (the "audit" of statistical disclosure control, as tau-ARGUS does it).

The procedure:

1. *primary* suppression: the caller's mask (counts below the threshold, failing magnitude cells);
2. *line rule* (fast, the classical heuristic): in every line whose equation is otherwise known, a
   suppressed set of one entry, or of entries whose values add up to less than the protection they
   need, gets the smallest published non-zero entry of that line added;
3. *audit*: for every primary entry the interval it can lie in, given every published value and the
   equations (and non-negativity for counts), is computed with two linear programmes (scipy's HiGHS);
   an interval narrower than the required protection (the threshold, for counts) gets a further
   entry suppressed from the entry's lines, and the procedure goes back to 2.

It ends because every round suppresses at least one more entry. The protection is exact with respect
to the linear relations of *this* table; relations with tables released earlier (the same population
cut another way) are not modelled — the differencing audit and differential privacy cover those
(see docs/readme/space.md). Written here because no maintained Python package does complementary
suppression (sdcTable and tau-ARGUS are R and Java); ACRO, the Python output checker, only flags
primary cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

# Entries are addressed in one flat vector: the R×C cells row by row, then the R row margins, then the
# C column margins, then the grand total.


@dataclass
class SuppressedTable:
    cells: np.ndarray          # R×C values
    row_margins: np.ndarray    # R
    column_margins: np.ndarray  # C
    total: float
    cell_mask: np.ndarray      # R×C True = suppressed
    row_mask: np.ndarray
    column_mask: np.ndarray
    total_masked: bool
    primary: np.ndarray        # flat mask of the primary entries

    @property
    def suppressed_count(self) -> int:
        return int(self.cell_mask.sum() + self.row_mask.sum() + self.column_mask.sum() + self.total_masked)


class _Layout:
    def __init__(self, rows: int, columns: int):
        self.rows, self.columns = rows, columns
        self.size = rows * columns + rows + columns + 1
        self.lines = self._lines()

    def cell(self, r: int, c: int) -> int:
        return r * self.columns + c

    def row_margin(self, r: int) -> int:
        return self.rows * self.columns + r

    def column_margin(self, c: int) -> int:
        return self.rows * self.columns + self.rows + c

    @property
    def total(self) -> int:
        return self.size - 1

    def is_margin(self, index: int) -> bool:
        return index >= self.rows * self.columns

    def _lines(self) -> list[tuple[list[int], int]]:
        """Each equation as (the entries that add up, the entry they add up to)."""
        lines = [([self.cell(r, c) for c in range(self.columns)], self.row_margin(r)) for r in range(self.rows)]
        lines += [([self.cell(r, c) for r in range(self.rows)], self.column_margin(c)) for c in range(self.columns)]
        lines.append(([self.row_margin(r) for r in range(self.rows)], self.total))
        lines.append(([self.column_margin(c) for c in range(self.columns)], self.total))
        return lines


def suppress(cells: np.ndarray, primary_cells: np.ndarray, *, protection: np.ndarray | float,
             primary_margins: tuple[np.ndarray, np.ndarray, bool] | None = None,
             nonnegative: bool = True, max_rounds: int = 10_000) -> SuppressedTable:
    """Suppress ``primary_cells`` (R×C mask) of ``cells`` and enough other entries that no primary
    entry can be bounded to an interval narrower than its ``protection`` (scalar or R×C)."""
    cells = np.asarray(cells, dtype=float)
    if cells.ndim != 2:
        raise ValueError("cells must be a two-dimensional array")
    layout = _Layout(*cells.shape)
    values = _flat_values(cells)
    primary = np.zeros(layout.size, dtype=bool)
    primary[: cells.size] = np.asarray(primary_cells, dtype=bool).ravel()
    if primary_margins is not None:
        rows_m, cols_m, total_m = primary_margins
        primary[cells.size: cells.size + layout.rows] = rows_m
        primary[cells.size + layout.rows: layout.size - 1] = cols_m
        primary[-1] = bool(total_m)
    need = _protection_vector(layout, cells, protection)
    masked = primary.copy()
    for _ in range(max_rounds):
        _apply_line_rule(layout, values, masked, need)
        failing = _audit(layout, values, masked, primary, need, nonnegative)
        if not failing:
            break
        added = False
        for index in failing:
            added |= _suppress_one_more(layout, values, masked, index)
        if not added:  # nothing left to suppress beside them: everything already is
            break
    return _result(layout, cells, values, masked, primary)


def _flat_values(cells: np.ndarray) -> np.ndarray:
    return np.concatenate([cells.ravel(), cells.sum(axis=1), cells.sum(axis=0), [cells.sum()]])


def _protection_vector(layout: _Layout, cells: np.ndarray, protection) -> np.ndarray:
    need = np.zeros(layout.size)
    if np.isscalar(protection):
        need[:] = float(protection)
    else:
        grid = np.asarray(protection, dtype=float)
        need[: cells.size] = grid.ravel()
        need[cells.size:] = float(grid.max()) if grid.size else 0.0
    return need


def _apply_line_rule(layout: _Layout, values: np.ndarray, masked: np.ndarray, need: np.ndarray) -> None:
    changed = True
    while changed:
        changed = False
        for members, margin in layout.lines:
            entries = [*members, margin]
            hidden = [i for i in entries if masked[i]]
            if not hidden or len(hidden) == len(entries):
                continue
            hidden_sum = float(np.abs(values[hidden]).sum())
            if len(hidden) == 1 or hidden_sum < float(need[hidden].max()):
                changed |= _suppress_in(values, masked, entries)


def _suppress_in(values: np.ndarray, masked: np.ndarray, entries: list[int]) -> bool:
    """Suppress the smallest published non-zero entry among ``entries`` (interior cells first)."""
    candidates = [i for i in entries if not masked[i]]
    if not candidates:
        return False
    nonzero = [i for i in candidates if values[i] != 0] or candidates
    # margins come after every cell in the flat order, so among equal values a cell is taken first
    best = min(nonzero, key=lambda i: (abs(values[i]), i))
    masked[best] = True
    return True


def _suppress_one_more(layout: _Layout, values: np.ndarray, masked: np.ndarray, index: int) -> bool:
    for members, margin in layout.lines:
        entries = [*members, margin]
        if index in entries and _suppress_in(values, masked, entries):
            return True
    return _suppress_in(values, masked, list(range(layout.size)))


def _audit(layout: _Layout, values: np.ndarray, masked: np.ndarray, primary: np.ndarray, need: np.ndarray,
           nonnegative: bool) -> list[int]:
    """The primary entries an attacker can bound more tightly than their protection."""
    unknown = np.flatnonzero(masked)
    if unknown.size == 0:
        return []
    position = {int(i): k for k, i in enumerate(unknown)}
    rows_a, rhs = [], []
    for members, margin in layout.lines:
        entries = [(m, 1.0) for m in members] + [(margin, -1.0)]
        coefficients = np.zeros(unknown.size)
        constant = 0.0
        for index, sign in entries:
            if masked[index]:
                coefficients[position[index]] += sign
            else:
                constant += sign * values[index]
        if coefficients.any():
            rows_a.append(coefficients)
            rhs.append(-constant)
    a_eq = np.array(rows_a) if rows_a else None
    b_eq = np.array(rhs) if rows_a else None
    bounds = [(0, None) if nonnegative else (None, None)] * unknown.size
    failing = []
    for index in np.flatnonzero(primary & masked):
        k = position[int(index)]
        low = _bound(k, unknown.size, a_eq, b_eq, bounds, +1)
        high = _bound(k, unknown.size, a_eq, b_eq, bounds, -1)
        if high - low < need[index] - 1e-9:
            failing.append(int(index))
    return failing


def _bound(k: int, n: int, a_eq, b_eq, bounds, sign: int) -> float:
    objective = np.zeros(n)
    objective[k] = sign
    solution = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if solution.status == 3:  # unbounded in that direction
        return -np.inf if sign > 0 else np.inf
    if solution.status != 0:
        # Infeasible cannot happen for the true values; treat anything odd as "fully known".
        return 0.0
    return float(solution.fun) * sign


def _result(layout: _Layout, cells: np.ndarray, values: np.ndarray, masked: np.ndarray,
            primary: np.ndarray) -> SuppressedTable:
    n_cells = cells.size
    return SuppressedTable(
        cells=cells, row_margins=values[n_cells: n_cells + layout.rows],
        column_margins=values[n_cells + layout.rows: layout.size - 1], total=float(values[-1]),
        cell_mask=masked[:n_cells].reshape(cells.shape),
        row_mask=masked[n_cells: n_cells + layout.rows],
        column_mask=masked[n_cells + layout.rows: layout.size - 1],
        total_masked=bool(masked[-1]), primary=primary)
