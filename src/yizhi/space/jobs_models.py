"""Tier B tables: sandboxed jobs, their held outputs and the checkers' reviews, compute metering."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.access.models import Grant
from yizhi.accounts.models import Person
from yizhi.catalog.models import DatasetVersion
from yizhi.db import Base, UTCDateTime, enum_type, utcnow

__all__ = ["SpaceJob", "SpaceJobOutput", "SpaceJobReview", "SpaceJobLimit", "SpaceJobState", "AutoStatus",
           "ReviewState", "Decision"]


class SpaceJobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"   # ran to the end; its outputs are held for review
    failed = "failed"


class AutoStatus(enum.StrEnum):
    passed = "passed"
    warning = "warning"       # passed, with something the checkers should look at
    blocked = "blocked"       # refused by an automatic check; cannot be approved


class ReviewState(enum.StrEnum):
    pending = "pending"
    approved = "approved"     # two different checkers approved it: it may be downloaded
    rejected = "rejected"
    not_needed = "not_needed"  # a dummy-data run: nothing real to protect


class Decision(enum.StrEnum):
    approve = "approve"
    reject = "reject"


class SpaceJob(Base):
    __tablename__ = "space_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    queue_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True)
    project_digest: Mapped[str] = mapped_column(String(64))
    project: Mapped[dict] = mapped_column(JSON, default=dict)
    dummy: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[SpaceJobState] = mapped_column(enum_type(SpaceJobState, "space_job_state"),
                                                        default=SpaceJobState.queued)
    # the failure as a translatable msgid and its values (never the job's own log text)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_template: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_params: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # compute metering (the base for compute vouchers)
    cpu_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    peak_memory_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    wall_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    output_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    view_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    grant: Mapped[Grant] = relationship()
    version: Mapped[DatasetVersion] = relationship()
    requester: Mapped[Person | None] = relationship()
    outputs: Mapped[list[SpaceJobOutput]] = relationship(back_populates="job", cascade="all, delete-orphan",
                                                         order_by="SpaceJobOutput.id")


class SpaceJobOutput(Base):
    """A file the job wrote (or its stdout/stderr log), held until two checkers approve it."""

    __tablename__ = "space_job_outputs"
    __table_args__ = (UniqueConstraint("job_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("space_jobs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(20))  # table | figure | model | text | log | undeclared
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)  # in yizhi.storage; None if not kept
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    checks: Mapped[list] = mapped_column(JSON, default=list)  # [{check, status, message, params}]
    auto_status: Mapped[AutoStatus] = mapped_column(enum_type(AutoStatus, "space_job_auto_status"))
    review_state: Mapped[ReviewState] = mapped_column(enum_type(ReviewState, "space_job_review_state"),
                                                      default=ReviewState.pending)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[SpaceJob] = relationship(back_populates="outputs")
    reviews: Mapped[list[SpaceJobReview]] = relationship(back_populates="output", cascade="all, delete-orphan",
                                                         order_by="SpaceJobReview.id")


class SpaceJobReview(Base):
    """One checker's decision on one output (a person decides an output once)."""

    __tablename__ = "space_job_reviews"
    __table_args__ = (UniqueConstraint("output_id", "checker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    output_id: Mapped[int] = mapped_column(ForeignKey("space_job_outputs.id", ondelete="CASCADE"), index=True)
    checker_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, "space_job_decision"))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    output: Mapped[SpaceJobOutput] = relationship(back_populates="reviews")
    checker: Mapped[Person] = relationship()


class SpaceJobLimit(Base):
    """Compute limits of one grant (None: no limit beyond the per-job settings)."""

    __tablename__ = "space_job_limits"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), unique=True)
    max_jobs: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_cpu_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_wall_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_output_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
