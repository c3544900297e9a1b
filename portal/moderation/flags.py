"""Reports of published comments ("Zgłoś naruszenie") and the moderators' decisions on them.

A verified participant reports an approved comment of someone else once (the unique constraint
on (post, reporter) is the final guard against a double click or two tabs). When the number of
distinct reporters with an open report reaches the consultation's `flag_threshold`, the comment
is hidden until a moderator decides (`services.hide_by_flags`).

A moderator then agrees (the comment is, or stays, hidden with a public reason) or dismisses
(a comment the reports hid is shown again). Both are a compare-and-set on the comment's version,
so of two moderators deciding at once only the first succeeds, and both close every open report
of the comment and write audit rows. State changes go through `moderation.services`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import audit, clock, permissions
from portal.accounts.models import User
from portal.consultations.models import Consultation
from portal.errors import Refusal
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.moderation import services
from portal.moderation.models import Flag, FlagReason
from portal.moderation.services import REJECTION_LABELS, RejectionReason

NOTE_MAX = 1000
REASON_MAX = 1000

REASON_LABELS = FlagReason.labels()

# The public reason suggested to the moderator who agrees (shown in the placeholder).
PUBLIC_REASONS = {
    FlagReason.SPAM: REJECTION_LABELS[RejectionReason.SPAM],
    FlagReason.OFFENSIVE: REJECTION_LABELS[RejectionReason.OFFENSIVE],
    FlagReason.PERSONAL_DATA: REJECTION_LABELS[RejectionReason.PERSONAL_DATA],
    FlagReason.OFF_TOPIC: REJECTION_LABELS[RejectionReason.OFF_TOPIC],
    FlagReason.OTHER: _l("naruszenie zasad dyskusji"),
}

ALREADY_REPORTED = _l("Ta uwaga została już przez Ciebie zgłoszona. Moderatorzy ją sprawdzą — "
                      "nie trzeba zgłaszać jej ponownie.")


class FlagRefused(Refusal):
    """A rule refused the report; `message` says why."""


class AlreadyReported(FlagRefused):
    pass


# --- reporting --------------------------------------------------------------------------------

def has_reported(user: User, post: Post) -> bool:
    return db.session.scalar(select(Flag.id).where(Flag.post_id == post.id, Flag.reporter_id == user.id)) is not None


def refusal(user: User, post: Post) -> str | None:
    """Why this person may not report this comment (None: they may): the rule of
    permissions.can_report, and not twice."""
    decision = permissions.can_report(user, post)
    if not decision:
        return decision.reason
    return str(ALREADY_REPORTED) if has_reported(user, post) else None


def report(reporter: User, post: Post, reason: FlagReason, note: str = "", now: datetime | None = None) -> Flag:
    """Record one person's report; hide the comment when the threshold of reporters is reached."""
    now = now or clock.now_utc()
    note = (note or "").strip()
    if reason == FlagReason.OTHER and not note:
        raise FlagRefused(_l("Opisz, co jest nie tak z tą uwagą."))
    if len(note) > NOTE_MAX:
        raise FlagRefused(_l("Opis może mieć najwyżej %(max)d znaków.", max=NOTE_MAX))
    # Reports of one comment are counted one at a time (PostgreSQL: the comment's row is locked;
    # SQLite: one writer at a time), so the reporter who reaches the threshold always sees it.
    db.session.execute(select(Post.id).where(Post.id == post.id).with_for_update())
    db.session.refresh(post)
    message = refusal(reporter, post)
    if message == str(ALREADY_REPORTED):
        raise AlreadyReported(message)
    if message is not None:
        raise FlagRefused(message)
    flag = Flag(post_id=post.id, reporter_id=reporter.id, reason=reason, note=note, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(flag)
    except IntegrityError:
        raise AlreadyReported(ALREADY_REPORTED) from None
    if open_reporters(post) >= threshold(post):
        services.hide_by_flags(post, now)
    return flag


def open_reporters(post: Post) -> int:
    return db.session.scalar(select(func.count(distinct(Flag.reporter_id)))
                             .where(Flag.post_id == post.id, Flag.resolved_at.is_(None)))


def threshold(post: Post) -> int:
    return db.session.scalar(select(Consultation.flag_threshold)
                             .join(Thread, Thread.consultation_id == Consultation.id)
                             .where(Thread.id == post.thread_id))


# --- deciding ---------------------------------------------------------------------------------

def confirm_hidden(moderator: User, post: Post, expected_version: int, public_reason: str) -> None:
    """A hidden comment stays hidden, now on a moderator's decision, with a public reason."""
    services.perform(moderator, post, "post_hidden_confirmed", expected_version, allowed_from=(PostState.HIDDEN,),
                     reason=public_reason, hidden_by_flags=False, moderation_reason=public_reason,
                     before={"state": post.state.value, "hidden_by_flags": post.hidden_by_flags,
                             "reason": post.moderation_reason},
                     after={"state": PostState.HIDDEN.value, "hidden_by_flags": False, "reason": public_reason})


def _resolve(post: Post, resolution: str, now: datetime) -> int:
    return db.session.execute(
        update(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .values(resolved_at=now, resolution=resolution).execution_options(synchronize_session=False)
    ).rowcount


def _checked_reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise services.ModerationError(_l("Podaj powód ukrycia — zobaczą go czytelnicy zamiast uwagi."))
    if len(text) > REASON_MAX:
        raise services.ModerationError(_l("Powód może mieć najwyżej %(max)d znaków.", max=REASON_MAX))
    return text


def agree(moderator: User, post: Post, expected_version: int, public_reason: str,
          now: datetime | None = None) -> int:
    """The reports were right: hide the comment (or keep it hidden) with a public reason.

    Returns the number of reports closed.
    """
    now = now or clock.now_utc()
    public_reason = _checked_reason(public_reason)
    if post.state == PostState.APPROVED:
        services.hide(moderator, post, expected_version, public_reason, now)
    elif post.state == PostState.HIDDEN:
        confirm_hidden(moderator, post, expected_version, public_reason)
    else:
        raise services.AlreadyHandled(services.already_handled_message(post))
    closed = _resolve(post, "agreed", now)
    audit.record(moderator, "flags_agreed", post, public_reason, before={"open_flags": closed},
                 after={"state": post.state.value, "open_flags": 0})
    return closed


def dismiss(moderator: User, post: Post, expected_version: int, note: str = "",
            now: datetime | None = None) -> int:
    """The reports were wrong: a comment they hid is shown again. Returns the reports closed."""
    now = now or clock.now_utc()
    note = (note or "").strip()[:REASON_MAX]
    if post.state == PostState.HIDDEN and post.hidden_by_flags:
        services.unhide(moderator, post, expected_version, note, now)
    else:  # nothing to show again; still only the moderator who saw the current version decides
        services.perform(moderator, post, None, expected_version, allowed_from=(post.state,))
    closed = _resolve(post, "dismissed", now)
    audit.record(moderator, "flags_dismissed", post, note, before={"open_flags": closed},
                 after={"state": post.state.value, "open_flags": 0})
    return closed


# --- reading, for moderators ------------------------------------------------------------------

@dataclass
class FlaggedPost:
    post: Post
    flags: list[Flag] = field(default_factory=list)

    @property
    def reasons(self) -> Counter:
        return Counter(flag.reason for flag in self.flags)

    @property
    def suggested_public_reason(self) -> str:
        most_common = self.reasons.most_common(1)
        return str(PUBLIC_REASONS[most_common[0][0]]) if most_common else ""


def open_in_thread(thread_id: int) -> list[FlaggedPost]:
    """Comments of the thread with open reports, oldest comment first (one query)."""
    rows = db.session.execute(
        select(Flag, Post).join(Post, Post.id == Flag.post_id)
        .where(Post.thread_id == thread_id, Flag.resolved_at.is_(None))
        .options(joinedload(Post.author))
        .order_by(Post.id, Flag.created_at, Flag.id)
    ).all()
    flagged: dict[int, FlaggedPost] = {}
    for flag, post in rows:
        flagged.setdefault(post.id, FlaggedPost(post)).flags.append(flag)
    return list(flagged.values())
