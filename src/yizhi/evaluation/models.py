"""Tables of the evaluation center: benchmarks, competitions, phases, submissions, case outputs.

A submission row holds only aggregates (the report JSON), the model's hash and where its bytes are
stored. A scored submission's per-case outputs are kept apart (:class:`CaseOutputs`, a Parquet in
the platform store) for reader studies only: never shown to the submitter, on a page, in an API
answer of the evaluation or in a leaderboard (:mod:`.cases`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Organization
from yizhi.catalog.models import DatasetVersion
from yizhi.db import Base, UTCDateTime, enum_type, utcnow


class SubmissionState(enum.StrEnum):
    queued = "queued"
    running = "running"
    scored = "scored"
    failed = "failed"      # the model ran and failed (memory, time, error)
    refused = "refused"    # the model failed the checks before running


class SubmissionKind(enum.StrEnum):
    model = "model"              # an ONNX model run in the Tier B sandbox
    predictions = "predictions"  # a predictions file for a phase whose inputs are released


class PhaseKind(enum.StrEnum):
    sanity = "sanity"      # on a public split, to check the submission works
    hidden = "hidden"


class Benchmark(Base):
    __tablename__ = "evaluation_benchmarks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"), index=True)
    task: Mapped[dict] = mapped_column(JSON)              # the parsed contract
    task_yaml: Mapped[str] = mapped_column(Text)
    task_sha256: Mapped[str] = mapped_column(String(64))
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    version: Mapped[DatasetVersion] = relationship()
    phases: Mapped[list[Phase]] = relationship(back_populates="benchmark", order_by="Phase.id")


class Competition(Base):
    __tablename__ = "evaluation_competitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    phases: Mapped[list[Phase]] = relationship(back_populates="competition", order_by="Phase.id")


class Phase(Base):
    __tablename__ = "evaluation_phases"

    id: Mapped[int] = mapped_column(primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("evaluation_benchmarks.id", ondelete="CASCADE"), index=True)
    competition_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_competitions.id", ondelete="SET NULL"),
                                                       nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[PhaseKind] = mapped_column(enum_type(PhaseKind, "evaluation_phase_kind"), default=PhaseKind.hidden)
    # the dataset version scored in this phase (a sanity phase uses a public split)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cap: Mapped[int] = mapped_column(Integer, default=5)            # submissions per organisation per period
    cap_days: Mapped[int] = mapped_column(Integer, default=1)
    metric: Mapped[str] = mapped_column(String(40), default="auroc")
    pick: Mapped[str] = mapped_column(String(10), default="best")  # best | latest per team

    benchmark: Mapped[Benchmark] = relationship(back_populates="phases")
    competition: Mapped[Competition | None] = relationship(back_populates="phases")
    version: Mapped[DatasetVersion] = relationship()
    release: Mapped[InputRelease | None] = relationship(back_populates="phase", uselist=False)

    @property
    def inputs_released(self) -> bool:
        return self.release is not None


class Submission(Base):
    __tablename__ = "evaluation_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    benchmark_id: Mapped[int] = mapped_column(ForeignKey("evaluation_benchmarks.id", ondelete="RESTRICT"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_phases.id", ondelete="SET NULL"),
                                                 nullable=True, index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    state: Mapped[SubmissionState] = mapped_column(enum_type(SubmissionState, "evaluation_submission_state"),
                                                   default=SubmissionState.queued)
    kind: Mapped[SubmissionKind] = mapped_column(enum_type(SubmissionKind, "evaluation_submission_kind"),
                                                 default=SubmissionKind.model, server_default="model")
    # the submitted file's SHA-256 and size: the ONNX model, or the predictions file
    model_sha256: Mapped[str] = mapped_column(String(64))
    model_bytes: Mapped[int] = mapped_column(Integer)
    parity_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[dict | None] = mapped_column(JSON, nullable=True)   # {"template", "params"}
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    report: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    report_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    primary_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    primary_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    primary_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    benchmark: Mapped[Benchmark] = relationship()
    phase: Mapped[Phase | None] = relationship()
    organization: Mapped[Organization] = relationship()


class CaseOutputs(Base):
    """Where a scored submission's per-case outputs are: a Parquet in the platform store (columns
    ``case``, the row number in the scored table, and ``score`` — or ``score_<class>`` per class)."""

    __tablename__ = "evaluation_case_outputs"

    submission_id: Mapped[int] = mapped_column(ForeignKey("evaluation_submissions.id", ondelete="CASCADE"),
                                               primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"), index=True)
    table_name: Mapped[str] = mapped_column(String(120))
    digest: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship()


class InputRelease(Base):
    """A phase's released inputs: the feature columns of its table under an opaque case key, never
    the reference. The key is an HMAC of the row number under this release's secret ``key_salt``
    (kept here, never shown), so keys cannot be linked across phases or back to the dataset's rows.
    The CSV and Parquet files are in the platform store; every download is on the ledger."""

    __tablename__ = "evaluation_input_releases"

    phase_id: Mapped[int] = mapped_column(ForeignKey("evaluation_phases.id", ondelete="CASCADE"), primary_key=True)
    key_salt: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list] = mapped_column(JSON)
    csv_sha256: Mapped[str] = mapped_column(String(64))
    parquet_sha256: Mapped[str] = mapped_column(String(64))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)

    phase: Mapped[Phase] = relationship(back_populates="release")
