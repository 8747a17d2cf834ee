"""Running a Tier A query: grant → columns → policy → differencing audit or ε budget → operation →
disclosure control → log and ledger → the released JSON.

``run_query`` commits its own transaction, because a refusal must be kept even when the caller then
shows an error: every query that reaches a grant is logged and on the ledger (``space.query_released``
with a hash of the result, or ``space.query_refused`` with the reason), except malformed input, which
is refused before it is a query. Refusals for the grant itself (expired, not on the team, a column
outside it) are logged and then raised as errors (403); refusals by the output rules (disclosure,
differencing, ε budget, DP-only automation) are logged and returned as ``"status": "refused"``.
"""

from __future__ import annotations

import hashlib
import json
import math

from sqlalchemy.orm import Session

from yizhi import ledger
from yizhi.access import grants
from yizhi.access.models import Grant
from yizhi.accounts.models import Person
from yizhi.errors import N_, PermissionDenied, ValidationFailed, YizhiError
from yizhi.space import budget, dp, engine, modelling, stats, tables
from yizhi.space.audit import closest_difference, earlier_populations, population_hash, population_of
from yizhi.space.disclosure import DisclosureRules, rules_for
from yizhi.space.plan import build_plan
from yizhi.space.query_models import DatasetRules, QueryLog
from yizhi.space.query_schemas import QueryIn
from yizhi.space.results import DisclosureRefusal, Release

OPERATIONS = {
    "count": tables.count, "crosstab": tables.crosstab, "sum": tables.magnitude, "mean": tables.magnitude,
    "histogram": tables.histogram, "summary": stats.summary, "quantiles": stats.quantiles,
    "correlation": stats.correlation, "glm": modelling.glm, "km": modelling.km, "cox": modelling.cox,
}
MAX_EPSILON = 100.0


class Refusal(YizhiError):
    """A query the output rules refuse; logged and returned, not raised to the user."""

    status = 200
    code = "refused"


def required_columns(query: QueryIn) -> list[str]:
    """Columns the operation needs present in a row (its population drops rows missing any)."""
    dims = [*(query.rows or []), *(query.columns or [])]
    by_op = {
        "count": [], "crosstab": dims, "sum": [*dims, query.column], "mean": [*dims, query.column],
        "summary": [query.column], "histogram": [query.column], "quantiles": [query.column],
        "correlation": list(query.columns or []), "glm": [query.outcome, *(query.covariates or [])],
        "km": [query.time, query.event, *([query.group] if query.group else [])],
        "cox": [query.time, query.event, *(query.covariates or [])],
    }
    return [c for c in dict.fromkeys(by_op[query.op]) if c]


def run_query(session: Session, person: Person, grant_id: int, query: QueryIn, *, dp_mode: bool = False,
              epsilon: float | None = None, client: str = "session") -> dict:
    """Run ``query`` under grant ``grant_id`` for ``person``; commits; the released (or refused) JSON."""
    grant = grants.get_grant(session, grant_id)
    if not grants.may_see(person, grant):
        raise grants.NotFound(N_("no grant %(id)s"), params={"id": grant_id})
    log = QueryLog(grant_id=grant.id, organization_id=grant.organization_id, person_id=person.id, client=client,
                   op=query.op, table_name=query.table, query=query.canonical(),
                   query_hash=_digest(query.canonical()), dp=dp_mode, epsilon=epsilon)
    try:
        _, entry = grants.require_use(session, person, grant.id, query.dataset)
        log.version_id = entry.version_id
        if dp_mode:
            _check_epsilon(epsilon)
        con = engine.connect(entry.version)
        try:
            plan = build_plan(query, entry, con)
            release = _run(session, grant, plan, con, query, log, dp_mode, epsilon, client)
        finally:
            con.close()
    except PermissionDenied as exc:
        _finish_refused(session, grant, log, exc)
        raise
    except (Refusal, DisclosureRefusal) as exc:
        return _finish_refused(session, grant, log, exc)
    return _finish_released(session, grant, log, release)


def _check_epsilon(epsilon) -> None:
    if epsilon is None or not isinstance(epsilon, (int, float)) or not math.isfinite(epsilon) or not \
            0 < epsilon <= MAX_EPSILON:
        raise ValidationFailed(N_("epsilon: a differentially private query needs an ε above 0 and at most %(max)s"),
                               params={"max": MAX_EPSILON}, field="epsilon")


def _run(session, grant: Grant, plan, con, query: QueryIn, log: QueryLog, dp_mode: bool, epsilon, client) -> Release:
    version = plan.version
    rules = rules_for(session, version)
    if not dp_mode:
        if client == "token" and not grant.allow_non_dp_automation:
            raise Refusal(N_("automated clients (API tokens) may run only differentially private queries on this "
                             "grant; add --dp and an ε, or ask the data holder to allow otherwise"), code="dp_only")
        population = population_of(plan, required_columns(query))
        _audit(session, grant, plan, con, population, rules)
        log.population, log.population_hash = population, population_hash(population)
        return OPERATIONS[query.op](plan, con, query, rules)
    if not budget.try_spend(session, grant, float(epsilon)):
        raise Refusal(N_("this query's ε of %(epsilon)s would exceed the grant's budget (%(left)s of %(budget)s left)"),
                      params={"epsilon": epsilon, "left": round(budget.left_of(session, grant), 6),
                              "budget": budget.budget_of(session, grant)}, code="budget_exhausted")
    per_patient = _dp_rows_per_patient(session, version)
    release = dp.run_dp(plan, con, query, float(epsilon), per_patient)
    budget.refund(session, grant, float(epsilon), release.epsilon or 0.0)
    return release


def _dp_rows_per_patient(session: Session, version) -> int:
    row = session.get(DatasetRules, version.dataset_id)
    return int(row.dp_rows_per_patient) if row is not None else 1


def _audit(session, grant: Grant, plan, con, population: dict, rules: DisclosureRules) -> None:
    digest = population_hash(population)
    earlier = earlier_populations(session, grant.organization_id, plan.version.id, plan.table, digest)
    found = closest_difference(con, plan, population, earlier, rules.min_count)
    if found is not None:
        raise Refusal(N_("this query's population differs from that of query %(query)s by fewer than %(min)s "
                         "patients; comparing the two could reveal them (use a differentially private query)"),
                      params={"query": found[0], "min": rules.min_count}, code="differencing")


def _digest(value) -> str:
    """SHA-256 of the value's JSON with sorted keys and no spaces (our values are plain JSON: a fixed
    text for the same numbers; RFC 8785 in pure Python cost 27 ms on a 216-cell table)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _finish_released(session: Session, grant: Grant, log: QueryLog, release: Release) -> dict:
    log.status, log.result, log.suppressed = "released", release.result, release.suppressed
    log.result_hash = _digest(release.result)
    log.population_n = release.population_n
    log.epsilon = release.epsilon if log.dp else None
    session.add(log)
    session.flush()
    entry = ledger.record(session, "space.query_released", f"grant:{grant.id}", {
        "query_id": log.id, "grant_id": grant.id, "version_id": log.version_id, "op": log.op, "dp": log.dp,
        "epsilon": log.epsilon, "query_hash": log.query_hash, "result_hash": log.result_hash,
        "suppressed": len(release.suppressed)}, actor=str(log.person_id), org=grant.organization.slug)
    log.ledger_index = entry.index
    session.commit()
    return released_json(session, grant, log)


def _finish_refused(session: Session, grant: Grant, log: QueryLog, exc: YizhiError) -> dict:
    session.rollback()   # nothing of the attempt (a reserved ε included) survives but the refusal
    log.status, log.reason_code = "refused", exc.code
    log.reason_template, log.reason_params = exc.template, {k: _plain(v) for k, v in exc.params.items()}
    log.population = log.population_hash = None
    log.epsilon = None
    session.add(log)
    session.flush()
    entry = ledger.record(session, "space.query_refused", f"grant:{grant.id}", {
        "query_id": log.id, "grant_id": grant.id, "version_id": log.version_id, "op": log.op, "dp": log.dp,
        "query_hash": log.query_hash, "reason": exc.code}, actor=str(log.person_id), org=grant.organization.slug)
    log.ledger_index = entry.index
    session.commit()
    return released_json(session, grant, log)


def _plain(value):
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def released_json(session: Session, grant: Grant, log: QueryLog, gettext=None) -> dict:
    """The JSON the API, the CLI and the pages show for a logged query."""
    reason = None
    if log.reason_template:
        from yizhi.errors import _fill

        template = gettext(log.reason_template) if gettext else log.reason_template
        reason = _fill(template, log.reason_params or {})
    return {"status": log.status, "reason": reason, "reason_code": log.reason_code, "result": log.result,
            "suppressed": list(log.suppressed or []), "epsilon_spent": float(log.epsilon or 0.0),
            "epsilon_left": budget.left_of(session, grant), "ledger_index": log.ledger_index, "query_id": log.id}
