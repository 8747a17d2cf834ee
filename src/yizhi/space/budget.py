"""ε budgets: each grant's total (``Grant.epsilon_budget``, else its dataset's default) and what it
spent, persisted in ``space_epsilon_spent`` and raised only by one conditional UPDATE::

    UPDATE space_epsilon_spent SET spent = spent + :e WHERE grant_id = :g AND spent + :e <= :budget

The statement checks and spends at once, so concurrent queries cannot overspend: on PostgreSQL the
row lock makes a second UPDATE wait and re-check its WHERE against the committed row; on SQLite the
UPDATE takes the database's single write lock before it reads. The spending commits (or rolls back)
with the query's log entry and ledger record.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yizhi.access.models import Grant
from yizhi.db import utcnow
from yizhi.space.query_models import DEFAULT_EPSILON, DatasetRules, EpsilonSpent

TABLE = EpsilonSpent.__table__
SLACK = 1e-9  # float sums of e.g. ten 0.1s must not be refused at the last one


def budget_of(session: Session, grant: Grant) -> float:
    if grant.epsilon_budget is not None:
        return float(grant.epsilon_budget)
    defaults = [session.get(DatasetRules, entry.version.dataset_id) for entry in grant.datasets]
    values = [row.default_epsilon for row in defaults if row is not None]
    return float(min(values)) if values else DEFAULT_EPSILON


def spent_of(session: Session, grant: Grant) -> float:
    value = session.scalar(select(EpsilonSpent.spent).where(EpsilonSpent.grant_id == grant.id))
    return float(value or 0.0)


def left_of(session: Session, grant: Grant) -> float:
    return max(0.0, budget_of(session, grant) - spent_of(session, grant))


def _ensure_row(session: Session, grant_id: int) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(TABLE).values(grant_id=grant_id, spent=0.0, queries=0, updated_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["grant_id"]))


def try_spend(session: Session, grant: Grant, epsilon: float) -> bool:
    """Spend ``epsilon`` of the grant's budget if it fits (True), else change nothing (False)."""
    budget = budget_of(session, grant)
    _ensure_row(session, grant.id)
    result = session.execute(
        update(TABLE).where(TABLE.c.grant_id == grant.id, TABLE.c.spent + epsilon <= budget + SLACK)
        .values(spent=TABLE.c.spent + epsilon, queries=TABLE.c.queries + 1, updated_at=utcnow()))
    return result.rowcount == 1


def refund(session: Session, grant: Grant, reserved: float, used: float) -> None:
    """Give back what a reservation did not use (the mechanism's ε can be below the ε asked)."""
    if reserved - used > 0:
        session.execute(update(TABLE).where(TABLE.c.grant_id == grant.id)
                        .values(spent=TABLE.c.spent - (reserved - used)))
