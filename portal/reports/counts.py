"""How many comments a consultation has: the one definition every page and file uses.

A "uwaga" is what the report numbers: an approved top-level comment that is not the office's own
reply (`services.in_report`). Everything else approved — replies and the office's posts — is an
"odpowiedź" and is counted apart. Pending, rejected and hidden comments count nowhere: the
public never sees them (a moderator's numbers live in the moderation pages).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.reports.services import in_report


@dataclass(frozen=True)
class Counts:
    comments: int = 0   # uwagi: in the report
    replies: int = 0    # odpowiedzi: approved, not in the report

    @property
    def posts(self) -> int:
        return self.comments + self.replies


@dataclass
class CommentCounts:
    """A consultation's counts, thread by thread."""

    threads: dict[int, Counts] = field(default_factory=dict)

    def of(self, thread: Thread) -> Counts:
        return self.threads.get(thread.id, Counts())

    @property
    def comments(self) -> int:
        return sum(counts.comments for counts in self.threads.values())

    @property
    def replies(self) -> int:
        return sum(counts.replies for counts in self.threads.values())


def is_comment(consultation_id) -> ColumnElement[bool]:
    """SQL: this post is a "uwaga" of the consultation (Post joined to Thread).

    Given the column `Thread.consultation_id` instead of an id, it holds for every consultation.
    """
    return and_(*in_report(consultation_id))


def _per_thread(consultation_id: int):
    """Comments and replies per thread of the consultation, as a subquery."""
    return (
        select(Post.thread_id.label("thread_id"),
               func.sum(case((is_comment(consultation_id), 1), else_=0)).label("comments"),
               func.count(Post.id).label("posts"))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.consultation_id == consultation_id, Post.state == PostState.APPROVED)
        .group_by(Post.thread_id)
    ).subquery()


def comment_counts(consultation_id: int) -> CommentCounts:
    """The consultation's comments and replies, per thread: one query."""
    counted = _per_thread(consultation_id)
    rows = db.session.execute(select(counted.c.thread_id, counted.c.comments, counted.c.posts)).all()
    return CommentCounts({thread_id: Counts(int(comments), posts - int(comments))
                          for thread_id, comments, posts in rows})


def counted_threads(consultation_id: int) -> tuple[list[Thread], CommentCounts]:
    """The forum's threads in the forum's order, with their counts: one query."""
    from portal.forum.services import in_forum_order

    counted = _per_thread(consultation_id)
    rows = db.session.execute(
        select(Thread, counted.c.comments, counted.c.posts)
        .outerjoin(counted, counted.c.thread_id == Thread.id)
        .where(Thread.consultation_id == consultation_id)
        .options(joinedload(Thread.section))
    ).all()
    counts = CommentCounts({thread.id: Counts(int(comments or 0), (posts or 0) - int(comments or 0))
                            for thread, comments, posts in rows})
    return in_forum_order([thread for thread, _, _ in rows]), counts


def comments_by_consultation(consultation_ids: list[int]) -> dict[int, int]:
    """Consultation id -> its comments, for those of `consultation_ids` that have a forum: one query."""
    if not consultation_ids:
        return {}
    rows = db.session.execute(
        select(Thread.consultation_id, func.count(Post.id))
        .outerjoin(Post, and_(Post.thread_id == Thread.id, is_comment(Thread.consultation_id)))
        .where(Thread.consultation_id.in_(consultation_ids))
        .group_by(Thread.consultation_id)
    ).all()
    return {consultation_id: count for consultation_id, count in rows}


def comments_in_report_column(consultation_id: int):
    """SQL window column for a query of a thread's top-level posts (joined to Thread): how many are comments.

    The thread page's roots query carries it, so its header costs no query of its own.
    """
    return func.sum(case((is_comment(consultation_id), 1), else_=0)).over()


@dataclass(frozen=True)
class OutsideReport:
    """What the report's table leaves out, counted so that the report accounts for everything sent."""

    replies: int    # approved posts that are not comments: replies and the office's posts
    rejected: int   # comments (top-level) a moderator did not publish
    hidden: int     # comments (top-level) hidden after publication


def outside_report(consultation_id: int) -> OutsideReport:
    """One query. The reasons are on the public moderation page (moderation/statistics.py)."""
    top_level = and_(Post.depth == 0, Post.is_official.is_(False))

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(count(and_(Post.state == PostState.APPROVED, ~is_comment(consultation_id))).label("replies"),
               count(and_(top_level, Post.state == PostState.REJECTED)).label("rejected"),
               count(and_(top_level, Post.state == PostState.HIDDEN)).label("hidden"))
        .select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .where(Thread.consultation_id == consultation_id)
    ).one()
    return OutsideReport(int(row.replies), int(row.rejected), int(row.hidden))
