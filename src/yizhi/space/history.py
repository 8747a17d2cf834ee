"""The query history pages and API read: a grant's queries (with its ε budget) and a dataset's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yizhi.access.models import Grant
from yizhi.catalog.models import Dataset, DatasetVersion
from yizhi.space import budget
from yizhi.space.query_models import QueryLog

PAGE = 200


def grant_queries(session: Session, grant: Grant, limit: int = PAGE) -> list[QueryLog]:
    return list(session.scalars(select(QueryLog).where(QueryLog.grant_id == grant.id)
                                .order_by(QueryLog.id.desc()).limit(limit)))


def dataset_queries(session: Session, dataset: Dataset, limit: int = PAGE) -> list[QueryLog]:
    return list(session.scalars(select(QueryLog).join(DatasetVersion, QueryLog.version_id == DatasetVersion.id)
                                .where(DatasetVersion.dataset_id == dataset.id)
                                .order_by(QueryLog.id.desc()).limit(limit)))


def budget_summary(session: Session, grant: Grant) -> dict:
    total, spent = budget.budget_of(session, grant), budget.spent_of(session, grant)
    return {"epsilon_budget": total, "epsilon_spent": round(spent, 9), "epsilon_left": max(0.0, round(total - spent, 9))}


def as_row(log: QueryLog, gettext=None) -> dict:
    from yizhi.errors import _fill

    reason = None
    if log.reason_template:
        reason = _fill(gettext(log.reason_template) if gettext else log.reason_template, log.reason_params or {})
    return {"id": log.id, "grant_id": log.grant_id, "version": log.version.ref if log.version else None,
            "person_id": log.person_id, "client": log.client, "op": log.op, "table": log.table_name,
            "query": log.query, "dp": log.dp, "epsilon": log.epsilon, "status": log.status,
            "reason": reason, "reason_code": log.reason_code, "result": log.result,
            "suppressed": log.suppressed or [], "result_hash": log.result_hash, "ledger_index": log.ledger_index,
            "created_at": log.created_at.isoformat() if log.created_at else None}
