"""A consultation, its phases (the timeline) and its documents."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, and_, event, select
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.sanitize import render_markdown
from portal.types import UTCDateTime, enum_column


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class PhaseKind(enum.StrEnum):
    ANNOUNCEMENT = "announcement"
    GROUP_SIGNUP = "group_signup"
    MEETINGS = "meetings"
    DRAFTING = "drafting"
    PRESENTATION = "presentation"
    E_CONSULTATION = "e_consultation"
    ANALYSIS = "analysis"
    COUNCIL = "council"
    OTHER = "other"


class ModerationMode(enum.StrEnum):
    ALL = "all"              # every comment of a non-staff person waits for approval
    UNTRUSTED = "untrusted"  # comments of people not marked trusted wait
    NONE = "none"            # comments appear at once (moderators can still hide them)


class DocumentKind(enum.StrEnum):
    CURRENT = "current"      # the programme in force
    DRAFT = "draft"          # the draft under consultation
    FINAL = "final"
    REPORT = "report"
    MINUTES = "minutes"      # of a working group's or a meeting's session (see MeetingMaterials)
    OTHER = "other"


class Consultation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    lead: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default=clock.DEFAULT_ZONE)
    status: Mapped[Status] = mapped_column(
        enum_column(Status, 20),
        default=Status.DRAFT,
    )
    view_count: Mapped[int] = mapped_column(default=0)
    moderation_mode: Mapped[ModerationMode] = mapped_column(enum_column(ModerationMode, 20),
                                                            default=ModerationMode.ALL)
    # Distinct reporters after which a comment is hidden until a moderator decides.
    flag_threshold: Mapped[int] = mapped_column(default=3)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_role: Mapped[str] = mapped_column(String(300), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    # When news subscribers were told that this consultation was published (None: not yet).
    news_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    phases: Mapped[list[Phase]] = relationship(
        back_populates="consultation", order_by="Phase.position", lazy="raise",
        cascade="all, delete-orphan", passive_deletes=True)
    documents: Mapped[list[Document]] = relationship(
        back_populates="consultation", order_by="Document.position", lazy="raise",
        cascade="all, delete-orphan", passive_deletes=True)

    # The electronic consultation phase (the forum's window), loadable in the same query as the
    # consultation; the same condition as `phase_of(id, PhaseKind.E_CONSULTATION)`.
    comment_window: Mapped[Phase | None] = relationship(
        primaryjoin=lambda: Phase.of_kind(Consultation.id, PhaseKind.E_CONSULTATION),
        viewonly=True, uselist=False, lazy="raise")

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def __repr__(self) -> str:
        return f"<Consultation {self.slug}>"


@event.listens_for(Consultation.body, "set")
def _render_body(target, value, oldvalue, initiator):
    target.body_html = str(render_markdown(value))


class Phase(db.Model):
    """A step of the timeline; open while starts_at <= now < ends_at (`is_open_at`, in Python and SQL).

    A whole-day end ("until 30 September") is stored as the next local midnight.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[PhaseKind] = mapped_column(
        enum_column(PhaseKind, 30),
        default=PhaseKind.OTHER,
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When news subscribers were told that this phase started (None: not yet).
    news_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship(back_populates="phases", lazy="raise")

    __table_args__ = (Index("ix_phase_consultation_position", "consultation_id", "position"),)

    @hybrid_method
    def is_open_at(self, now: datetime) -> bool:
        """The one window rule, in Python and (on the class) in SQL: starts_at <= now < ends_at."""
        return self.starts_at <= now < self.ends_at

    @is_open_at.expression
    def is_open_at(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.starts_at <= now, cls.ends_at > now)

    @hybrid_method
    def has_started_at(self, now: datetime) -> bool:
        """Begun (open now, or over): its start has come."""
        return self.starts_at <= now

    @hybrid_method
    def has_ended_at(self, now: datetime) -> bool:
        """Over: its end (exclusive) has come."""
        return self.ends_at <= now

    def state_at(self, now: datetime) -> str:
        """"before", "open" or "after" this phase at `now`."""
        if self.is_open_at(now):
            return "open"
        return "after" if self.has_ended_at(now) else "before"

    @classmethod
    def of_kind(cls, consultation_id, kind: PhaseKind) -> ColumnElement[bool]:
        """The phase of this kind of a consultation (an id, or a column to join on)."""
        return and_(cls.consultation_id == consultation_id, cls.kind == kind)


def phase_of(consultation_id: int, kind: PhaseKind) -> Phase | None:
    """A consultation's phase of a kind (one query); where the consultation is loaded anyway, its
    `comment_window` relationship brings the e-consultation phase in the same query."""
    return db.session.scalar(select(Phase).where(Phase.of_kind(consultation_id, kind)))


class Document(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[DocumentKind] = mapped_column(
        enum_column(DocumentKind, 20),
        default=DocumentKind.OTHER,
    )
    url: Mapped[str | None] = mapped_column(String(1000))
    # Uploaded files (back office) are stored under instance/ by a random name.
    file_name: Mapped[str | None] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(300), default="")  # as the uploader named it
    content_type: Mapped[str] = mapped_column(String(120), default="")   # decided by sniffing the content
    size_bytes: Mapped[int] = mapped_column(default=0)
    # The DOCX or ODT the published draft was imported from (portal.forum.draft_source); one at most.
    draft_source: Mapped[bool] = mapped_column(default=False)

    consultation: Mapped[Consultation] = relationship(back_populates="documents", lazy="raise")

    __table_args__ = (Index("ix_document_consultation_position", "consultation_id", "position"),)
