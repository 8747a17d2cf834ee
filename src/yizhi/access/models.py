"""Tables of the access domain: grants (the core every use of data checks), and beside them the
request workflow (:mod:`request_models`) and the feedback half (:mod:`feedback_models`).

A grant ties an organisation (and a named team) to dataset versions and the columns allowed in
each, a kind (``data``: row-level work in the trusted data space or an extract; ``statistics``:
aggregates only), a mode (``space``: inside the trusted data space only; ``extract``: a
de-identified download), conditions, an ε budget for differential privacy, and an expiry.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yizhi.accounts.models import Organization, Person
from yizhi.catalog.models import DatasetVersion
from yizhi.db import Base, UTCDateTime, enum_type, utcnow


class GrantMode(enum.StrEnum):
    space = "space"
    extract = "extract"


class GrantKind(enum.StrEnum):
    data = "data"              # row-level work inside the space (and extracts when the mode says so)
    statistics = "statistics"  # answered with aggregates only (Tier A), never rows


class GrantState(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    revoked = "revoked"
    closed = "closed"


def _new_salt() -> str:
    return secrets.token_hex(16)


class Grant(Base):
    __tablename__ = "access_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[GrantKind] = mapped_column(enum_type(GrantKind, "access_grant_kind"), default=GrantKind.data)
    mode: Mapped[GrantMode] = mapped_column(enum_type(GrantMode, "access_grant_mode"), default=GrantMode.space)
    state: Mapped[GrantState] = mapped_column(enum_type(GrantState, "access_grant_state"), default=GrantState.active)
    purpose: Mapped[str] = mapped_column(String(40), default="scientific_research")
    title: Mapped[str] = mapped_column(String(300), default="")
    lay_summary: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    # an administrative grant is made by the commission directly (e.g. for its own evaluators)
    administrative: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    # differential privacy: total ε for this grant (None: no DP budget set); spending is Tier A's
    epsilon_budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    # whether queries may run without DP (automated clients are DP-only unless this is on)
    allow_non_dp_automation: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # with the platform key, derives this grant's extract key (pseudonyms re-keyed per grant)
    extract_salt: Mapped[str] = mapped_column(String(32), default=_new_salt)
    # the expiry notice was sent (and `access.grant_expired` recorded) for this expiry
    expiry_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship()
    datasets: Mapped[list[GrantDataset]] = relationship(back_populates="grant", cascade="all, delete-orphan",
                                                        order_by="GrantDataset.id")
    team: Mapped[list[GrantMember]] = relationship(back_populates="grant", cascade="all, delete-orphan",
                                                   order_by="GrantMember.id")


class GrantDataset(Base):
    """One dataset version under a grant and the columns allowed in it."""

    __tablename__ = "access_grant_datasets"
    __table_args__ = (UniqueConstraint("grant_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id", ondelete="RESTRICT"), index=True)
    # {table: [column, ...]}; a table absent here is not granted; None means every column of every table
    columns: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # DICOM series instance UIDs allowed (None: every series of the version)
    series: Mapped[list | None] = mapped_column(JSON, nullable=True)

    grant: Mapped[Grant] = relationship(back_populates="datasets")
    version: Mapped[DatasetVersion] = relationship()


class GrantMember(Base):
    """A person of the team named on the grant; only they act under it."""

    __tablename__ = "access_grant_members"
    __table_args__ = (UniqueConstraint("grant_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)

    grant: Mapped[Grant] = relationship(back_populates="team")
    person: Mapped[Person] = relationship()


# The workflow and feedback tables live in their own modules; importing them here makes
# `yizhi.access.models` the one place migrations and the tests' table cleanup look.
from yizhi.access.feedback_models import *  # noqa: E402,F401,F403
from yizhi.access.request_models import *  # noqa: E402,F401,F403
