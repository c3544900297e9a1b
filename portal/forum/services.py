"""Forum rules: who may post where and when, writing, replying, editing, reading a thread.

"May this person post here now?" is answered in exactly one place: `permissions.can_comment`.
"""
from __future__ import annotations

import enum
import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l, lazy_ngettext
from sqlalchemy import exists, func, literal, or_, select, true, update
from sqlalchemy.orm import joinedload

from portal import clock, formatting, pagination, permissions
from portal.accounts.models import User
from portal.consultations.models import Consultation, Phase, PhaseKind, phase_of
from portal.errors import Refusal
from portal.extensions import db
from portal.forum.models import (PATH_DIGITS, DraftSection, Post, PostRevision, PostState, Subscription,
                                 Thread, ThreadKind)
from portal.forum.notifications import notify_about
from portal.moderation.services import claim, initial_state
from portal.reports import counts
from portal.reports.models import Report
from portal.sanitize import render_markdown
from portal.text_rules import shown_text_problem

COMMENT_MAX = 10_000
TITLE_MAX = 200
ROOTS_PER_PAGE = 30
MAX_NESTING = 4  # replies deeper than this continue flat under the 4th level


class PostingRefused(Refusal):
    """A rule refused the post; `message` says why and the form keeps the text.

    `fields` ties messages to the form fields they are about ({"title": …, "body": …}, in the
    form's order): the form shows each one next to its field. A refusal about no field in
    particular (closed window, too soon, duplicate) has none.
    """

    def __init__(self, message, *, fields: dict | None = None):
        super().__init__(message)
        self.fields = dict(fields or {})

    @classmethod
    def about(cls, fields: dict) -> "PostingRefused":
        """A refusal of what was typed into these fields (the first message is `message`)."""
        return cls(next(iter(fields.values())), fields=fields)


Decision = permissions.Decision  # a rule's answer (portal.permissions)


def load_thread(slug: str, thread_id: int) -> Thread | None:
    """A thread with its consultation, comment window, section and paragraphs (two queries)."""
    return db.session.scalar(
        select(Thread).join(Consultation, Consultation.id == Thread.consultation_id)
        .where(Thread.id == thread_id, Consultation.slug == slug)
        .options(joinedload(Thread.consultation).joinedload(Consultation.comment_window),
                 joinedload(Thread.section).selectinload(DraftSection.paragraphs))
    )


def is_following(user, thread: Thread) -> bool:
    if not permissions.is_authenticated(user):
        return False
    return db.session.get(Subscription, (user.id, thread.id)) is not None


def comment_window(consultation_id: int) -> Phase | None:
    """The electronic consultation phase: comments are taken while it is open."""
    return phase_of(consultation_id, PhaseKind.E_CONSULTATION)


def may_post(user, thread: Thread | None, window: Phase | None, now: datetime | None = None) -> Decision:
    """May this person post (a thread, a comment, a reply, an edit) here now? (`permissions.can_comment`)"""
    return permissions.can_comment(user, thread, window, now)


def _pad(post_id: int) -> str:
    return str(post_id).zfill(PATH_DIGITS)


def place_top_level(post: Post) -> None:
    """A new top-level comment (flushed, so it has its id) roots its own branch of the thread."""
    post.root_id, post.path = post.id, _pad(post.id)


def _body_problem(body: str) -> str | None:
    if not body:
        return _l("Wpisz treść uwagi.")
    if len(body) > COMMENT_MAX:
        return _l("Uwaga może mieć najwyżej %(max)s znaków (ma %(length)s).", max=COMMENT_MAX, length=len(body))
    return None


def one_line(text: str | None) -> str:
    """A title as one line: line breaks, tabs and other control characters become single spaces
    (a title goes into e-mail subjects and feeds, where a line break would start a new line)."""
    return " ".join("".join(" " if unicodedata.category(char) == "Cc" else char for char in text or "").split())


def _title_problem(title: str) -> str | None:
    if not title:
        return _l("Wpisz tytuł wątku.")
    if len(title) > TITLE_MAX:
        return _l("Tytuł może mieć najwyżej %(max)s znaków.", max=TITLE_MAX)
    return shown_text_problem(title)


def _checked_body(body: str | None) -> str:
    body = (body or "").strip()
    problem = _body_problem(body)
    if problem:
        raise PostingRefused.about({"body": problem})
    return body


def _check_text(user: User, thread: Thread | None, body: str, now: datetime) -> str:
    body = _checked_body(body)
    if permissions.is_staff(user):
        return body
    _check_rhythm(user, now)
    if thread is not None and db.session.scalar(select(exists().where(
            Post.thread_id == thread.id, Post.author_id == user.id, Post.body == body,
            Post.created_at > now - timedelta(hours=1)))):
        raise PostingRefused(_l("Ta uwaga została już wysłana w tym wątku."))
    return body


MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


def _check_rhythm(user: User, now: datetime) -> None:
    """At most FORUM_POSTS_PER_MINUTE posts in any minute and FORUM_POSTS_PER_DAY in any 24 hours
    (sliding windows, one query): the refusal says when the next one may go."""
    per_minute, per_day = (current_app.config["FORUM_POSTS_PER_MINUTE"], current_app.config["FORUM_POSTS_PER_DAY"])

    def nth_latest(n: int, window: timedelta):
        """When the author's n-th latest post within the window was written (None: fewer than n)."""
        return (select(Post.created_at).where(Post.author_id == user.id, Post.created_at > now - window)
                .order_by(Post.created_at.desc()).offset(n - 1).limit(1).scalar_subquery())

    in_minute, in_day = db.session.execute(select(nth_latest(per_minute, MINUTE), nth_latest(per_day, DAY))).one()
    if in_day is not None:
        raise PostingRefused(lazy_ngettext(
            "Można wysłać najwyżej %(num)s uwagę w ciągu doby. Kolejną można wysłać %(when)s.",
            "Można wysłać najwyżej %(num)s uwag w ciągu doby. Kolejną można wysłać %(when)s.",
            per_day, when=formatting.local_datetime(in_day + DAY)))
    if in_minute is not None:
        wait = max(1, math.ceil((in_minute + MINUTE - now).total_seconds()))
        raise PostingRefused(_l("Odczekaj jeszcze %(seconds)s s przed wysłaniem kolejnej uwagi.", seconds=wait))


def post_comment(user: User, thread: Thread, body: str, *, parent: Post | None = None,
                 paragraph: int | None = None, on_behalf: bool = False,
                 window: Phase | None = None, now: datetime | None = None) -> Post:
    """Write a comment or a reply; the author then follows the thread."""
    now = now or clock.now_utc()
    window = window if window is not None else comment_window(thread.consultation_id)
    decision = (permissions.can_reply(user, parent, thread, window, now) if parent is not None
                else permissions.can_comment(user, thread, window, now))
    if not decision:
        raise PostingRefused(decision.reason)
    body = _check_text(user, thread, body, now)
    post = Post(thread_id=thread.id, parent_id=parent.id if parent else None, author_id=user.id,
                organisation_id=user.organisation_id if on_behalf and user.organisation_id else None,
                paragraph_number=paragraph if thread.section_id and paragraph else None,
                body=body, body_html=str(render_markdown(body)),
                state=initial_state(user, db.session.get(Consultation, thread.consultation_id)),
                is_official=decision.official, created_at=now,
                depth=min(parent.depth + 1, MAX_NESTING) if parent else 0)
    db.session.add(post)
    db.session.flush()
    if parent is None:
        place_top_level(post)
    else:
        # Past the 4th level replies continue flat: same parent path depth, ordered by id.
        base = parent.path if parent.depth < MAX_NESTING else parent.path.rsplit(".", 1)[0]
        post.root_id, post.path = parent.root_id, f"{base}.{_pad(post.id)}"
    if post.state == PostState.APPROVED:
        _count_visible(thread.id, now)
        post.notified_at = now
        notify_about(post, thread, parent)
    # A pending comment notifies nobody until a moderator approves it (moderation.services.approve).
    subscribe(user, thread)
    return post


def _count_visible(thread_id: int, now: datetime) -> None:
    db.session.execute(update(Thread).where(Thread.id == thread_id)
                       .values(comment_count=Thread.comment_count + 1, last_activity_at=now))


def open_thread(user: User, consultation: Consultation, title: str, body: str,
                now: datetime | None = None) -> Thread:
    """A participant opens a thread of their own: a title and the first comment."""
    now = now or clock.now_utc()
    title = one_line(title)
    # Both fields at once: a person who left both empty hears about both.
    problems = {name: problem for name, problem in (("title", _title_problem(title)),
                                                    ("body", _body_problem((body or "").strip()))) if problem}
    if problems:
        raise PostingRefused.about(problems)
    window = comment_window(consultation.id)
    decision = may_post(user, None, window, now)
    if not decision:
        raise PostingRefused(decision.reason)
    thread = Thread(consultation_id=consultation.id, kind=ThreadKind.OPEN, title=title,
                    created_by_id=user.id, created_at=now, last_activity_at=now)
    db.session.add(thread)
    db.session.flush()
    post_comment(user, thread, body, window=window, now=now)
    return thread


class EditOutcome(enum.StrEnum):
    PUBLISHED = "published"      # the new text is public at once
    PROPOSED = "proposed"        # a published comment's new text waits for a moderator
    STILL_PENDING = "pending"    # the comment itself still waits for its first approval
    UNCHANGED = "unchanged"


def edit_needs_review(user: User, post: Post, consultation: Consultation) -> bool:
    """A new text of this published comment waits for a moderator (the rule for new comments)."""
    return post.state == PostState.APPROVED and initial_state(user, consultation) == PostState.PENDING


def edit_comment(user: User, post: Post, body: str, now: datetime | None = None) -> EditOutcome:
    """The author edits while the window is open, under the same moderation as a new comment.

    A published comment of an author who needs pre-moderation keeps its public text until a
    moderator approves the new one (`proposed_body`); a comment still waiting is changed in
    place. Every edit raises the version a moderator's decision is checked against, and the edit
    itself is a compare-and-set on it: a decision taken meanwhile is never overwritten.
    """
    now = now or clock.now_utc()
    thread = db.session.get(Thread, post.thread_id)
    decision = permissions.can_edit(user, post, thread, comment_window(thread.consultation_id), now)
    if not decision:
        raise PostingRefused(decision.reason)
    body = _checked_body(body)
    if body == (post.proposed_body if post.proposed_at is not None else post.body):
        return EditOutcome.UNCHANGED
    html = str(render_markdown(body))
    if edit_needs_review(user, post, db.session.get(Consultation, thread.consultation_id)):
        values, outcome = {"proposed_body": body, "proposed_body_html": html, "proposed_at": now}, EditOutcome.PROPOSED
    else:
        values = {"body": body, "body_html": html, "edited_at": now,
                  "proposed_body": None, "proposed_body_html": None, "proposed_at": None}
        outcome = EditOutcome.PUBLISHED if post.state == PostState.APPROVED else EditOutcome.STILL_PENDING
    previous = post.body
    if not claim(post, post.version, Post.state == post.state, **values):
        raise PostingRefused(_l("Twoja uwaga zmieniła się w międzyczasie (na przykład moderator właśnie ją "
                                "rozpatrzył). Sprawdź ją w wątku i wyślij zmiany jeszcze raz."))
    if "body" in values:
        db.session.add(PostRevision(post_id=post.id, body=previous, created_at=now, editor_id=user.id))
    return outcome


def subscribe(user: User, thread: Thread) -> None:
    if db.session.get(Subscription, (user.id, thread.id)) is None:
        db.session.add(Subscription(user_id=user.id, thread_id=thread.id))


def unsubscribe(user: User, thread: Thread) -> None:
    subscription = db.session.get(Subscription, (user.id, thread.id))
    if subscription is not None:
        db.session.delete(subscription)


# --- reading ----------------------------------------------------------------------------------

def visible_to(user):
    """SQL condition: which comments this person sees (hidden ones show as a placeholder)."""
    if permissions.is_staff(user):
        return true()
    shown = Post.state.in_((PostState.APPROVED, PostState.HIDDEN))
    if permissions.is_authenticated(user):
        return or_(shown, Post.author_id == user.id)
    return shown


@dataclass
class ThreadPage:
    posts: list[Post]          # in tree order, with author and organisation loaded
    page: int
    pages: int
    roots_total: int
    following: bool            # the person follows this thread
    comments: int = 0          # the thread's "uwagi" as every page counts them (reports.counts)
    report: Report | None = None  # the consultation's report row (published or not)


def thread_page(thread: Thread, user, page: int = 1) -> ThreadPage:
    """A page of top-level comments with all their replies: two queries whatever the size.

    Whether the person follows the thread, the thread's comment count and the consultation's
    report ride along in the first query.
    """
    visible = visible_to(user)
    signed_in = permissions.is_authenticated(user)
    following = (exists().where(Subscription.user_id == user.id, Subscription.thread_id == thread.id)
                 if signed_in else literal(False))
    roots = db.session.execute(pagination.page_of(
        select(Post.id, func.count().over().label("total"), following.label("following"),
               counts.comments_in_report_column(thread.consultation_id).label("comments"), Report)
        .select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .outerjoin(Report, Report.consultation_id == Thread.consultation_id)
        .where(Post.thread_id == thread.id, Post.depth == 0, visible)
        .order_by(Post.id), page, ROOTS_PER_PAGE)
    ).all()
    total = roots[0].total if roots else _count_roots(thread, visible) if page > 1 else 0
    root_ids = [row.id for row in roots]
    posts = db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.root_id.in_(root_ids), visible)
        .options(joinedload(Post.author), joinedload(Post.organisation))
        .order_by(Post.path)
    ).all() if root_ids else []
    pages = pagination.page_count(total, ROOTS_PER_PAGE)
    follows = bool(roots[0].following) if roots else is_following(user, thread)
    if roots:
        comments, report = int(roots[0].comments or 0), roots[0].Report
    else:
        comments = counts.comment_counts(thread.consultation_id).of(thread).comments if page > 1 else 0
        report = db.session.get(Report, thread.consultation_id)
    return ThreadPage(list(posts), page, pages, total, follows, comments, report)


@dataclass
class Tree:
    """Comments of a page arranged for rendering: built in one pass over the path-ordered list."""

    roots: list[Post]
    children: dict[str, list[Post]]
    by_id: dict[int, Post]

    def replies_to(self, post: Post) -> list[Post]:
        return self.children.get(post.path, [])


def build_tree(posts: list[Post]) -> Tree:
    roots, children, by_id = [], {}, {}
    for post in posts:
        by_id[post.id] = post
        if post.depth == 0:
            roots.append(post)
        else:
            children.setdefault(post.path.rsplit(".", 1)[0], []).append(post)
    return Tree(roots, children, by_id)


def _count_roots(thread: Thread, visible) -> int:
    return db.session.scalar(select(func.count(Post.id)).where(
        Post.thread_id == thread.id, Post.depth == 0, visible))


def page_of(post: Post, user) -> int:
    """The page of its thread a comment is on (for permalinks)."""
    before = db.session.scalar(select(func.count(Post.id)).where(
        Post.thread_id == post.thread_id, Post.depth == 0, Post.id < post.root_id, visible_to(user)))
    return before // ROOTS_PER_PAGE + 1


def forum_threads(consultation_id: int) -> list[Thread]:
    """Section threads in the document's order, then general remarks, then open threads by activity."""
    threads = db.session.scalars(
        select(Thread).where(Thread.consultation_id == consultation_id)
        .options(joinedload(Thread.section))
    ).all()
    return in_forum_order(threads)


def in_forum_order(threads: list[Thread]) -> list[Thread]:
    order = {ThreadKind.SECTION: 0, ThreadKind.GENERAL: 1, ThreadKind.OPEN: 2}
    return sorted(threads, key=lambda t: (not t.pinned, order[t.kind],
                                          t.section.number if t.section else 10**6,
                                          -t.last_activity_at.timestamp()))
