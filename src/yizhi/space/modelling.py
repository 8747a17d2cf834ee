"""Models on a population: generalised linear models (statsmodels), Kaplan–Meier curves and Cox
regression (lifelines), over the rows where every variable the model names is present.

Disclosure rules for models (ACRO's, plus two that close known holes):

* at least ``min_count`` patients, and at least ``min_df`` residual degrees of freedom;
* every level of a categorical covariate (its indicator column) holds at least ``min_count`` patients
  and leaves at least ``min_count`` outside it — a coefficient of a level of 3 people describes them;
* a binomial outcome has at least ``min_count`` patients in each class; a survival model at least
  ``min_count`` events;
* a Kaplan–Meier curve is cut where fewer than ``min_count`` patients remain at risk, and a group
  with fewer than ``min_count`` patients or events is withheld.

A model that breaks a rule is refused whole, with the rule named. Categorical covariates (text,
boolean) are coded as indicators against their first level in sorted order, named ``col[T.level]``
as patsy names them; the intercept is ``Intercept``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from yizhi.errors import N_, ValidationFailed
from yizhi.space import disclosure
from yizhi.space.disclosure import DisclosureRules
from yizhi.space.engine import is_boolean, is_numeric
from yizhi.space.plan import Plan
from yizhi.space.query_schemas import QueryIn
from yizhi.space.results import DisclosureRefusal, Release, plain, sort_key
from yizhi.space.settings import get_query_settings

UNIT = "__unit"


def _frame(plan: Plan, con, refs: list[str]) -> pd.DataFrame:
    source, params = plan.filtered(refs)
    cap = get_query_settings().query_model_rows
    # patients are counted by their pseudonym only where a patient has several rows; otherwise a row is one
    per_row = plan.unit_sql is None or plan.patient_unique
    selects = [f"{plan.col(r).sql} AS c{i}" for i, r in enumerate(refs)]
    if not per_row:
        selects.append(f"{plan.unit_sql} AS {UNIT}")
    frame = con.execute(f"SELECT {', '.join(selects)} {source} LIMIT {cap + 1}", params).df()
    if len(frame) > cap:
        raise ValidationFailed(N_("the model's population is larger than %(max)s rows; narrow it with where"),
                               params={"max": cap}, field="where")
    frame.columns = [*refs] + ([] if per_row else [UNIT])
    return frame


def _units(frame: pd.DataFrame, mask=None) -> int:
    if UNIT not in frame.columns:
        return int(len(frame) if mask is None else int(np.asarray(mask).sum()))
    data = frame if mask is None else frame[mask]
    return int(data[UNIT].nunique())


def _refuse(template: str, code: str, **params) -> None:
    raise DisclosureRefusal(template, params=params, code=code)


def _design(plan: Plan, frame: pd.DataFrame, covariates: list[str], rules: DisclosureRules,
            intercept: bool) -> pd.DataFrame:
    parts = [pd.DataFrame({"Intercept": np.ones(len(frame))}, index=frame.index)] if intercept else []
    for i, ref in enumerate(covariates):
        kind = plan.col(ref).arrow_type
        if is_numeric(kind) and not is_boolean(kind):
            parts.append(frame[[ref]].astype(float))
            continue
        if not (kind in ("string", "large_string") or is_boolean(kind) or kind.startswith("dictionary")):
            raise ValidationFailed(N_("%(field)s: column %(column)s (%(type)s) cannot be a covariate"),
                                   params={"field": f"covariates[{i}]", "column": ref, "type": kind},
                                   field=f"covariates[{i}]")
        levels = sorted(frame[ref].unique().tolist(), key=sort_key)
        for level in levels[1:]:
            indicator = (frame[ref] == level)
            inside, outside = _units(frame, indicator), _units(frame, ~indicator)
            if disclosure.small_count(inside, rules) or disclosure.small_count(outside, rules):
                _refuse(N_("level %(level)s of %(column)s holds fewer than %(min)s patients (or leaves fewer "
                           "outside it)"), "small_level", level=plain(level), column=ref, min=rules.min_count)
            parts.append(pd.DataFrame({f"{ref}[T.{_level_name(level)}]": indicator.astype(float)}, index=frame.index))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def _level_name(level) -> str:
    if isinstance(level, (bool, np.bool_)):
        return "True" if level else "False"
    return str(level)


def _check_population(frame: pd.DataFrame, parameters: int, rules: DisclosureRules) -> None:
    units = _units(frame)
    if disclosure.small_count(units, rules) or units == 0:
        _refuse(N_("the model's population holds fewer than %(min)s patients"), "small_population",
                min=rules.min_count)
    df_resid = len(frame) - parameters
    if df_resid < rules.min_df:
        _refuse(N_("the model has %(df)s residual degrees of freedom; the dataset's rules require at least %(min)s"),
                "too_few_degrees_of_freedom", df=df_resid, min=rules.min_df)


def _coefficients(names, estimates, errors, intervals, pvalues, extra=None) -> dict:
    out = {}
    for i, name in enumerate(names):
        entry = {"estimate": plain(estimates[i]), "se": plain(errors[i]),
                 "ci": [plain(intervals[i][0]), plain(intervals[i][1])], "p": plain(pvalues[i])}
        if extra is not None:
            entry.update({k: plain(v[i]) for k, v in extra.items()})
        out[str(name)] = entry
    return out


# --- GLM ------------------------------------------------------------------------------------------

def glm(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    import statsmodels.api as sm

    covariates = list(dict.fromkeys(query.covariates))
    refs = list(dict.fromkeys([query.outcome, *covariates]))
    outcome_column = plan.col(query.outcome)
    if not (is_numeric(outcome_column.arrow_type) or is_boolean(outcome_column.arrow_type)):
        raise ValidationFailed(N_("outcome: column %(column)s is not numeric (%(type)s)"),
                               params={"column": query.outcome, "type": outcome_column.arrow_type}, field="outcome")
    frame = _frame(plan, con, refs)
    y = frame[query.outcome].astype(float)
    _check_outcome(query.family, y, frame, rules)
    design = _design(plan, frame, [c for c in covariates if c != query.outcome], rules, intercept=True)
    _check_population(frame, design.shape[1], rules)
    family = {"gaussian": sm.families.Gaussian(), "binomial": sm.families.Binomial(),
              "poisson": sm.families.Poisson()}[query.family]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = sm.GLM(y.to_numpy(), design.to_numpy(), family=family).fit()
        except (ValueError, np.linalg.LinAlgError) as exc:
            _refuse(N_("the model could not be fitted: %(detail)s"), "model_failed", detail=str(exc)[:200])
    intervals = np.asarray(fitted.conf_int())
    result = {"family": query.family, "outcome": query.outcome, "n": disclosure.round_count(len(frame), rules),
              "df_resid": plain(fitted.df_resid), "converged": bool(getattr(fitted, "converged", True)),
              "coefficients": _coefficients(design.columns, np.asarray(fitted.params), np.asarray(fitted.bse),
                                            intervals, np.asarray(fitted.pvalues))}
    return Release(result, [], population_n=len(frame), not_null=refs)


def _check_outcome(family: str, y: pd.Series, frame: pd.DataFrame, rules: DisclosureRules) -> None:
    if family == "binomial":
        if not y.isin([0.0, 1.0]).all():
            raise ValidationFailed(N_("outcome: a binomial model needs an outcome of 0 and 1 (or false and true)"),
                                   field="outcome")
        for value in (0.0, 1.0):
            if disclosure.small_count(_units(frame, y == value), rules) or _units(frame, y == value) == 0:
                _refuse(N_("an outcome class holds fewer than %(min)s patients"), "small_outcome_class",
                        min=rules.min_count)
    if family == "poisson" and ((y < 0).any() or (y != np.floor(y)).any()):
        raise ValidationFailed(N_("outcome: a Poisson model needs counts (whole numbers of 0 or more)"),
                               field="outcome")


# --- survival -------------------------------------------------------------------------------------

def _survival_frame(plan: Plan, con, query: QueryIn, extra: list[str]) -> pd.DataFrame:
    for name in ("time", "event"):
        column = plan.col(getattr(query, name))
        if not (is_numeric(column.arrow_type) or is_boolean(column.arrow_type)):
            raise ValidationFailed(N_("%(field)s: column %(column)s is not numeric (%(type)s)"),
                                   params={"field": name, "column": column.ref, "type": column.arrow_type},
                                   field=name)
    refs = list(dict.fromkeys([query.time, query.event, *extra]))
    frame = _frame(plan, con, refs)
    frame[query.time] = frame[query.time].astype(float)
    frame[query.event] = frame[query.event].astype(float)
    if (frame[query.time] < 0).any():
        raise ValidationFailed(N_("time: durations must be 0 or more"), field="time")
    if not frame[query.event].isin([0.0, 1.0]).all():
        raise ValidationFailed(N_("event: the event column must hold 0 and 1 (or false and true)"), field="event")
    return frame


def km(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    from lifelines import KaplanMeierFitter

    frame = _survival_frame(plan, con, query, [query.group] if query.group else [])
    groups = [(None, frame)] if not query.group else [
        (level, frame[frame[query.group] == level]) for level in sorted(frame[query.group].unique(), key=sort_key)]
    released, suppressed = [], []
    for index, (level, part) in enumerate(groups):
        units, events = _units(part), int(part[query.event].sum())
        label = plain(level)
        if disclosure.small_count(units, rules) or disclosure.small_count(events, rules):
            released.append({"group": label, "n": None, "events": None, "median": None, "curve": None})
            suppressed.append(f"groups[{index}]")
            continue
        fitter = KaplanMeierFitter().fit(part[query.time], part[query.event])
        released.append({"group": label, "n": disclosure.round_count(len(part), rules),
                         "events": disclosure.round_count(events, rules), **_curve(fitter, query, rules)})
    result = {"time": query.time, "event": query.event, "group_by": query.group, "groups": released}
    return Release(result, suppressed, population_n=len(frame), not_null=[query.time, query.event] + (
        [query.group] if query.group else []))


def _curve(fitter, query: QueryIn, rules: DisclosureRules) -> dict:
    table = fitter.event_table
    survival = fitter.survival_function_.iloc[:, 0]
    bounds = fitter.confidence_interval_survival_function_
    if query.times:
        points = []
        for t in query.times:
            at_risk = int(table.loc[table.index >= t, "at_risk"].iloc[0]) if (table.index >= t).any() else 0
            visible = not disclosure.small_count(at_risk, rules) and at_risk > 0
            value = float(fitter.survival_function_at_times([t]).iloc[0])
            points.append({"time": plain(t), "survival": plain(value) if visible else None,
                           "at_risk": disclosure.round_count(at_risk, rules) if visible else None})
        return {"median": None, "curve": points}
    points = []
    for t in table.index:
        at_risk = int(table.loc[t, "at_risk"])
        if disclosure.small_count(at_risk, rules):
            break   # the curve is cut where fewer than the threshold remain at risk
        points.append({"time": plain(t), "survival": plain(survival.loc[t]),
                       "ci": [plain(bounds.loc[t].iloc[0]), plain(bounds.loc[t].iloc[1])],
                       "at_risk": disclosure.round_count(at_risk, rules)})
    median = fitter.median_survival_time_
    last_time = points[-1]["time"] if points else None
    visible_median = plain(median) if (last_time is not None and np.isfinite(median) and median <= last_time) else None
    return {"median": visible_median, "curve": points}


def cox(plan: Plan, con, query: QueryIn, rules: DisclosureRules) -> Release:
    from lifelines import CoxPHFitter

    covariates = [c for c in dict.fromkeys(query.covariates) if c not in (query.time, query.event)]
    frame = _survival_frame(plan, con, query, covariates)
    design = _design(plan, frame, covariates, rules, intercept=False)
    if design.shape[1] == 0:
        raise ValidationFailed(N_("covariates: a Cox model needs at least one covariate"), field="covariates")
    _check_population(frame, design.shape[1], rules)
    events = int(frame[query.event].sum())
    if disclosure.small_count(events, rules) or events == 0:
        _refuse(N_("the model has fewer than %(min)s events"), "small_events", min=rules.min_count)
    data = pd.concat([frame[[query.time, query.event]].rename(columns={query.time: "__T", query.event: "__E"}),
                      design], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = CoxPHFitter().fit(data, duration_col="__T", event_col="__E")
        except Exception as exc:  # lifelines raises its own ConvergenceError and numpy errors
            _refuse(N_("the model could not be fitted: %(detail)s"), "model_failed", detail=str(exc)[:200])
    summary = fitted.summary
    intervals = summary[["coef lower 95%", "coef upper 95%"]].to_numpy()
    result = {"time": query.time, "event": query.event, "n": disclosure.round_count(len(frame), rules),
              "events": disclosure.round_count(events, rules),
              "coefficients": _coefficients(list(summary.index), summary["coef"].to_numpy(),
                                            summary["se(coef)"].to_numpy(), intervals, summary["p"].to_numpy(),
                                            extra={"hr": summary["exp(coef)"].to_numpy()})}
    return Release(result, [], population_n=len(frame), not_null=[query.time, query.event, *covariates])
