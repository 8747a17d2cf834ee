"""In-app notifications of the whole platform and each person's e-mail preference.

A notification keeps its message id and values, never rendered text, so each reader sees it in
the language of the page they read it on (and an e-mail is written in the recipient's language).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yizhi.db import Base, UTCDateTime, utcnow


class Notification(Base):
    __tablename__ = "notify_notifications"
    # The unread badge on every page counts by (person, read_at): keep that one index lookup.
    __table_args__ = (Index("ix_notify_notifications_person_read", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # "<domain>.<what>", e.g. "needs.interest_expressed"; the page filters by the domain part.
    kind: Mapped[str] = mapped_column(String(80))
    msgid: Mapped[str] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Values that are codes (a decision, a state) and are translated like the message itself.
    coded: Mapped[list] = mapped_column(JSON, default=list)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotifyPreference(Base):
    """Whether a person also wants each notification by e-mail (off unless they ask)."""

    __tablename__ = "notify_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
