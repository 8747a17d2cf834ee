"""Tier A tables: each dataset's output rules, the audited query log, and ε spent per grant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.access.models import Grant
from yizhi.accounts.models import Person
from yizhi.catalog.models import Dataset, DatasetVersion
from yizhi.db import Base, UTCDateTime, utcnow

__all__ = ["DatasetRules", "QueryLog", "EpsilonSpent"]

DEFAULT_EPSILON = 1.0


class DatasetRules(Base):
    """Output rules a dataset's owning hospital set (defaults: :class:`yizhi.space.disclosure.DisclosureRules`)."""

    __tablename__ = "space_dataset_rules"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id", ondelete="CASCADE"), primary_key=True)
    min_count: Mapped[int] = mapped_column(Integer, default=10)
    min_df: Mapped[int] = mapped_column(Integer, default=10)
    dominance_n: Mapped[int] = mapped_column(Integer, default=2)
    dominance_k: Mapped[float] = mapped_column(Float, default=0.9)
    p_ratio: Mapped[float] = mapped_column(Float, default=0.10)
    round_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the ε budget of grants on this dataset that were made without one (Grant.epsilon_budget None)
    default_epsilon: Mapped[float] = mapped_column(Float, default=DEFAULT_EPSILON)
    # differential privacy protects a patient: at most this many rows of one patient enter a DP query
    dp_rows_per_patient: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship()

    def rules(self):
        from yizhi.space.disclosure import DisclosureRules

        return DisclosureRules(min_count=self.min_count, min_df=self.min_df, dominance_n=self.dominance_n,
                               dominance_k=self.dominance_k, p_ratio=self.p_ratio, round_to=self.round_to)


class QueryLog(Base):
    """One query under a grant: what was asked, by whom, and what was released or why it was refused.

    The population (table, joins and the filter that chose its rows) is kept so that later queries can
    be compared with it (the differencing audit); the released result is kept for the history pages.
    No row of the data is stored here.
    """

    __tablename__ = "space_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"),
                                                   nullable=True, index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    client: Mapped[str] = mapped_column(String(10), default="session")  # session | token | cli
    op: Mapped[str] = mapped_column(String(20), default="")
    table_name: Mapped[str] = mapped_column(String(200), default="")
    query: Mapped[dict] = mapped_column(JSON, default=dict)
    query_hash: Mapped[str] = mapped_column(String(64))
    dp: Mapped[bool] = mapped_column(Boolean, default=False)
    epsilon: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(10))  # released | refused
    reason_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason_template: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason_params: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    result_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    suppressed: Mapped[list | None] = mapped_column(JSON, nullable=True)
    # {"table", "joins", "where", "not_null"} for released non-DP queries (the differencing audit)
    population: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    population_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    population_n: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    grant: Mapped[Grant] = relationship()
    version: Mapped[DatasetVersion | None] = relationship()
    person: Mapped[Person | None] = relationship()

    @property
    def reason(self) -> str | None:
        from yizhi.errors import _fill

        return _fill(self.reason_template, self.reason_params or {}) if self.reason_template else None


class EpsilonSpent(Base):
    """ε spent so far under a grant; raised only by a conditional UPDATE (see :mod:`yizhi.space.budget`)."""

    __tablename__ = "space_epsilon_spent"

    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), primary_key=True)
    spent: Mapped[float] = mapped_column(Float, default=0.0)
    queries: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
