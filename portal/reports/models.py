"""The office's answers to comments, the report's publication, and the final document.

An `Answer` is a decision with a justification; `AnsweredComment` says which answer a top-level
comment got, so several comments can share one ("jak w uwadze 12"). `FinalSection` holds the
final version of the document section by section, and `ChangeLink` ties a change in § N to
the comments that caused it.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.sanitize import render_markdown
from portal.types import LabelledEnum, UTCDateTime, enum_column


class Decision(LabelledEnum):
    ACCEPTED = "accepted", _l("uwzględniona")
    PARTLY_ACCEPTED = "partly_accepted", _l("częściowo uwzględniona")
    NOT_ACCEPTED = "not_accepted", _l("nieuwzględniona")
    EXPLANATION = "explanation", _l("wyjaśnienie")


DECISION_LABELS = Decision.labels()


class Report(db.Model):
    """A consultation's report: its summary and whether (since when) it is public."""

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    summary: Mapped[str] = mapped_column(Text, default="")  # Markdown: how the consultation ran
    summary_html: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The first publication (kept through corrections) and the last corrected one.
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Commenters are told once, at the first publication (a re-publication sends nothing).
    participants_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When staff uploaded the final version of the document (FinalSection rows).
    final_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ReportVersion(db.Model):
    """One publication of the report, kept as it was shown (a correction never erases the old one)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()  # 1 for the first publication
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    snapshot: Mapped[str] = mapped_column(Text)  # JSON: summary and rows as published

    __table_args__ = (UniqueConstraint("consultation_id", "number"),)


@event.listens_for(Report.summary, "set")
def _render_summary(target, value, oldvalue, initiator):
    target.summary_html = str(render_markdown(value))


class Answer(db.Model):
    """The office's decision on one or more comments, with its justification (Markdown)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, 20))
    justification: Mapped[str] = mapped_column(Text, default="")
    justification_html: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_answer_consultation", "consultation_id"),)

    @property
    def decision_label(self) -> str:
        return str(DECISION_LABELS[self.decision])


@event.listens_for(Answer.justification, "set")
def _render_justification(target, value, oldvalue, initiator):
    target.justification_html = str(render_markdown(value))


class AnsweredComment(db.Model):
    """A top-level comment and the answer it got (one answer per comment)."""

    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))

    answer: Mapped[Answer] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_answered_comment_answer", "answer_id"),
        Index("ix_answered_comment_consultation", "consultation_id"),
    )


class FinalSection(db.Model):
    """One section (§) of the final document, compared with the draft section of the same number."""

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(  # as written: "Rozdział 9", "§ 3"
        String(60), default=lambda context: f"§ {context.get_current_parameters()['number']}")
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)  # Markdown: the section's paragraphs, blank-line separated
    html: Mapped[str] = mapped_column(Text)  # through portal.sanitize

    __table_args__ = (UniqueConstraint("consultation_id", "number"),)


class ChangeLink(db.Model):
    """The change in § `section_number` of the final document was made because of this comment."""

    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    section_number: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_change_link_consultation", "consultation_id", "section_number"),)
