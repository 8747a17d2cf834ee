"""Tables of the product supermarket: products and versions, the evaluation reports they carry,
the commission's criteria per category and its certificates, pilot requests, ratings, post-market
reports and re-evaluation requests, and the domain's notifications. Vouchers are in
:mod:`yizhi.market.voucher_models` (imported at the end, so the registry finds both).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Organization, Person
from yizhi.db import Base, UTCDateTime, enum_type, utcnow
from yizhi.evaluation.models import Submission
from yizhi.needs.models import Engagement, Need, Pilot, Solution


DEPLOYMENTS = ("on_premises", "cloud", "his_integration", "pacs_integration", "emr_integration")
PRICE_MODELS = ("one_time", "subscription", "per_use", "free", "negotiable")


class CertState(enum.StrEnum):
    requested = "requested"    # the company asked; the commission has not decided
    certified = "certified"
    refused = "refused"
    withdrawn = "withdrawn"    # the commission took a certificate back, with a reason
    expired = "expired"


class PilotRequestState(enum.StrEnum):
    requested = "requested"
    accepted = "accepted"      # the engagement and pilot exist in the needs library
    declined = "declined"
    withdrawn = "withdrawn"


class IncidentKind(enum.StrEnum):
    incident = "incident"      # something went wrong with a case
    drift = "drift"            # performance drifted from the report


class Severity(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class IncidentState(enum.StrEnum):
    open = "open"
    answered = "answered"


class ReevaluationState(enum.StrEnum):
    open = "open"
    closed = "closed"


class Product(Base):
    __tablename__ = "market_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    intended_use: Mapped[str] = mapped_column(Text, default="")
    population: Mapped[str] = mapped_column(Text, default="")
    modalities: Mapped[list] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(40), index=True)
    nmpa_class: Mapped[str | None] = mapped_column(String(4), nullable=True)     # I, II, III; None: not a device
    nmpa_certificate: Mapped[str] = mapped_column(String(40), default="")
    nmpa_valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    nmpa_valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    deployments: Mapped[list] = mapped_column(JSON, default=list)
    price_model: Mapped[str] = mapped_column(String(20), default="negotiable")
    price_note: Mapped[str] = mapped_column(String(500), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_info: Mapped[str] = mapped_column(String(200), default="")
    # the product's entry among the needs library's solutions (made when its first pilot is agreed)
    solution_id: Mapped[int | None] = mapped_column(ForeignKey("needs_solutions.id", ondelete="SET NULL"),
                                                    nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    solution: Mapped[Solution | None] = relationship()
    versions: Mapped[list[ProductVersion]] = relationship(back_populates="product", order_by="ProductVersion.id")


class ProductVersion(Base):
    __tablename__ = "market_versions"
    __table_args__ = (UniqueConstraint("product_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("market_products.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    release_notes: Mapped[str] = mapped_column(Text, default="")
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship(back_populates="versions")
    reports: Mapped[list[VersionReport]] = relationship(back_populates="version", order_by="VersionReport.id",
                                                        cascade="all, delete-orphan")
    certifications: Mapped[list[Certification]] = relationship(back_populates="version",
                                                                order_by="Certification.id")

    @property
    def ref(self) -> str:
        return f"{self.product.slug}@{self.label}"


class VersionReport(Base):
    """An evaluation center report carried by a version (the submission's signed report)."""

    __tablename__ = "market_version_reports"
    __table_args__ = (UniqueConstraint("version_id", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("market_versions.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("evaluation_submissions.id", ondelete="RESTRICT"),
                                               index=True)
    report_sha256: Mapped[str] = mapped_column(String(64))   # as attached; a later change shows as unverified
    attached_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ProductVersion] = relationship(back_populates="reports")
    submission: Mapped[Submission] = relationship()


class CriteriaSet(Base):
    """One published revision of a category's certification criteria."""

    __tablename__ = "market_criteria_sets"
    __table_args__ = (UniqueConstraint("category", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[list] = mapped_column(JSON)
    nmpa_required: Mapped[bool] = mapped_column(Boolean, default=True)
    criteria_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Certification(Base):
    """A request for certification of one version and the commission's decision on it."""

    __tablename__ = "market_certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("market_versions.id", ondelete="CASCADE"), index=True)
    state: Mapped[CertState] = mapped_column(enum_type(CertState, "market_cert_state"), default=CertState.requested,
                                             index=True)
    criteria_set_id: Mapped[int | None] = mapped_column(ForeignKey("market_criteria_sets.id", ondelete="RESTRICT"),
                                                        nullable=True)
    check: Mapped[dict | None] = mapped_column(JSON, nullable=True)       # criteria × reports, NMPA, at decision
    reports: Mapped[list] = mapped_column(JSON, default=list)             # [{submission_id, report_sha256}]
    request_note: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)

    version: Mapped[ProductVersion] = relationship(back_populates="certifications")
    criteria_set: Mapped[CriteriaSet | None] = relationship()
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class PilotRequest(Base):
    """A hospital asks to pilot a certified version; agreed, it is an engagement and a pilot in the needs library."""

    __tablename__ = "market_pilot_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("market_versions.id", ondelete="RESTRICT"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("needs_needs.id", ondelete="SET NULL"), nullable=True)
    site: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome_measures: Mapped[str] = mapped_column(Text)
    state: Mapped[PilotRequestState] = mapped_column(enum_type(PilotRequestState, "market_pilot_request_state"),
                                                     default=PilotRequestState.requested, index=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("needs_engagements.id", ondelete="SET NULL"),
                                                      nullable=True)
    pilot_id: Mapped[int | None] = mapped_column(ForeignKey("needs_pilots.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ProductVersion] = relationship()
    hospital: Mapped[Organization] = relationship()
    need: Mapped[Need | None] = relationship()
    engagement: Mapped[Engagement | None] = relationship()
    pilot: Mapped[Pilot | None] = relationship()
    rating: Mapped[Rating | None] = relationship(back_populates="pilot_request", uselist=False)


class Rating(Base):
    """The hospital's structured rating of a product after its closed pilot (1-5 each)."""

    __tablename__ = "market_ratings"
    __table_args__ = (
        CheckConstraint("accuracy BETWEEN 1 AND 5 AND workflow_fit BETWEEN 1 AND 5 AND support BETWEEN 1 AND 5",
                        name="scores_1_to_5"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pilot_request_id: Mapped[int] = mapped_column(ForeignKey("market_pilot_requests.id", ondelete="CASCADE"),
                                                  unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("market_versions.id", ondelete="CASCADE"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    accuracy: Mapped[int] = mapped_column(Integer)        # accuracy in practice
    workflow_fit: Mapped[int] = mapped_column(Integer)
    support: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pilot_request: Mapped[PilotRequest] = relationship(back_populates="rating")
    hospital: Mapped[Organization] = relationship()


class ReevaluationRequest(Base):
    """Raised when post-market reports on a version repeat: the evaluation center is asked to look again."""

    __tablename__ = "market_reevaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("market_versions.id", ondelete="CASCADE"), index=True)
    incident_ids: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[ReevaluationState] = mapped_column(enum_type(ReevaluationState, "market_reevaluation_state"),
                                                     default=ReevaluationState.open)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)

    version: Mapped[ProductVersion] = relationship()


class Incident(Base):
    """A hospital's post-market report of an incident or performance drift, and the company's answer."""

    __tablename__ = "market_incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("market_versions.id", ondelete="CASCADE"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[IncidentKind] = mapped_column(enum_type(IncidentKind, "market_incident_kind"))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, "market_severity"), default=Severity.medium)
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date] = mapped_column(Date)
    state: Mapped[IncidentState] = mapped_column(enum_type(IncidentState, "market_incident_state"),
                                                 default=IncidentState.open)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reevaluation_id: Mapped[int | None] = mapped_column(ForeignKey("market_reevaluations.id", ondelete="SET NULL"),
                                                        nullable=True)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    version: Mapped[ProductVersion] = relationship()
    hospital: Mapped[Organization] = relationship()


class MarketNotification(Base):
    """An in-app notice; its text is rendered from ``kind`` + ``params`` in the reader's language."""

    __tablename__ = "market_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


from yizhi.market.voucher_models import *  # noqa: E402,F401,F403
