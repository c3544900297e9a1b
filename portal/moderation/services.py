"""The one moderation service: every change of a comment's state goes through here.

pending -> approved | rejected; approved <-> hidden; the new text an author proposed for an
approved comment -> approved (it becomes the text) | rejected (the old text stays). Each change
enters through `perform`, a compare-and-set on the comment's version (`claim`: `UPDATE post ...
WHERE id = ? AND version = ?`, the only one; the forum's edit uses it too), so of two moderators
acting on the same item only the first succeeds; the second is told who was first. Every change
writes an append-only audit row with the text before and after.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, desc, or_, select, update

from portal import audit, clock, mail
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.consultations.models import Consultation, ModerationMode
from portal.errors import Refusal
from portal.extensions import db
from portal.forum.models import Post, PostRevision, PostState, Thread
from portal.forum.notifications import notify_about
from portal.forum.search_index import indexed
from portal.reports.services import number_late_comment
from portal.sanitize import render_markdown
from portal.types import LabelledEnum


class RejectionReason(LabelledEnum):
    OFF_TOPIC = "off_topic", _l("nie dotyczy tematu konsultacji")
    OFFENSIVE = "offensive", _l("treść obraźliwa")
    PERSONAL_DATA = "personal_data", _l("zawiera dane osobowe")
    SPAM = "spam", _l("spam lub reklama")
    DUPLICATE = "duplicate", _l("powtórzenie wcześniejszej uwagi")
    OTHER = "other", _l("inny powód")


REJECTION_LABELS = RejectionReason.labels()


class ModerationError(Refusal):
    """A moderation rule refused the action; `message` says why."""


class AlreadyHandled(ModerationError):
    """Another moderator changed the comment first."""


def initial_state(user: User, consultation: Consultation) -> PostState:
    """The state a new comment starts in under the consultation's moderation setting."""
    if user.is_staff or consultation.moderation_mode == ModerationMode.NONE:
        return PostState.APPROVED
    if consultation.moderation_mode == ModerationMode.UNTRUSTED and user.is_trusted:
        return PostState.APPROVED
    return PostState.PENDING


def claim(post: Post, expected_version: int | None, *conditions, **values) -> bool:
    """The one compare-and-set on a comment: change it only if nobody changed it since it was read.

    `UPDATE post SET version = version + 1, <values> WHERE id = ? AND version = ? AND <conditions>`;
    True (and the comment refreshed) when this request won, False when someone was first
    (nothing is written then). `expected_version` is the version the moderator or author saw;
    None only where nobody saw one (the comment hidden by reports, under the comment's lock).
    """
    where = [Post.id == post.id, *conditions]
    if "body" in values:  # a bulk UPDATE passes the ORM's listeners by: the search words follow the text here
        values["search_text"] = indexed(values["body"] or "")
    if expected_version is not None:
        where.append(Post.version == expected_version)
    result = db.session.execute(update(Post).where(*where).values(version=Post.version + 1, **values)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    db.session.refresh(post)
    return True


def perform(actor: User, post: Post, action: str | None, expected_version: int, *conditions,
            allowed_from: tuple[PostState, ...] | None = None, reason: str = "", before: dict | None = None,
            after: dict | None = None, **values) -> None:
    """Every moderator's action on a comment enters here (as Discourse's `reviewable.perform`).

    Claims the comment at the version the moderator saw (and in one of `allowed_from`), writing
    `values`; raises AlreadyHandled, saying who was first, when another moderator or the author
    changed it meanwhile. The claim is the action's first write, so a refusal leaves nothing
    behind and the view needs no rollback. Then writes the audit row `action` with the text before
    and after (`action` None: the caller records it once it knows the outcome, e.g. a move).
    """
    if before is None:
        before = {"state": post.state.value, "body": post.body}
        if post.proposed_at is not None:
            before["proposed_body"] = post.proposed_body
    if allowed_from is not None:
        conditions = (*conditions, Post.state.in_(allowed_from))
    if not claim(post, expected_version, *conditions, **values):
        raise AlreadyHandled(already_handled_message(post))
    if action is not None:
        audit.record(actor, action, post, reason, before=before,
                     after=after if after is not None else {"state": post.state.value, "body": post.body})


def already_handled_message(post: Post) -> str:
    """Who changed the comment first: another moderator, or its author editing it."""
    db.session.refresh(post)
    last = db.session.execute(
        select(AuditLog, User.display_name).outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.target_type == "post", AuditLog.target_id == post.id)
        .order_by(desc(AuditLog.id)).limit(1)
    ).first()
    author_changed = max(filter(None, (post.edited_at, post.proposed_at)), default=None)
    if author_changed is not None and (last is None or last.AuditLog.at < author_changed):
        return str(_l("Autor zmienił treść tej uwagi w międzyczasie. Przeczytaj nową treść i zdecyduj jeszcze raz."))
    if last is None:
        return str(_l("Ta uwaga zmieniła się w międzyczasie. Odśwież kolejkę."))
    return str(_l("Ta uwaga została już obsłużona przez: %(name)s.", name=last.display_name or "?"))


def _thread_counts(thread_id: int, change: int, now: datetime) -> None:
    values = {"comment_count": Thread.comment_count + change}
    if change > 0:
        values["last_activity_at"] = now
    db.session.execute(update(Thread).where(Thread.id == thread_id).values(**values))


def awaiting_approval():
    """SQL condition: a moderator's approval is awaited (a new comment, or a new text of a published one)."""
    return or_(Post.state == PostState.PENDING, and_(Post.state == PostState.APPROVED, Post.proposed_at.is_not(None)))


def waits_as_edit(post: Post) -> bool:
    """A published comment whose author's new text waits for a moderator."""
    return post.state == PostState.APPROVED and post.proposed_at is not None


def approve(moderator: User, post: Post, expected_version: int, edited_body: str | None = None,
            now: datetime | None = None) -> None:
    """Publish a pending comment (optionally with the moderator's edit, kept as a revision),
    or the waiting new text of a published one."""
    now = now or clock.now_utc()
    if waits_as_edit(post):
        if edited_body is not None and edited_body.strip() and edited_body.strip() != post.proposed_body:
            raise ModerationError(_l("Zmianę opublikowanej uwagi można zatwierdzić albo odrzucić — "
                                     "bez poprawek moderatora."))
        _approve_edit(moderator, post, expected_version, now)
        return
    values = {}
    original = post.body
    edited = edited_body is not None and edited_body.strip() and edited_body.strip() != original
    if edited:
        values = {"body": edited_body.strip(), "body_html": str(render_markdown(edited_body.strip())), "edited_at": now,
                  "moderator_edited_at": now}
    perform(moderator, post, "post_approved_with_edits" if edited else "post_approved", expected_version,
            allowed_from=(PostState.PENDING,), state=PostState.APPROVED, **values)
    if edited:  # only once the version check succeeded: a lost race leaves no revision behind
        db.session.add(PostRevision(post_id=post.id, body=original, created_at=now, editor_id=moderator.id))
    thread = db.session.get(Thread, post.thread_id)
    _thread_counts(thread.id, +1, now)
    number_late_comment(post)
    if post.notified_at is None:  # notifications go out exactly once, at the first approval
        post.notified_at = now
        parent = db.session.get(Post, post.parent_id) if post.parent_id else None
        notify_about(post, thread, parent)
    author = db.session.get(User, post.author_id) if post.author_id else None
    if edited and author and author.is_active:
        mail.queue(author.email, "post_approved_with_edits", post=post, thread=thread)


def _approve_edit(moderator: User, post: Post, expected_version: int, now: datetime) -> None:
    """The author's new text replaces the public one; the public one is kept as a revision."""
    public, author_id, written_at = post.body, post.author_id, post.proposed_at
    perform(moderator, post, "post_edit_approved", expected_version, allowed_from=(PostState.APPROVED,),
            body=post.proposed_body, body_html=post.proposed_body_html, edited_at=written_at,
            proposed_body=None, proposed_body_html=None, proposed_at=None)
    db.session.add(PostRevision(post_id=post.id, body=public, created_at=now, editor_id=author_id))


def _rejection_text(reason: RejectionReason, note: str) -> str:
    label, note = str(REJECTION_LABELS[reason]), note.strip()
    # "inny powód" says nothing of its own: the note is the reason ("Powód: …", not "Powód: inny powód: …").
    # The numbers page counts a text that starts with no known label as "inny powód".
    if reason == RejectionReason.OTHER and note:
        return note
    return f"{label}: {note}" if note else label


def reject(moderator: User, post: Post, expected_version: int, reason: RejectionReason, note: str = "",
           now: datetime | None = None) -> None:
    """Refuse a pending comment, or the new text of a published one; the author gets an e-mail
    with the reason and the full text that was refused."""
    text = _rejection_text(reason, note)
    if waits_as_edit(post):
        refused = post.proposed_body
        perform(moderator, post, "post_edit_rejected", expected_version, allowed_from=(PostState.APPROVED,),
                reason=text, proposed_body=None, proposed_body_html=None, proposed_at=None)
        author = db.session.get(User, post.author_id) if post.author_id else None
        if author and author.is_active:
            mail.queue(author.email, "post_edit_rejected", post=post, reason=text, refused_body=refused,
                       thread=db.session.get(Thread, post.thread_id))
        return
    perform(moderator, post, "post_rejected", expected_version, allowed_from=(PostState.PENDING,),
            reason=text, state=PostState.REJECTED, moderation_reason=text)
    author = db.session.get(User, post.author_id) if post.author_id else None
    if author and author.is_active:
        mail.queue(author.email, "post_rejected", post=post, reason=text,
                   thread=db.session.get(Thread, post.thread_id))


def hide(moderator: User, post: Post, expected_version: int, public_reason: str,
         now: datetime | None = None) -> None:
    """Hide a published comment behind a placeholder with a public reason; its replies stay."""
    perform(moderator, post, "post_hidden", expected_version, allowed_from=(PostState.APPROVED,),
            reason=public_reason, state=PostState.HIDDEN, moderation_reason=public_reason.strip())
    _thread_counts(post.thread_id, -1, now or clock.now_utc())


def unhide(moderator: User, post: Post, expected_version: int, reason: str = "",
           now: datetime | None = None) -> None:
    perform(moderator, post, "post_unhidden", expected_version, allowed_from=(PostState.HIDDEN,),
            reason=reason, state=PostState.APPROVED, moderation_reason="", hidden_by_flags=False)
    _thread_counts(post.thread_id, +1, now or clock.now_utc())
    number_late_comment(post)


def hide_by_flags(post: Post, now: datetime | None = None) -> bool:
    """Enough distinct reporters: hide until a moderator decides (no moderator acted: actor None)."""
    before = {"state": post.state.value, "body": post.body}
    if not claim(post, None, Post.state == PostState.APPROVED, state=PostState.HIDDEN, hidden_by_flags=True,
                 moderation_reason=str(_l("zgłoszenia użytkowników — czeka na decyzję moderatora"))):
        return False
    audit.record(None, "post_hidden_by_flags", post, "", before=before, after={"state": post.state.value})
    _thread_counts(post.thread_id, -1, now or clock.now_utc())
    return True
