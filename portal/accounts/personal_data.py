"""Everything the portal holds about one person: its export (RODO art. 15 and 20) and its erasure (art. 17).

One place decides what "the person's data" is, so that the export and the erasure never drift
apart: the account and organisation, comments and replies (with their earlier texts), followed
threads, reports filed, registrations made with the account's address (matched on
`registrations.models.email_key`), e-mails to them in the outbox and log entries about them or
by them. The export reads each kind with one query. Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update

from portal import audit, clock
from portal.accounts.models import DELETED_NAME, User
from portal.audit import AuditLog
from portal.extensions import db
from portal.mail import OutboxMessage

WITHDRAWN_REASON = "wycofana — konto usunięte"  # stored, like every moderation reason, in Polish
SCRUBBED = "[usunięto]"  # what replaces the person's name or address in the log's texts


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def registration_key(address: str) -> str:
    """The key registrations made with this address are stored under (the sign-up's own rule)."""
    from portal.registrations.models import email_key, ignore_plus_tags

    return email_key(address, ignore_plus_tags())


# --- registrations (also for applicants without an account) ---------------------------------

def _registration_rows(address: str):
    """(group rows with the group's name, meeting rows with the meeting's title) for the address's key."""
    from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, WorkingGroup

    key = registration_key(address)
    groups = db.session.execute(
        select(GroupRegistration, WorkingGroup.name).join(WorkingGroup, WorkingGroup.id == GroupRegistration.group_id)
        .where(GroupRegistration.email_key == key).order_by(GroupRegistration.id)).all()
    meetings = db.session.execute(
        select(MeetingRegistration, Meeting.title).join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
        .where(MeetingRegistration.email_key == key).order_by(MeetingRegistration.id)).all()
    return groups, meetings


def _personal(registration) -> dict:
    return {
        "id": registration.id, "status": registration.status.value, "full_name": registration.full_name,
        "email": registration.email, "phone": registration.phone,
        "organisation_name": registration.organisation_name,
        "organisation_address": registration.organisation_address,
        "organisation_contact": registration.organisation_contact,
        "prior_activity": registration.prior_activity,
        "recording_basis": registration.recording_basis,
        "recording_consent": registration.recording_consent,
        "accessibility_needs": [code for code in registration.accessibility_needs.split(",") if code],
        "accessibility_details": registration.accessibility_details,
        "accessibility_consent_at": _iso(registration.accessibility_consent_at),
        "privacy_notice_version": registration.privacy_notice_version,
        "privacy_notice_accepted_at": _iso(registration.privacy_notice_accepted_at),
        "created_at": _iso(registration.created_at), "confirmed_at": _iso(registration.confirmed_at),
        "ended_at": _iso(registration.ended_at),
    }


def registrations_export(address: str) -> dict:
    """What is kept about an address without an account: the registrations made with it (not those
    whose data retention already erased) and its subscription to news of consultations."""
    from portal.news import services as news

    groups, meetings = _registration_rows(address)
    return {
        "group_registrations": [
            {**_personal(r), "group": name, "end_reason": r.end_reason}
            for r, name in groups if r.personal_data_erased_at is None],
        "meeting_registrations": [{**_personal(r), "meeting": title}
                                  for r, title in meetings if r.personal_data_erased_at is None],
        "news_subscriptions": news.export_for(address),
    }


def has_registrations(address: str) -> bool:
    """Whether anything is kept about the address (a registration or a news subscription)."""
    return any(registrations_export(address).values())


# --- the export -----------------------------------------------------------------------------

def _account(user: User) -> dict:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "created_at": _iso(user.created_at),
        "email_verified_at": _iso(user.email_verified_at),
        "trusted": user.is_trusted,
        "blocked": {"since": _iso(user.blocked_at), "until": _iso(user.blocked_until),
                    "reason": user.block_reason} if user.blocked_at else None,
        "notifications": {"replies": user.notify_replies, "subscriptions": user.notify_subscriptions,
                          "report": user.notify_report},
        "privacy_notice": {"version": getattr(user, "privacy_notice_version", None),
                           "accepted_at": _iso(getattr(user, "privacy_notice_accepted_at", None))},
    }


def _organisation(user: User) -> dict | None:
    organisation = user.organisation
    if organisation is None:
        return None
    return {"name": organisation.name, "krs": organisation.krs, "city": organisation.city,
            "verified": organisation.is_verified}


def _comments(user: User) -> list[dict]:
    from portal.forum.models import Post, Thread

    rows = db.session.execute(
        select(Post, Thread.title).join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == user.id).order_by(Post.created_at, Post.id)).all()
    return [{"id": post.id, "thread": {"id": post.thread_id, "title": title},
             "reply_to": post.parent_id, "state": post.state.value, "body": post.body,
             "created_at": _iso(post.created_at), "edited_at": _iso(post.edited_at),
             "moderation_reason": post.moderation_reason, "proposed_body": post.proposed_body,
             "proposed_at": _iso(post.proposed_at)} for post, title in rows]


def _revisions(user: User) -> list[dict]:
    from portal.forum.models import Post, PostRevision

    rows = db.session.execute(
        select(PostRevision, Post.author_id).join(Post, Post.id == PostRevision.post_id)
        .where(or_(PostRevision.editor_id == user.id, Post.author_id == user.id))
        .order_by(PostRevision.created_at, PostRevision.id)).all()
    return [{"comment": revision.post_id, "body": revision.body, "created_at": _iso(revision.created_at),
             "edited_by_you": revision.editor_id == user.id, "your_comment": author_id == user.id}
            for revision, author_id in rows]


def _subscriptions(user: User) -> list[dict]:
    from portal.forum.models import Subscription, Thread

    rows = db.session.execute(
        select(Subscription.created_at, Thread.id, Thread.title).join(Thread, Thread.id == Subscription.thread_id)
        .where(Subscription.user_id == user.id).order_by(Subscription.created_at)).all()
    return [{"thread": {"id": thread_id, "title": title}, "since": _iso(since)} for since, thread_id, title in rows]


def _flags(user: User) -> list[dict]:
    from portal.moderation.models import Flag

    rows = db.session.scalars(select(Flag).where(Flag.reporter_id == user.id).order_by(Flag.created_at)).all()
    return [{"comment": flag.post_id, "reason": flag.reason.value, "note": flag.note,
             "created_at": _iso(flag.created_at), "resolved_at": _iso(flag.resolved_at),
             "resolution": flag.resolution} for flag in rows]


def _emails(addresses: set[str]) -> list[dict]:
    """Subjects and dates, not bodies: a body may carry a still valid link (reset, withdrawal)."""
    rows = db.session.scalars(select(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(addresses))
                              .order_by(OutboxMessage.created_at, OutboxMessage.id)).all()
    return [{"to": message.recipient, "subject": message.subject, "created_at": _iso(message.created_at),
             "sent": message.sent_at is not None, "sent_at": _iso(message.sent_at)} for message in rows]


def _log(user: User) -> list[dict]:
    from portal.accounts.admin_services import ACTION_LABELS

    about = and_(AuditLog.target_type == "user", AuditLog.target_id == user.id)
    rows = db.session.scalars(select(AuditLog).where(or_(about, AuditLog.actor_id == user.id))
                              .order_by(AuditLog.at, AuditLog.id)).all()
    return [{"action": entry.action, "label": str(ACTION_LABELS.get(entry.action, entry.action)),
             "at": _iso(entry.at), "by_you": entry.actor_id == user.id,
             "about": {"type": entry.target_type, "id": entry.target_id},
             "reason": entry.reason if entry.target_type == "user" and entry.target_id == user.id else ""}
            for entry in rows]


def export(user: User) -> dict:
    """Everything the portal holds about the person, one query per kind."""
    registrations = registrations_export(user.email)
    addresses = {user.email.lower()} | {r["email"].lower() for kind in registrations.values() for r in kind}
    return {
        "exported_at": clock.now_utc().isoformat(),
        "account": _account(user),
        "organisation": _organisation(user),
        "comments": _comments(user),
        "revisions": _revisions(user),
        "subscriptions": _subscriptions(user),
        "flags": _flags(user),
        **registrations,
        "emails": _emails(addresses),
        "log": _log(user),
    }


# --- the erasure ----------------------------------------------------------------------------

def _end_registrations(user: User, now: datetime) -> tuple[list, set[str]]:
    """End the active registrations made with the address as their owner's withdrawal would
    (a held seat goes to the first person waiting) and return them with the addresses used."""
    from portal.registrations import services as registrations
    from portal.registrations.models import ACTIVE

    groups, meetings = _registration_rows(user.email)
    rows = [r for r, _name in groups] + [r for r, _title in meetings]
    for registration, _name in groups:
        if registration.status in ACTIVE:
            registrations.withdraw(registration, now)
    for registration, _title in meetings:
        registrations.withdraw_meeting(registration, now)
    return rows, {r.email.lower() for r in rows if r.personal_data_erased_at is None}


def _withdraw_unpublished_comments(user: User) -> int:
    """Pending comments leave the moderation queue (rejected, their text gone); a new text waiting
    for a moderator goes too. Rejected rather than deleted: log rows and counts that name the
    comment keep pointing at a row, and nobody can approve it any more."""
    from portal.forum.models import Post, PostState

    withdrawn = db.session.execute(
        update(Post).where(Post.author_id == user.id, Post.state == PostState.PENDING)
        .values(state=PostState.REJECTED, body="", body_html="", search_text="",
                moderation_reason=WITHDRAWN_REASON, version=Post.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(update(Post).where(Post.author_id == user.id, Post.proposed_at.is_not(None))
                       .values(proposed_body=None, proposed_body_html=None, proposed_at=None)
                       .execution_options(synchronize_session=False))
    return withdrawn


def _scrub_log(needles: list[str]) -> int:
    """Replace the person's name and addresses in log texts (reason, before, after).

    The log is append-only for the application (audit.py refuses ORM updates); erasure is the one
    exception, written on the table itself: the rows stay, only these words go.
    """
    needles = sorted({n for n in needles if len(n.strip()) >= 3}, key=len, reverse=True)
    if not needles:
        return 0
    columns = (AuditLog.reason, AuditLog.before, AuditLog.after)
    rows = db.session.execute(
        select(AuditLog.id, *columns)
        .where(or_(*[column.contains(needle, autoescape=True) for column in columns for needle in needles]))
    ).all()
    table = AuditLog.__table__
    scrubbed = 0
    for row_id, *texts in rows:
        cleaned = []
        for text in texts:
            for needle in needles:
                text = text.replace(needle, SCRUBBED)
            cleaned.append(text)
        if cleaned != list(texts):
            db.session.execute(update(table).where(table.c.id == row_id)
                               .values(reason=cleaned[0], before=cleaned[1], after=cleaned[2]))
            scrubbed += 1
    return scrubbed


def erase(user: User, now: datetime | None = None) -> dict:
    """Erase the person's data; what they published stays, signed "Konto usunięte" (translated
    when shown: `User.shown_name`). Returns the counts the log records (no personal data)."""
    from portal.forum.models import Subscription
    from portal.moderation.models import Flag
    from portal.news import services as news
    from portal.registrations.retention import erase_personal_data

    now = now or clock.now_utc()
    registrations, addresses = _end_registrations(user, now)
    addresses.add(user.email.lower())
    db.session.flush()  # the withdrawal e-mails are in the outbox: they go with the rest
    needles = [user.email, user.display_name]
    for registration in registrations:
        if registration.personal_data_erased_at is None:
            needles += [registration.email, registration.full_name, registration.phone]
    counts = {
        "emails": db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(addresses))
                                     .execution_options(synchronize_session=False)).rowcount,
        "registrations": sum(r.personal_data_erased_at is None for r in registrations),
        "withdrawn_comments": _withdraw_unpublished_comments(user),
        # The report stays (moderators still see it); it no longer says who made it.
        "flags": db.session.execute(update(Flag).where(Flag.reporter_id == user.id).values(reporter_id=None)
                                    .execution_options(synchronize_session=False)).rowcount,
        "subscriptions": db.session.execute(delete(Subscription).where(Subscription.user_id == user.id)
                                            .execution_options(synchronize_session=False)).rowcount,
        "news_subscriptions": news.erase_for(user.email),
        "log_entries_scrubbed": _scrub_log(needles),
    }
    for registration in registrations:
        if registration.personal_data_erased_at is None:
            erase_personal_data(registration, now)
    user.email = f"usuniete-{user.id}@invalid"
    user.display_name = DELETED_NAME
    user.password_hash = ""
    user.organisation = None
    user.notify_replies = user.notify_subscriptions = user.notify_report = False
    user.moderation_digest = False
    user.block_reason = ""
    user.deleted_at = now
    user.session_version += 1
    audit.record(user, "account_erased", user, after=counts)
    return counts
