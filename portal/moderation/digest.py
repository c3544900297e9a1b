"""The moderators' e-mail digest: what waits in the moderation queue, at most once an hour.

A moderator or admin who asked for it (User.moderation_digest) gets one e-mail when there is
something to do — comments (or new texts of published ones) waiting for approval, or published comments reported by users — and
the last digest went out at least an hour ago (User.digest_sent_at). The e-mail gives the counts,
the ten items waiting longest (thread title and permalink) and a link to the queue.

`send_digests(now)` is run by `flask moderation-digest` from a scheduler (every few minutes is
fine). Each recipient is claimed with a compare-and-set on digest_sent_at, so two runs at the same
time never send one moderator two digests. Nothing here commits: the caller commits, then
delivers the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import case, func, or_, select, update

from portal import clock, mail
from portal.accounts.models import User
from portal.extensions import db
from portal.forum.models import Post, Thread
from portal.moderation.models import Flag
from portal.moderation.services import awaiting_approval

INTERVAL = timedelta(hours=1)
OLDEST_SHOWN = 10


def wants_digest(user) -> bool:
    """Staff who asked for the digest (an account that is deleted or no longer staff gets none)."""
    return bool(getattr(user, "moderation_digest", False) and getattr(user, "is_staff", False)
                and getattr(user, "is_active", False))


def is_due(user, now: datetime) -> bool:
    """At most one digest an hour."""
    last = getattr(user, "digest_sent_at", None)
    return last is None or now - last >= INTERVAL


@dataclass
class QueueItem:
    post_id: int
    pending: bool          # waiting for approval (else: reported by users)
    reports: int           # open reports
    waiting_since: datetime
    thread_title: str
    link: str


@dataclass
class QueueSummary:
    pending: int
    flagged: int           # comments with open reports
    oldest: list[QueueItem]

    @property
    def total(self) -> int:
        return self.pending + self.flagged


def queue_summary(limit: int = OLDEST_SHOWN) -> QueueSummary:
    """Counts and the items waiting longest: two queries."""
    open_reports = (select(Flag.post_id, func.min(Flag.created_at).label("since"), func.count(Flag.id).label("reports"))
                    .where(Flag.resolved_at.is_(None)).group_by(Flag.post_id).subquery())
    pending_count = select(func.count(Post.id)).where(awaiting_approval()).scalar_subquery()
    flagged_count = select(func.count()).select_from(open_reports).scalar_subquery()
    counts = db.session.execute(select(pending_count.label("pending"), flagged_count.label("flagged"))).one()
    if not counts.pending and not counts.flagged:
        return QueueSummary(0, 0, [])
    is_pending = awaiting_approval()
    waiting_since = case((is_pending, func.coalesce(Post.proposed_at, Post.created_at)), else_=open_reports.c.since)
    rows = db.session.execute(
        select(Post.id, is_pending.label("pending"), func.coalesce(open_reports.c.reports, 0).label("reports"),
               waiting_since.label("since"), Thread.title)
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(open_reports, open_reports.c.post_id == Post.id)
        .where(or_(is_pending, open_reports.c.post_id.is_not(None)))
        .order_by(waiting_since, Post.id).limit(limit)
    ).all()
    oldest = [QueueItem(post_id=row.id, pending=bool(row.pending), reports=row.reports, waiting_since=row.since,
                        thread_title=row.title, link=url_for("forum.permalink", post_id=row.id, _external=True))
              for row in rows]
    return QueueSummary(counts.pending, counts.flagged, oldest)


def _claim(user_id: int, now: datetime) -> bool:
    """Take the recipient for this hour; False when another run already did."""
    result = db.session.execute(
        update(User)
        .where(User.id == user_id, or_(User.digest_sent_at.is_(None), User.digest_sent_at <= now - INTERVAL))
        .values(digest_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def send_digests(now: datetime | None = None) -> int:
    """Queue a digest for every opted-in moderator who is due one, if the queue is not empty.

    Returns how many were queued. When there is nothing to do, nobody gets an e-mail and
    digest_sent_at is left alone (the next item is reported at the next run).
    """
    now = now or clock.now_utc()
    recipients = db.session.scalars(
        select(User).where(User.moderation_digest.is_(True), User.is_staff,
                           User.deleted_at.is_(None),
                           or_(User.digest_sent_at.is_(None), User.digest_sent_at <= now - INTERVAL))
        .order_by(User.id)
    ).all()
    recipients = [user for user in recipients if wants_digest(user) and is_due(user, now)]
    if not recipients:
        return 0
    summary = queue_summary()
    if not summary.total:
        return 0
    sent = 0
    # The staff's language is not stored; the site's own (Polish) is the safe choice.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_url = url_for("moderation.queue", _external=True)
        for user in recipients:
            if not _claim(user.id, now):
                continue
            mail.queue(user.email, "moderation_digest", user=user, summary=summary, queue_url=queue_url, now=now)
            sent += 1
    for user in recipients:  # digest_sent_at was set in SQL
        db.session.expire(user, ["digest_sent_at"])
    return sent
