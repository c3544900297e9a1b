"""Thematic working groups and online meetings of a consultation, and the people signing up.

No account is needed to register: the e-mail address is proven by a confirmation link, and
every e-mail carries a private link (a signed token naming the registration) to confirm or
withdraw.
"""
from __future__ import annotations

import enum
import unicodedata
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import ForeignKey, Index, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.sanitize import render_markdown
from portal.types import UTCDateTime, enum_column


class MeetingMaterials:
    """What staff publish after a group's or a meeting's session: a recording link, the minutes
    (an uploaded document of the consultation) and a short summary (Markdown)."""

    recording_url: Mapped[str] = mapped_column(String(1000), default="")
    minutes_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    materials_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkingGroup(MeetingMaterials, db.Model):
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
    meeting_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The groups meet online too: sent to confirmed members before the meeting, never shown publicly.
    join_url: Mapped[str] = mapped_column(String(1000), default="")

    consultation: Mapped[Consultation] = relationship(lazy="raise")

    __table_args__ = (Index("ix_working_group_consultation_position", "consultation_id", "position"),)


class Meeting(MeetingMaterials, db.Model):
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
    # Which of the optional applicant fields this meeting requires (names, comma-separated);
    # a new meeting asks for what the seed asks of group applicants.
    required_fields: Mapped[str] = mapped_column(
        String(200), default="organisation_address,organisation_contact,prior_activity")

    consultation: Mapped[Consultation] = relationship(lazy="raise")

    __table_args__ = (Index("ix_meeting_consultation_starts", "consultation_id", "starts_at"),)

    def is_open(self, now: datetime) -> bool:
        return now < self.registration_deadline

    def requires(self, field_name: str) -> bool:
        """Whether this meeting's form requires one of REQUIRABLE_FIELDS."""
        return field_name in self.required_fields.split(",")


# The applicant fields a meeting may require or leave optional (name, e-mail and organisation
# name are always required).
REQUIRABLE_FIELDS = ("phone", "organisation_address", "organisation_contact", "prior_activity")


@event.listens_for(WorkingGroup.summary, "set")
@event.listens_for(Meeting.summary, "set")
def _render_summary(target, value, oldvalue, initiator):
    target.summary_html = str(render_markdown(value or ""))


class Status(enum.StrEnum):
    PENDING = "pending"        # holds a seat until confirmed or the hold expires
    CONFIRMED = "confirmed"    # holds a seat
    WAITING = "waiting"        # on the waiting list, in order of arrival
    WITHDRAWN = "withdrawn"    # by the person
    EXPIRED = "expired"        # not confirmed in time
    CANCELLED = "cancelled"    # by staff, with a reason


HOLDING = (Status.PENDING, Status.CONFIRMED)
ACTIVE = (Status.PENDING, Status.CONFIRMED, Status.WAITING)
_ACTIVE_SQL = "status IN ('pending', 'confirmed', 'waiting')"


EMAIL_KEY_LENGTH = 254


def email_key(address: str, ignore_plus_tags: bool = True) -> str:
    """Who an address stands for, in "one active registration per person"; mail still goes to `email`.

    `Alice@x.pl`, `ａｌｉｃｅ@x.pl` (full-width letters) and, with `ignore_plus_tags`,
    `alice+ngo@x.pl` count as one person: one key (NFKC, case folded, trimmed, the `+tag` before
    @ dropped). Letters of other scripts that only look alike (Cyrillic "а") are not folded.
    """
    key = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", address).casefold()).strip()
    local, at, domain = key.rpartition("@")
    if ignore_plus_tags and at and local.partition("+")[0]:
        key = f"{local.partition('+')[0]}@{domain}"
    return key[:EMAIL_KEY_LENGTH]  # NFKC may lengthen a (valid, <= 254) address; the column holds 254


def ignore_plus_tags() -> bool:
    return not has_app_context() or current_app.config.get("REGISTRATION_EMAIL_IGNORE_PLUS_TAGS", True)


class PersonalDetails:
    """What an applicant types (the seed's list): name, contact, organisation, prior activity."""

    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))  # lower-cased; the address we write to
    # `email_key(email)`, set whenever `email` is (also when retention erases it); the
    # one-active-registration indexes are on it.
    email_key: Mapped[str] = mapped_column(String(EMAIL_KEY_LENGTH))
    phone: Mapped[str] = mapped_column(String(50), default="")
    organisation_name: Mapped[str] = mapped_column(String(300))
    organisation_address: Mapped[str] = mapped_column(String(500), default="")
    organisation_contact: Mapped[str] = mapped_column(String(300), default="")
    prior_activity: Mapped[str] = mapped_column(Text, default="")
    # Recording the meeting to write down the proposals. `recording_basis` is the lawful basis the
    # privacy notice named when the person signed up ("public_task" or "consent"); under
    # "consent" a refusal (False) does not block the sign-up.
    recording_consent: Mapped[bool] = mapped_column(default=False)
    recording_basis: Mapped[str] = mapped_column(String(20), default="")
    # Accessibility needs (codes, comma-separated, e.g. "pjm,captions,other") and free text; they
    # may reveal health data, so they are kept only with explicit consent, given at this moment.
    accessibility_needs: Mapped[str] = mapped_column(String(100), default="")
    accessibility_details: Mapped[str] = mapped_column(String(1000), default="")
    accessibility_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marked by staff after the meeting: True present, False absent, None not marked.
    attended: Mapped[bool | None] = mapped_column()
    attendance_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sent the meeting's join link (the sweep sends it once).
    link_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The RODO art. 13 information shown at the form: which version, and when it was accepted.
    privacy_notice_version: Mapped[str] = mapped_column(String(20))
    privacy_notice_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("email")
    def _keep_email_key(self, _name: str, address: str) -> str:
        self.email_key = email_key(address, ignore_plus_tags())
        return address


class RegistrationState:
    """Where a registration stands (`Status`), when it was confirmed, and when and why it ended."""

    status: Mapped[Status] = mapped_column(enum_column(Status, 20))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(1000), default="")


class GroupRegistration(PersonalDetails, RegistrationState, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id", ondelete="CASCADE"))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[WorkingGroup] = relationship(lazy="raise")

    __table_args__ = (
        # One active registration per person (per e-mail key) per consultation, whatever the group:
        # enforced by the database, so two simultaneous submissions cannot both get in.
        Index("uq_group_registration_active_email_key", "consultation_id", "email_key", unique=True,
              postgresql_where=text(_ACTIVE_SQL), sqlite_where=text(_ACTIVE_SQL)),
        Index("ix_group_registration_group_status", "group_id", "status", "id"),
        Index("ix_group_registration_hold", "status", "hold_expires_at"),
    )

    @property
    def holds_seat(self) -> bool:
        return self.status in HOLDING


class MeetingRegistration(PersonalDetails, RegistrationState, db.Model):
    # status: PENDING until the e-mail is confirmed, then CONFIRMED; WITHDRAWN by the person or staff.
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))

    meeting: Mapped[Meeting] = relationship(lazy="raise")

    __table_args__ = (
        Index("uq_meeting_registration_active_email_key", "meeting_id", "email_key", unique=True,
              postgresql_where=text(_ACTIVE_SQL), sqlite_where=text(_ACTIVE_SQL)),
    )
