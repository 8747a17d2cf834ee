"""Descriptive statistics of a population: summary, quantiles, correlation.

Each is released only for a population of at least ``min_count`` patients (the minimum and maximum
included — the rule "no min/max of a group below the threshold"); otherwise every number is returned
as suppressed. Standard deviation is the sample one (n − 1), quantiles are linear interpolation
between order statistics (pandas' and numpy's default, DuckDB's ``quantile_cont``), correlation is
Pearson's over the rows where every named column is present.
"""

from __future__ import annotations

from yizhi.errors import N_, ValidationFailed
from yizhi.space import disclosure
from yizhi.space.disclosure import DisclosureRules
from yizhi.space.engine import is_numeric
from yizhi.space.plan import Plan
from yizhi.space.query_schemas import QueryIn
from yizhi.space.results import Release, plain

DEFAULT_PROBS = [0.25, 0.5, 0.75]


def _units(plan: Plan) -> str:
    return "count(*)" if plan.patient_unique or plan.unit_sql is None else f"count(DISTINCT {plan.unit_sql})"


def _numeric(plan: Plan, ref: str, field_name: str):
    column = plan.col(ref)
    if not is_numeric(column.arrow_type):
        raise ValidationFailed(N_("%(field)s: column %(column)s is not numeric (%(type)s)"),
                               params={"field": field_name, "column": ref, "type": column.arrow_type},
                               field=field_name)
    return column


def _prob_key(p: float) -> str:
    return format(p, "g")


def summary(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    column = _numeric(plan, query.column, "column")
    probs = list(query.probs or DEFAULT_PROBS)
    source, params = plan.filtered([query.column])
    x = f"CAST({column.sql} AS DOUBLE)"
    n, units, mean, sd, low, high, quantiles = con.execute(
        f"SELECT count(*), {_units(plan)}, avg({x}), stddev_samp({x}), min({x}), max({x}), "
        f"quantile_cont({x}, ?::DOUBLE[]) {source}", [probs, *params]).fetchone()
    fields = ["n", "mean", "sd", "min", "max", "quantiles"]
    if disclosure.small_count(units, rules):
        return Release({"column": query.column, **dict.fromkeys(fields)}, fields, population_n=n,
                       not_null=[query.column])
    result = {"column": query.column, "n": disclosure.round_count(int(n), rules), "mean": plain(mean),
              "sd": plain(sd), "min": plain(low), "max": plain(high),
              "quantiles": {_prob_key(p): plain(q) for p, q in zip(probs, quantiles or [None] * len(probs),
                                                                    strict=True)}}
    return Release(result, [], population_n=n, not_null=[query.column])


def quantiles(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    column = _numeric(plan, query.column, "column")
    source, params = plan.filtered([query.column])
    x = f"CAST({column.sql} AS DOUBLE)"
    n, units, values = con.execute(f"SELECT count(*), {_units(plan)}, quantile_cont({x}, ?::DOUBLE[]) {source}",
                                   [list(query.probs), *params]).fetchone()
    if disclosure.small_count(units, rules):
        return Release({"column": query.column, "n": None, "quantiles": None}, ["n", "quantiles"], population_n=n,
                       not_null=[query.column])
    values = values or [None] * len(query.probs)
    return Release({"column": query.column, "n": disclosure.round_count(int(n), rules),
                    "quantiles": {_prob_key(p): plain(v) for p, v in zip(query.probs, values, strict=True)}},
                   [], population_n=n, not_null=[query.column])


def correlation(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    refs = list(dict.fromkeys(query.columns))
    if len(refs) < 2:
        raise ValidationFailed(N_("columns: a correlation needs at least two different columns"), field="columns")
    columns = [_numeric(plan, ref, f"columns[{i}]") for i, ref in enumerate(refs)]
    source, params = plan.filtered(refs)
    pairs = [(i, j) for i in range(len(columns)) for j in range(i + 1, len(columns))]
    cast = [f"CAST({c.sql} AS DOUBLE)" for c in columns]
    selects = ", ".join(f"corr({cast[i]}, {cast[j]})" for i, j in pairs)
    row = con.execute(f"SELECT count(*), {_units(plan)}, {selects} {source}", params).fetchone()
    n, units, values = row[0], row[1], row[2:]
    if disclosure.small_count(units, rules) or (n - 2) < rules.min_df:
        raise_small = disclosure.small_count(units, rules)
        return Release({"columns": refs, "n": None, "matrix": None}, ["n", "matrix"], population_n=n, not_null=refs) \
            if raise_small else _too_few_df(refs, n, rules)
    matrix = [[1.0 if i == j else None for j in range(len(refs))] for i in range(len(refs))]
    for (i, j), value in zip(pairs, values, strict=True):
        matrix[i][j] = matrix[j][i] = plain(value)
    return Release({"columns": refs, "n": disclosure.round_count(int(n), rules), "matrix": matrix}, [],
                   population_n=n, not_null=refs)


def _too_few_df(refs, n, rules: DisclosureRules) -> Release:
    from yizhi.space.results import DisclosureRefusal

    raise DisclosureRefusal(N_("the correlation has %(df)s degrees of freedom; the dataset's rules require at "
                               "least %(min)s"), params={"df": max(0, int(n) - 2), "min": rules.min_df},
                            code="too_few_degrees_of_freedom")
