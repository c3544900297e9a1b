"""Public moderation numbers of a consultation: one grouped query, no personal data."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from portal.consultations.models import Consultation, ModerationMode
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.moderation.services import REJECTION_LABELS, RejectionReason


@dataclass
class Transparency:
    submitted: int
    official: int
    published: int
    pending: int
    rejected: int
    rejected_by_reason: list[tuple[str, int]]  # (reason label, count), in the labels' order
    hidden_by_moderators: int
    hidden_after_flags: int
    threads: int
    locked_threads: int

    @property
    def hidden(self) -> int:
        return self.hidden_by_moderators + self.hidden_after_flags


def _label_variants(reason: RejectionReason) -> set[str]:
    """The reason's label in every UI language (a moderator's language is the one stored)."""
    variants = set()
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            variants.add(str(REJECTION_LABELS[reason]))
    return variants


def _rejected_for(reason: RejectionReason):
    """A rejection's text is the reason's label, alone or followed by ": the moderator's note"
    (for "inny powód" the note alone, which is why a text with no known label counts as that)."""
    return or_(*[or_(Post.moderation_reason == label, Post.moderation_reason.startswith(label + ":", autoescape=True))
                 for label in sorted(_label_variants(reason))])


def transparency_numbers(consultation: Consultation) -> Transparency:
    """Comments of the consultation by their state now, and why the rejected ones were: one query.

    The reason of a rejection is read from the comment's own rejection text (Post.moderation_reason),
    which starts with the reason's label; a text matching no label counts as "inny powód". The
    comment rather than the audit log is the source, so every number here describes the same
    comments (a rejection is final; a hidden comment counts as hidden, not as published).
    """
    def count(condition):
        return func.count(case((condition, 1)))

    rejected = Post.state == PostState.REJECTED
    hidden = Post.state == PostState.HIDDEN
    specific = [reason for reason in REJECTION_LABELS if reason != RejectionReason.OTHER]
    threads = select(func.count(Thread.id)).where(Thread.consultation_id == consultation.id)
    row = db.session.execute(
        select(func.count(Post.id).label("submitted"),
               count(Post.is_official.is_(True)).label("official"),
               count(Post.state == PostState.APPROVED).label("published"),
               count(Post.state == PostState.PENDING).label("pending"),
               count(rejected).label("rejected"),
               count(and_(hidden, Post.hidden_by_flags.is_(False))).label("hidden_by_moderators"),
               count(and_(hidden, Post.hidden_by_flags.is_(True))).label("hidden_after_flags"),
               *[count(and_(rejected, _rejected_for(reason))).label(f"reason_{reason.value}")
                 for reason in specific],
               threads.scalar_subquery().label("threads"),
               threads.where(Thread.locked_at.is_not(None)).scalar_subquery().label("locked_threads"))
        .select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.consultation_id == consultation.id)
    ).one()
    by_reason = {reason: getattr(row, f"reason_{reason.value}") for reason in specific}
    by_reason[RejectionReason.OTHER] = row.rejected - sum(by_reason.values())
    return Transparency(
        submitted=row.submitted, official=row.official, published=row.published, pending=row.pending,
        rejected=row.rejected,
        rejected_by_reason=[(str(REJECTION_LABELS[reason]), by_reason[reason]) for reason in REJECTION_LABELS],
        hidden_by_moderators=row.hidden_by_moderators, hidden_after_flags=row.hidden_after_flags,
        threads=row.threads, locked_threads=row.locked_threads)


MODE_DESCRIPTIONS = {
    ModerationMode.ALL: _l("Każda uwaga uczestnika jest sprawdzana przez moderatora przed publikacją."),
    ModerationMode.UNTRUSTED: _l("Uwagi uczestników, którzy nie mają jeszcze statusu zaufanych, są sprawdzane "
                                 "przez moderatora przed publikacją; pozostałe ukazują się od razu."),
    ModerationMode.NONE: _l("Uwagi ukazują się od razu. Moderator może ukryć uwagę naruszającą zasady — "
                            "w jej miejscu widać wtedy powód ukrycia."),
}
