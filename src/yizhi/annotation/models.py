"""Tables of the annotation service.

A project labels items of one dataset version. An *item* points at the data (a row of a table, a
DICOM instance) — the data itself stays in the version's files. An *assignment* is one annotator's
work on one item (its lock, answer, review); the unique (item, annotator, condition) constraint is
what guarantees that nobody is given the same item twice, whatever the concurrency.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Organization, Person
from yizhi.catalog.models import DatasetVersion
from yizhi.db import Base, UTCDateTime, enum_type, utcnow


class ProjectKind(enum.StrEnum):
    labeling = "labeling"
    deid_review = "deid_review"      # checks the de-identifier's output on a sample before publishing
    reader_study = "reader_study"    # readers on a benchmark's cases, unaided then aided


class ProjectState(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class ItemStatus(enum.StrEnum):
    open = "open"              # still needs annotators
    full = "full"              # every slot taken (some still locked)
    complete = "complete"      # every slot answered; agrees (or overlap 1)
    disputed = "disputed"      # answered, annotators disagree: for an adjudicator
    resolved = "resolved"      # the adjudicator decided


class AssignmentState(enum.StrEnum):
    locked = "locked"          # given to the annotator, lock running
    submitted = "submitted"
    skipped = "skipped"
    expired = "expired"        # the lock ran out; the item went back to the queue
    returned = "returned"      # a reviewer sent it back with a comment


class Project(Base):
    __tablename__ = "annotation_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProjectKind] = mapped_column(enum_type(ProjectKind, "annotation_project_kind"),
                                              default=ProjectKind.labeling)
    state: Mapped[ProjectState] = mapped_column(enum_type(ProjectState, "annotation_project_state"),
                                                default=ProjectState.open)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"), index=True)
    # the grant the project works under when its organisation does not hold the version
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grants.id", ondelete="RESTRICT"), nullable=True)
    # where items come from: {"kind": "text"|"dicom"|"rows", "table", "text_column", "columns", ...}
    source: Mapped[dict] = mapped_column(JSON, default=dict)
    schema: Mapped[dict] = mapped_column(JSON, default=dict)          # the parsed label schema
    instructions: Mapped[str] = mapped_column(Text, default="")       # Markdown-like plain text
    overlap: Mapped[int] = mapped_column(Integer, default=1)          # annotators per overlapped item
    overlap_percent: Mapped[int] = mapped_column(Integer, default=100)  # share of items overlapped
    lock_minutes: Mapped[int] = mapped_column(Integer, default=30)
    skip_policy: Mapped[str] = mapped_column(String(20), default="allow")  # allow | reason | forbid
    qualification_count: Mapped[int] = mapped_column(Integer, default=0)  # gold items before real ones
    qualification_min: Mapped[float] = mapped_column(Float, default=0.8)   # accuracy needed to qualify
    gold_rate: Mapped[float] = mapped_column(Float, default=0.0)           # hidden gold mixed in afterwards
    annotator_orgs: Mapped[list] = mapped_column(JSON, default=list)       # organisation ids
    annotator_people: Mapped[list] = mapped_column(JSON, default=list)     # person ids (empty: any in orgs)
    reviewer_people: Mapped[list] = mapped_column(JSON, default=list)
    # reader studies: {"benchmark", "design", "reference", "positive", "ai_column", "positive_from"}
    study: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    version: Mapped[DatasetVersion] = relationship()


class Item(Base):
    __tablename__ = "annotation_items"
    __table_args__ = (
        UniqueConstraint("project_id", "key"),
        # items of a project by status (counts, the adjudication list)
        Index("ix_annotation_items_queue", "project_id", "status", "gold", "priority", "id"),
        # the claim's index (migration 0013): open items only, so the scan starts at a takeable item
        Index("ix_annotation_items_open", "project_id", "gold", "priority", "id",
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("annotation_projects.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))                 # row number or SOP instance UID
    ref: Mapped[dict] = mapped_column(JSON, default=dict)         # {"row": n} or {"path", "frame"}
    status: Mapped[ItemStatus] = mapped_column(enum_type(ItemStatus, "annotation_item_status"), default=ItemStatus.open)
    required: Mapped[int] = mapped_column(Integer, default=1)     # annotators this item needs
    taken: Mapped[int] = mapped_column(Integer, default=0)        # live locks + answers
    answered: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[float] = mapped_column(Float, default=0.0)   # higher first (uncertainty sampling)
    gold: Mapped[str] = mapped_column(String(12), default="")     # "" | "qualify" | "hidden"
    gold_answer: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    suggestion: Mapped[dict | None] = mapped_column(JSON, nullable=True)   # pre-annotation
    assign_org_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assign_person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    final_answer: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    final_source: Mapped[str] = mapped_column(String(20), default="")     # consensus | single | adjudicated
    adjudicator_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    adjudication_comment: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship()


class Assignment(Base):
    __tablename__ = "annotation_assignments"
    __table_args__ = (
        UniqueConstraint("item_id", "annotator_id", "condition"),
        Index("ix_annotation_assignments_mine", "project_id", "annotator_id", "state"),
        Index("ix_annotation_assignments_locks", "project_id", "state", "locked_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("annotation_projects.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("annotation_items.id", ondelete="CASCADE"), index=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    condition: Mapped[str] = mapped_column(String(12), default="")     # reader studies: unaided | aided
    state: Mapped[AssignmentState] = mapped_column(enum_type(AssignmentState, "annotation_assignment_state"),
                                                   default=AssignmentState.locked)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    skip_reason: Mapped[str] = mapped_column(String(500), default="")
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    gold_correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    review_state: Mapped[str] = mapped_column(String(12), default="")   # "" | accepted | returned
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    item: Mapped[Item] = relationship()
    annotator: Mapped[Person] = relationship(foreign_keys=[annotator_id])


class Qualification(Base):
    """An annotator's standing in a project: training until the qualification set is done."""

    __tablename__ = "annotation_qualifications"
    __table_args__ = (UniqueConstraint("project_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("annotation_projects.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default="training")   # training | qualified | failed
    served: Mapped[int] = mapped_column(Integer, default=0)              # items served (hidden gold cadence)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
