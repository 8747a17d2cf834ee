"""The ``glm`` operation: checks and the design in DuckDB, the fit streamed (:mod:`yizhi.space.glm_fit`).

Nothing of the population is held in memory: DuckDB counts the patients, the outcome classes and
every level of each categorical covariate (the model rules below need exactly those counts), and each
IRLS pass reads the population again as Arrow chunks of ``CHUNK_ROWS`` rows (the outcome, numeric
covariates as doubles, categorical ones as small integer codes), from which the design is built chunk
by chunk. Memory is a few chunks whatever the population's size.

Rules (as for every model, see :mod:`yizhi.space.modelling`): at least ``min_count`` patients and
``min_df`` residual degrees of freedom; every level of a categorical covariate (its indicator) holds
at least ``min_count`` patients and leaves at least ``min_count`` outside it; a binomial outcome has
``min_count`` patients in each class. Text and boolean covariates are indicators against their first
level in sorted order, named ``col[T.level]`` as patsy names them; the intercept is ``Intercept``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from yizhi.errors import N_, ValidationFailed
from yizhi.space import disclosure, glm_fit
from yizhi.space.disclosure import DisclosureRules
from yizhi.space.engine import is_boolean, is_numeric
from yizhi.space.plan import Plan
from yizhi.space.query_schemas import QueryIn
from yizhi.space.results import DisclosureRefusal, Release, plain, sort_key

CHUNK_ROWS = 262_144
MAX_LEVELS = 200


@dataclass
class Term:
    ref: str
    sql: str
    levels: list = field(default_factory=list)   # categorical: every level, the reference first

    @property
    def categorical(self) -> bool:
        return bool(self.levels)


def _refuse(template: str, code: str, **params) -> None:
    raise DisclosureRefusal(template, params=params, code=code)


def _unit_count(plan: Plan) -> str:
    return "count(*)" if plan.patient_unique or plan.unit_sql is None else f"count(DISTINCT {plan.unit_sql})"


def glm(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    covariates = [c for c in dict.fromkeys(query.covariates) if c != query.outcome]
    refs = list(dict.fromkeys([query.outcome, *covariates]))
    outcome = plan.col(query.outcome)
    if not (is_numeric(outcome.arrow_type) or is_boolean(outcome.arrow_type)):
        raise ValidationFailed(N_("outcome: column %(column)s is not numeric (%(type)s)"),
                               params={"column": query.outcome, "type": outcome.arrow_type}, field="outcome")
    source, params = plan.filtered(refs)
    y_sql = f"CAST({outcome.sql} AS DOUBLE)"
    # fetchall, not fetchone: a result left unfinished makes the streamed pass below refuse to start
    (rows, units, y_mean), = con.execute(f"SELECT count(*), {_unit_count(plan)}, avg({y_sql}) {source}", params).fetchall()
    _check_outcome(plan, con, query.family, y_sql, source, params, rules)
    terms = [_term(plan, con, ref, i, source, params, int(units), rules) for i, ref in enumerate(covariates)]
    names = ["Intercept"] + [name for term in terms for name in _term_names(term)]
    _check_population(int(rows), int(units), len(names), rules)
    chunks = _chunk_source(con, y_sql, terms, source, params, len(names))
    try:
        fitted = glm_fit.fit(chunks, query.family, len(names), nobs=int(rows), y_mean=float(y_mean or 0.0))
    except (ValueError, np.linalg.LinAlgError) as exc:
        _refuse(N_("the model could not be fitted: %(detail)s"), "model_failed", detail=str(exc)[:200])
    result = {"family": query.family, "outcome": query.outcome, "n": disclosure.round_count(int(rows), rules),
              "df_resid": plain(fitted.df_resid), "converged": bool(fitted.converged),
              "coefficients": {name: {"estimate": plain(fitted.params[i]), "se": plain(fitted.bse[i]),
                                      "ci": [plain(fitted.conf_int[i, 0]), plain(fitted.conf_int[i, 1])],
                                      "p": plain(fitted.pvalues[i])} for i, name in enumerate(names)}}
    return Release(result, [], population_n=int(rows), not_null=refs, population_units=int(units))


def _check_population(rows: int, units: int, parameters: int, rules: DisclosureRules) -> None:
    if disclosure.small_count(units, rules) or units == 0:
        _refuse(N_("the model's population holds fewer than %(min)s patients"), "small_population",
                min=rules.min_count)
    if rows - parameters < rules.min_df:
        _refuse(N_("the model has %(df)s residual degrees of freedom; the dataset's rules require at least %(min)s"),
                "too_few_degrees_of_freedom", df=rows - parameters, min=rules.min_df)


def _check_outcome(plan: Plan, con, family: str, y_sql: str, source: str, params: list,
                   rules: DisclosureRules) -> None:
    if family == "binomial":
        (bad,), = con.execute(f"SELECT count(*) FILTER (WHERE {y_sql} NOT IN (0, 1)) {source}", params).fetchall()
        if bad:
            raise ValidationFailed(N_("outcome: a binomial model needs an outcome of 0 and 1 (or false and true)"),
                                   field="outcome")
        inside = _units_by_value(plan, con, y_sql, source, params)
        for value in (0.0, 1.0):
            count = inside.get(value, 0)
            if disclosure.small_count(count, rules) or count == 0:
                _refuse(N_("an outcome class holds fewer than %(min)s patients"), "small_outcome_class",
                        min=rules.min_count)
    if family == "poisson":
        (bad,), = con.execute(f"SELECT count(*) FILTER (WHERE {y_sql} < 0 OR {y_sql} <> floor({y_sql})) {source}",
                              params).fetchall()
        if bad:
            raise ValidationFailed(N_("outcome: a Poisson model needs counts (whole numbers of 0 or more)"),
                                   field="outcome")


def _units_by_value(plan: Plan, con, value_sql: str, source: str, params: list, limit: int | None = None) -> dict:
    """{value: patients with a row of that value} (rows where a patient has one row)."""
    cap = f" LIMIT {int(limit) + 1}" if limit else ""
    found = con.execute(f"SELECT {value_sql} AS v, {_unit_count(plan)} {source} GROUP BY 1{cap}", params).fetchall()
    return {value: int(count) for value, count in found}


def _only_at(plan: Plan, con, value_sql: str, source: str, params: list) -> dict:
    """{value: patients all of whose rows have that value} — what leaving a level takes from the outside."""
    if plan.patient_unique or plan.unit_sql is None:
        return _units_by_value(plan, con, value_sql, source, params)
    found = con.execute(f"SELECT v, count(*) FROM (SELECT {plan.unit_sql} AS u, min({value_sql}) AS v {source} "
                        f"GROUP BY u HAVING count(DISTINCT {value_sql}) = 1) GROUP BY v", params).fetchall()
    return {value: int(count) for value, count in found}


def _term(plan: Plan, con, ref: str, index: int, source: str, params: list, units: int,
          rules: DisclosureRules) -> Term:
    column = plan.col(ref)
    kind = column.arrow_type
    if is_numeric(kind) and not is_boolean(kind):
        return Term(ref, f"CAST({column.sql} AS DOUBLE)")
    if not (kind in ("string", "large_string") or is_boolean(kind) or kind.startswith("dictionary")):
        raise ValidationFailed(N_("%(field)s: column %(column)s (%(type)s) cannot be a covariate"),
                               params={"field": f"covariates[{index}]", "column": ref, "type": kind},
                               field=f"covariates[{index}]")
    inside = _units_by_value(plan, con, column.sql, source, params, limit=MAX_LEVELS)
    if len(inside) > MAX_LEVELS:
        raise ValidationFailed(N_("%(field)s: column %(column)s has more than %(max)s levels; a covariate needs fewer"),
                               params={"field": f"covariates[{index}]", "column": ref, "max": MAX_LEVELS},
                               field=f"covariates[{index}]")
    levels = sorted(inside, key=sort_key)
    only = _only_at(plan, con, column.sql, source, params)
    for level in levels[1:]:
        outside = units - only.get(level, 0)
        if disclosure.small_count(inside[level], rules) or disclosure.small_count(outside, rules):
            _refuse(N_("level %(level)s of %(column)s holds fewer than %(min)s patients (or leaves fewer "
                       "outside it)"), "small_level", level=plain(level), column=ref, min=rules.min_count)
    return Term(ref, column.sql, levels)


def _term_names(term: Term) -> list[str]:
    if not term.categorical:
        return [term.ref]
    return [f"{term.ref}[T.{_level_name(level)}]" for level in term.levels[1:]]


def _level_name(level) -> str:
    if isinstance(level, (bool, np.bool_)):
        return "True" if level else "False"
    return str(level)


def _chunk_source(con, y_sql: str, terms: list[Term], source: str, params: list, width: int):
    """A function giving a fresh pass over the population as (y, X) chunks (one DuckDB query per pass)."""
    selects, select_params = [y_sql], []
    for term in terms:
        if not term.categorical:
            selects.append(term.sql)
            continue
        # the level's position (0 = the reference level); a level is bound, never written into SQL
        whens = " ".join("WHEN ? THEN " + str(i) for i in range(len(term.levels)))
        selects.append(f"CAST(CASE {term.sql} {whens} END AS SMALLINT)")
        select_params += list(term.levels)
    sql = f"SELECT {', '.join(f'{s} AS c{i}' for i, s in enumerate(selects))} {source}"

    def chunks():
        reader = con.sql(sql, params=[*select_params, *params]).to_arrow_reader(CHUNK_ROWS)
        for batch in reader:
            columns = [batch.column(i).to_numpy(zero_copy_only=False) for i in range(batch.num_columns)]
            y = np.asarray(columns[0], dtype=float)
            yield y, _design(columns[1:], terms, width, len(y))

    return chunks


def _design(columns: list[np.ndarray], terms: list[Term], width: int, rows: int) -> np.ndarray:
    x = np.empty((rows, width))
    x[:, 0] = 1.0
    position = 1
    for term, values in zip(terms, columns, strict=True):
        if not term.categorical:
            x[:, position] = values
            position += 1
            continue
        codes = np.asarray(values)
        for code in range(1, len(term.levels)):
            x[:, position] = codes == code
            position += 1
    return x
