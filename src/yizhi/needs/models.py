"""Tables of the needs domain: needs, needs-list releases, solutions, engagements, pilots, notifications.

Embeddings are stored with their rows (float32 bytes plus the encoder's name) so that any process
can rebuild its matching index without re-encoding, and a new encoder is detected by its name.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from yizhi.accounts.models import Organization, Person
from yizhi.db import Base, UTCDateTime, enum_type, utcnow


class NeedStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    returned = "returned"
    published = "published"
    in_engagement = "in_engagement"
    piloting = "piloting"
    closed = "closed"


class Level(enum.StrEnum):
    """Importance and urgency grades."""

    high = "high"
    medium = "medium"
    low = "low"


class SolutionStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    withdrawn = "withdrawn"


class EngagementStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    withdrawn = "withdrawn"


class PilotStatus(enum.StrEnum):
    running = "running"
    closed = "closed"


class Need(Base):
    __tablename__ = "needs_needs"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    category_suggested: Mapped[bool] = mapped_column(default=False)
    importance: Mapped[Level] = mapped_column(enum_type(Level, "needs_importance"), default=Level.medium)
    urgency: Mapped[Level] = mapped_column(enum_type(Level, "needs_urgency"), default=Level.medium)
    department: Mapped[str] = mapped_column(String(100), default="")
    modalities: Mapped[list] = mapped_column(JSON, default=list)
    data_available: Mapped[str] = mapped_column(Text, default="")
    expected_outcome: Mapped[str] = mapped_column(Text, default="")
    success_measures: Mapped[str] = mapped_column(Text, default="")
    budget_min: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 万元 (10,000 CNY)
    budget_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_info: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[NeedStatus] = mapped_column(
        enum_type(NeedStatus, "needs_status"), default=NeedStatus.draft, index=True
    )
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    organization: Mapped[Organization] = relationship(foreign_keys=[org_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])


class Release(Base):
    """A numbered, frozen needs list (需求清单); a correction is a new version of the same number."""

    __tablename__ = "needs_releases"
    __table_args__ = (UniqueConstraint("year", "number", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    snapshot: Mapped[list] = mapped_column(JSON)  # the needs as they were at release, frozen
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    need_count: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    released_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Solution(Base):
    __tablename__ = "needs_solutions"
    __table_args__ = (UniqueConstraint("org_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    category_suggested: Mapped[bool] = mapped_column(default=False)
    modalities: Mapped[list] = mapped_column(JSON, default=list)
    maturity: Mapped[str] = mapped_column(String(20), default="prototype")
    nmpa_class: Mapped[str | None] = mapped_column(String(4), nullable=True)  # I, II, III
    deployments: Mapped[int] = mapped_column(Integer, default=0)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_info: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[SolutionStatus] = mapped_column(
        enum_type(SolutionStatus, "needs_solution_status"), default=SolutionStatus.published, index=True
    )
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    organization: Mapped[Organization] = relationship(foreign_keys=[org_id])


class Engagement(Base):
    """A company's interest in a published need, and the conversation that follows."""

    __tablename__ = "needs_engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs_needs.id", ondelete="CASCADE"), index=True)
    solution_id: Mapped[int | None] = mapped_column(
        ForeignKey("needs_solutions.id", ondelete="SET NULL"), nullable=True
    )
    company_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    message: Mapped[str] = mapped_column(Text, default="")
    proposed_approach: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[EngagementStatus] = mapped_column(
        enum_type(EngagementStatus, "needs_engagement_status"), default=EngagementStatus.pending, index=True
    )
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    need: Mapped[Need] = relationship()
    solution: Mapped[Solution | None] = relationship()
    company: Mapped[Organization] = relationship(foreign_keys=[company_org_id])
    messages: Mapped[list[EngagementMessage]] = relationship(
        back_populates="engagement", order_by="EngagementMessage.id"
    )


class EngagementMessage(Base):
    __tablename__ = "needs_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("needs_engagements.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    engagement: Mapped[Engagement] = relationship(back_populates="messages")
    author: Mapped[Person | None] = relationship()
    organization: Mapped[Organization] = relationship()


class Pilot(Base):
    """A trial of the product at the hospital, grown out of an accepted engagement."""

    __tablename__ = "needs_pilots"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("needs_engagements.id", ondelete="CASCADE"), unique=True
    )
    site: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome_measures: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PilotStatus] = mapped_column(enum_type(PilotStatus, "needs_pilot_status"),
                                                       default=PilotStatus.running)
    closing_report: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    engagement: Mapped[Engagement] = relationship()


class Notification(Base):
    """An in-app notice to one person; the text is rendered from `kind` + `params` in their language."""

    __tablename__ = "needs_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# ----- the needs list's version: what cached renderings of /needs are checked against -----------------
class ListVersion(Base):
    """One row (id 1): bumped by every transaction that changes a need or an organisation, in that
    transaction, just before it commits (events below). `yizhi.needs.list_cache` serves a cached
    rendering of the needs list only while this value is unchanged, in any process."""

    __tablename__ = "needs_list_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


_CHANGED = "yizhi.needs.list_changed"  # session.info flag: this transaction changed what the list shows
_LISTED = (Need, Organization)  # the list shows needs and their organisations' names


@event.listens_for(Session, "before_flush")
def _note_listed_changes(session: Session, _context, _instances) -> None:
    if any(isinstance(obj, _LISTED) for part in (session.new, session.dirty, session.deleted) for obj in part):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state) -> None:
    # update(Need)/delete(Need) statements through the session bypass the flush
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in _LISTED:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _bump_list_version(session: Session) -> None:
    """Last statement before COMMIT, so the counter row's lock is held for the commit alone (taking it
    earlier could deadlock with a transaction that holds rows this one still has to write)."""
    session.flush()  # commit would flush pending changes after this hook: flush now to see them
    if session.info.pop(_CHANGED, False):
        bump_list_version(session.connection())


@event.listens_for(Session, "after_transaction_end")
def _forget_rolled_back_changes(session: Session, transaction) -> None:
    # The outermost transaction ended: committed (the flag was used above) or rolled back (nothing to
    # announce). A savepoint's end keeps the flag: its enclosing transaction may hold other changes.
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def bump_list_version(connection) -> None:
    table = ListVersion.__table__
    done = connection.execute(update(table).where(table.c.id == 1).values(version=table.c.version + 1))
    if done.rowcount:
        return
    # No row (a database emptied by hand or by tests): start from a random value, so a value cached
    # before the row vanished is never met again.
    try:
        with connection.begin_nested():
            connection.execute(insert(table).values(id=1, version=secrets.randbits(62)))
    except IntegrityError:  # another transaction inserted it meanwhile
        connection.execute(update(table).where(table.c.id == 1).values(version=table.c.version + 1))
