"""Differentially private releases with OpenDP: count, sum, mean, histogram, quantiles.

The unit of privacy is the patient. A query's rows are read by DuckDB (filters applied — a filter is
1-stable), at most ``dp_rows_per_patient`` rows per patient are kept (chosen at random), and the values
are handed to an OpenDP measurement whose privacy map, at ``d_in`` = that bound under the symmetric
distance, is the ε charged. The noise scale is found with ``binary_search_param`` so the map stays
within the ε the caller asked for; the released ε is the map's value (never more than asked).

* count — ``make_count`` then the (discrete) Laplace mechanism;
* sum — ``make_clamp`` to the caller's ``bounds``, ``make_sum``, Laplace;
* mean — a noisy sum and a noisy count, ε split in half (basic composition), their ratio clamped to
  the bounds (``make_mean`` needs a known dataset size, which would itself have to be released);
* histogram — ``make_find_bin`` over the edges (``bins`` edges, or ``bins`` equal bins within
  ``bounds``) then ``make_count_by_categories`` and Laplace on the vector; for a text column, the public
  ``categories`` the caller lists (others counted together, not released);
* quantiles — ``make_private_quantile`` (exponential mechanism over 1,000 candidates evenly spread in
  ``bounds``), ε split evenly across the probabilities.

Bounds and categories must be public — the caller supplies them, they are never read from the data.
No disclosure-control suppression is applied to a DP result: its protection is the ε spent. Bins are
left-closed (OpenDP's convention), unlike numpy's closed last bin.
"""

from __future__ import annotations

import numpy as np
import opendp.prelude as dp

from yizhi.errors import N_, ValidationFailed
from yizhi.space.engine import is_numeric
from yizhi.space.plan import Plan
from yizhi.space.query_schemas import DP_OPERATIONS, QueryIn
from yizhi.space.results import Release, plain

dp.enable_features("contrib")

QUANTILE_CANDIDATES = 1000


def _bounded_rows(plan: Plan, con, value_sql: str | None, not_null: list[str], per_patient: int) -> np.ndarray:
    """The values of the population's rows, at most ``per_patient`` rows per patient."""
    source, params = plan.filtered(not_null)
    value = value_sql or "1"
    if plan.unit_sql is None or plan.patient_unique:
        rows = con.execute(f"SELECT {value} {source}", params).fetchnumpy()
    else:
        rows = con.execute(
            f"SELECT v FROM (SELECT v, row_number() OVER (PARTITION BY u ORDER BY k) AS r FROM (SELECT {value} AS v, "
            f"{plan.unit_sql} AS u, random() AS k {source})) WHERE r <= {int(per_patient)}", params).fetchnumpy()
    return next(iter(rows.values())) if rows else np.array([])


def _input_space(kind):
    return dp.vector_domain(dp.atom_domain(T=kind, nan=False) if kind is float else dp.atom_domain(T=kind)), \
        dp.symmetric_distance()


def _calibrated(make, d_in: int, epsilon: float):
    scale = dp.binary_search_param(make, d_in=d_in, d_out=epsilon)
    measurement = make(scale)
    return measurement, float(measurement.map(d_in)), float(scale)


def _need_bounds(query: QueryIn) -> tuple[float, float]:
    if query.bounds is None:
        raise ValidationFailed(N_("bounds: a differentially private %(op)s needs public [low, high] bounds"),
                               params={"op": query.op}, field="bounds")
    return float(query.bounds[0]), float(query.bounds[1])


def run_dp(plan: Plan, con, query: QueryIn, epsilon: float, per_patient: int) -> Release:
    if query.op not in DP_OPERATIONS:
        raise ValidationFailed(N_("op: %(op)s has no differentially private form; use one of %(ops)s"),
                               params={"op": query.op, "ops": ", ".join(DP_OPERATIONS)}, field="op")
    if query.rows or query.columns:
        raise ValidationFailed(N_("rows: differentially private %(op)s is released for the whole population only"),
                               params={"op": query.op}, field="rows")
    d_in = 1 if (plan.unit_sql is None or plan.patient_unique) else int(per_patient)
    handler = {"count": _count, "sum": _sum, "mean": _mean, "histogram": _histogram, "quantiles": _quantiles}
    result, spent, details = handler[query.op](plan, con, query, epsilon, d_in)
    result["dp"] = {"epsilon": spent, "rows_per_patient": d_in, **details}
    return Release(result, [], epsilon=spent, not_null=[query.column] if query.column else [])


def _count(plan, con, query, epsilon, d_in):
    rows = _bounded_rows(plan, con, None, [], d_in)
    space = _input_space(int)

    def make(scale):
        return space >> dp.t.then_count() >> dp.m.then_laplace(scale)

    measurement, spent, scale = _calibrated(make, d_in, epsilon)
    return {"n": int(measurement(np.zeros(len(rows), dtype=np.int32)))}, spent, {"mechanism": "laplace", "scale": scale}


def _values(plan, con, query, d_in) -> np.ndarray:
    column = plan.col(query.column)
    if not is_numeric(column.arrow_type):
        raise ValidationFailed(N_("column: column %(column)s is not numeric (%(type)s)"),
                               params={"column": query.column, "type": column.arrow_type}, field="column")
    values = _bounded_rows(plan, con, f"CAST({column.sql} AS DOUBLE)", [query.column], d_in)
    return np.asarray(values, dtype=float)


def _sum_measure(bounds, scale):
    return _input_space(float) >> dp.t.then_clamp(bounds) >> dp.t.then_sum() >> dp.m.then_laplace(scale)


def _sum(plan, con, query, epsilon, d_in):
    bounds = _need_bounds(query)
    values = _values(plan, con, query, d_in)
    measurement, spent, scale = _calibrated(lambda s: _sum_measure(bounds, s), d_in, epsilon)
    return ({"column": query.column, "sum": plain(measurement(values))}, spent,
            {"mechanism": "laplace", "scale": scale, "bounds": list(bounds)})


def _mean(plan, con, query, epsilon, d_in):
    bounds = _need_bounds(query)
    values = _values(plan, con, query, d_in)
    sum_m, sum_eps, sum_scale = _calibrated(lambda s: _sum_measure(bounds, s), d_in, epsilon / 2)
    count_m, count_eps, _ = _calibrated(
        lambda s: _input_space(float) >> dp.t.then_count() >> dp.m.then_laplace(s), d_in, epsilon / 2)
    noisy_sum, noisy_count = float(sum_m(values)), int(count_m(values))
    mean = float(np.clip(noisy_sum / noisy_count, *bounds)) if noisy_count > 0 else None
    return ({"column": query.column, "mean": plain(mean), "n": noisy_count}, sum_eps + count_eps,
            {"mechanism": "laplace", "scale": sum_scale, "bounds": list(bounds)})


def _histogram(plan, con, query, epsilon, d_in):
    column = plan.col(query.column)
    if not is_numeric(column.arrow_type):
        return _category_counts(plan, con, query, epsilon, d_in)
    edges = _dp_edges(query)
    values = _values(plan, con, query, d_in)
    bins = list(range(len(edges) + 1))

    def make(scale):
        return (_input_space(float) >> dp.t.then_find_bin(edges=edges)
                >> dp.t.then_count_by_categories(categories=bins, null_category=False)
                >> dp.m.then_laplace(scale))

    measurement, spent, scale = _calibrated(make, d_in, epsilon)
    counts = measurement(values)
    # index 0 is below the first edge, the last above the last edge: neither is released
    return ({"column": query.column, "edges": edges, "counts": [int(c) for c in counts[1:len(edges)]]}, spent,
            {"mechanism": "laplace", "scale": scale})


def _dp_edges(query: QueryIn) -> list[float]:
    if isinstance(query.bins, list):
        return [float(b) for b in query.bins]
    low, high = _need_bounds(query)
    return [float(e) for e in np.linspace(low, high, int(query.bins or 10) + 1)]


def _category_counts(plan, con, query, epsilon, d_in):
    if not query.categories:
        raise ValidationFailed(N_("categories: a differentially private histogram of a text column needs the "
                                  "public list of categories"), field="categories")
    column = plan.col(query.column)
    categories = [str(c) for c in query.categories]
    values = _bounded_rows(plan, con, f"CAST({column.sql} AS VARCHAR)", [query.column], d_in)
    space = dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()

    def make(scale):
        return (space >> dp.t.then_count_by_categories(categories=categories, null_category=True)
                >> dp.m.then_laplace(scale))

    measurement, spent, scale = _calibrated(make, d_in, epsilon)
    counts = measurement([str(v) for v in values])
    return ({"column": query.column, "categories": categories, "counts": [int(c) for c in counts[: len(categories)]]},
            spent, {"mechanism": "laplace", "scale": scale})


def _quantiles(plan, con, query, epsilon, d_in):
    bounds = _need_bounds(query)
    values = np.clip(_values(plan, con, query, d_in), *bounds)
    candidates = np.linspace(bounds[0], bounds[1], QUANTILE_CANDIDATES).tolist()
    share = epsilon / len(query.probs)
    released, spent_total = {}, 0.0
    for p in query.probs:
        def make(scale, alpha=p):
            return dp.m.make_private_quantile(*_input_space(float), dp.max_divergence(), candidates=candidates,
                                              alpha=alpha, scale=scale)

        measurement, spent, _ = _calibrated(make, d_in, share)
        released[format(p, "g")] = plain(measurement(values))
        spent_total += spent
    return ({"column": query.column, "quantiles": released}, spent_total,
            {"mechanism": "exponential", "bounds": list(bounds), "candidates": QUANTILE_CANDIDATES})
