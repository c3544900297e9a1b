"""Thematic working groups and online meetings of a consultation.

The sign-up itself (seats, waiting list) belongs to the registrations issue; the groups and
meetings are shown on the announcement page from the start.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.consultations.models import Consultation
from portal.extensions import db
from portal.types import UTCDateTime


class WorkingGroup(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(default=12)
    meeting_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two moderators per group: one from the city office, one from the NGO sector.
    moderator_office: Mapped[str] = mapped_column(String(200), default="")
    moderator_ngo: Mapped[str] = mapped_column(String(200), default="")

    consultation: Mapped[Consultation] = relationship(lazy="raise")

    __table_args__ = (Index("ix_working_group_consultation_position", "consultation_id", "position"),)


class Meeting(db.Model):
    """An online meeting people register for, until a deadline with a time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str] = mapped_column(Text, default="")
    moderators: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    # Sent to registered people after the deadline; never shown publicly.
    join_url: Mapped[str] = mapped_column(String(1000), default="")

    consultation: Mapped[Consultation] = relationship(lazy="raise")

    __table_args__ = (Index("ix_meeting_consultation_starts", "consultation_id", "starts_at"),)
