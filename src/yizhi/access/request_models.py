"""Tables of the access-request workflow (apply): requests and their versions, the datasets and
columns each asks for, the ordered review steps, the history of every change, and the messages
and private notes of both sides.

A request *family* is one use of data: its first version and every amendment, extension or
renewal after it (``root_id`` points at the first). Each version keeps what it asked for, so the
history of a use is never overwritten.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Organization, Person
from yizhi.catalog.models import DatasetVersion
from yizhi.db import Base, UTCDateTime, enum_type, utcnow

__all__ = ["AccessMessage", "AccessRequest", "RequestChange", "RequestDataset", "RequestEvent", "RequestKind",
           "RequestState", "ReviewStep", "StepState", "PURPOSES"]

# The fixed list of purposes an applicant chooses from (the list).
PURPOSES = ("scientific_research", "product_development", "product_evaluation", "public_health", "education")


class RequestKind(enum.StrEnum):
    data = "data"                # the full data request
    statistics = "statistics"    # the light request, answered with aggregates only


class RequestChange(enum.StrEnum):
    initial = "initial"
    amendment = "amendment"      # a changed scope (datasets, columns, team, mode...) of a granted use
    extension = "extension"      # more days for a live grant
    renewal = "renewal"          # a new period for an expired grant


class RequestState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    prescreen = "prescreen"
    in_review = "in_review"
    approved = "approved"
    approved_with_conditions = "approved_with_conditions"
    rejected = "rejected"
    withdrawn = "withdrawn"
    granted = "granted"
    closed = "closed"


class StepState(enum.StrEnum):
    waiting = "waiting"
    active = "active"
    done = "done"


class AccessRequest(Base):
    __tablename__ = "access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    root_id: Mapped[int | None] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), nullable=True,
                                                index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    change: Mapped[RequestChange] = mapped_column(enum_type(RequestChange, "access_request_change"),
                                                  default=RequestChange.initial)
    change_reason: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[RequestKind] = mapped_column(enum_type(RequestKind, "access_request_kind"), default=RequestKind.data)
    state: Mapped[RequestState] = mapped_column(enum_type(RequestState, "access_request_state", 30),
                                                default=RequestState.draft, index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    # the data holder: one request goes to one holder (apply to each holder separately)
    holder_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)

    title: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str] = mapped_column(String(40))
    lay_summary: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    ethics_reference: Mapped[str] = mapped_column(String(200), default="")
    ethics_file: Mapped[str | None] = mapped_column(String(64), nullable=True)  # sha256 in yizhi.storage
    ethics_filename: Mapped[str] = mapped_column(String(200), default="")
    ethics_bytes: Mapped[int] = mapped_column(Integer, default=0)
    funding: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(20), default="space")
    duration_days: Mapped[int] = mapped_column(Integer, default=365)
    outputs: Mapped[str] = mapped_column(Text, default="")
    # e-mails are resolved to people when the request is written; ids kept here
    team_ids: Mapped[list] = mapped_column(JSON, default=list)

    prescreen_comment: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(30), nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    auto_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grants.id", ondelete="SET NULL"), nullable=True,
                                                 index=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    holder: Mapped[Organization] = relationship(foreign_keys=[holder_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])
    grant = relationship("Grant", foreign_keys=[grant_id])
    datasets: Mapped[list[RequestDataset]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                          order_by="RequestDataset.id")
    steps: Mapped[list[ReviewStep]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                   order_by="ReviewStep.position")
    events: Mapped[list[RequestEvent]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                      order_by="RequestEvent.id")

    @property
    def family_id(self) -> int:
        return self.root_id or self.id


class RequestDataset(Base):
    """One dataset version a request asks for: the tables and columns (or DICOM series) and why."""

    __tablename__ = "access_request_datasets"
    __table_args__ = (UniqueConstraint("request_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"), index=True)
    columns: Mapped[dict] = mapped_column(JSON, default=dict)       # {table: [column, ...]}
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)       # {table: why it is needed}
    series: Mapped[list | None] = mapped_column(JSON, nullable=True)  # DICOM SeriesInstanceUIDs asked for
    series_reason: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[AccessRequest] = relationship(back_populates="datasets")
    version: Mapped[DatasetVersion] = relationship()


class ReviewStep(Base):
    """One of the holder's ordered review steps (e.g. data steward, ethics, security) on a request."""

    __tablename__ = "access_review_steps"
    __table_args__ = (UniqueConstraint("request_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)          # 1, 2, ... in review order
    name: Mapped[str] = mapped_column(String(100))
    reviewer_ids: Mapped[list] = mapped_column(JSON, default=list)
    days: Mapped[int] = mapped_column(Integer, default=10)
    state: Mapped[StepState] = mapped_column(enum_type(StepState, "access_step_state"), default=StepState.waiting)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approve: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    recommended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overdue_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    request: Mapped[AccessRequest] = relationship(back_populates="steps")
    recommended_by: Mapped[Person | None] = relationship()


class RequestEvent(Base):
    """The history: every state change of a request version, who made it and what they said."""

    __tablename__ = "access_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30), nullable=True)
    to_state: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[AccessRequest] = relationship(back_populates="events")
    actor: Mapped[Person | None] = relationship()


class AccessMessage(Base):
    """A message between applicant and reviewers, or a private note seen only by its author's side."""

    __tablename__ = "access_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # messages belong to the family (its first version), so they follow amendments
    family_id: Mapped[int] = mapped_column(ForeignKey("access_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    side: Mapped[str] = mapped_column(String(20))       # "applicant" or "reviewers"
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[Person | None] = relationship()
