"""Tables of the feedback half and the holder's settings: per-dataset access settings (review
steps, automatic acceptance, default ε), closure reports, data-quality issues sent to the holder,
and the domain's in-app notifications."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Person
from yizhi.catalog.models import Dataset, DatasetVersion
from yizhi.db import Base, UTCDateTime, enum_type, utcnow

__all__ = ["AccessNotification", "ClosureReport", "DatasetAccessSettings", "Handling", "IssueState", "MetNeed",
           "QualityIssue"]


class Handling(enum.StrEnum):
    manual = "manual"        # every request goes through prescreen and the review steps
    automatic = "automatic"  # approved organisations of the listed kinds are accepted at once


class MetNeed(enum.StrEnum):
    yes = "yes"
    partly = "partly"
    no = "no"


class IssueState(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


class DatasetAccessSettings(Base):
    """How requests for one dataset are handled; set by the owning hospital."""

    __tablename__ = "access_dataset_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_datasets.id", ondelete="CASCADE"), unique=True)
    handling: Mapped[Handling] = mapped_column(enum_type(Handling, "access_handling"), default=Handling.manual)
    auto_kinds: Mapped[list] = mapped_column(JSON, default=list)   # organisation kinds accepted automatically
    # [{"name": str, "reviewers": [person id], "days": int}, ...] in review order
    review_steps: Mapped[list] = mapped_column(JSON, default=list)
    default_epsilon: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship()


class ClosureReport(Base):
    """What a grant produced and whether the data met the need; closing a grant requires one."""

    __tablename__ = "access_closure_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), unique=True)
    # [{"kind": paper|model|product|report, "title": str, "link": str}]
    outputs: Mapped[list] = mapped_column(JSON, default=list)
    met_need: Mapped[MetNeed] = mapped_column(enum_type(MetNeed, "access_met_need"))
    comments: Mapped[str] = mapped_column(Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grant = relationship("Grant")
    submitted_by: Mapped[Person | None] = relationship()
    issues: Mapped[list[QualityIssue]] = relationship(back_populates="report", order_by="QualityIssue.id")


class QualityIssue(Base):
    """A data-quality problem a grantee found, filed on the dataset version for its holder."""

    __tablename__ = "access_quality_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="CASCADE"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("access_closure_reports.id", ondelete="CASCADE"),
                                                  nullable=True)
    table: Mapped[str] = mapped_column(String(200), default="")
    column: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[IssueState] = mapped_column(enum_type(IssueState, "access_issue_state"), default=IssueState.open)
    response: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[DatasetVersion] = relationship()
    report: Mapped[ClosureReport | None] = relationship(back_populates="issues")


class AccessNotification(Base):
    """An in-app notice to one person; its text is rendered from ``kind`` + ``params`` in their language.

    (The needs domain's notifications render only needs' own kinds, so access keeps its own; e-mail
    delivery is another capability's.)"""

    __tablename__ = "access_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
