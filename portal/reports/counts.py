"""How many comments a consultation has: the one definition every page and file uses.

A "uwaga" is what the report numbers: an approved top-level comment that is not the office's own
reply (`services.in_report`). Everything else approved — replies and the office's posts — is an
"odpowiedź" and is counted apart. Pending, rejected and hidden comments count nowhere: the
public never sees them (a moderator's numbers live in the moderation pages).

The report's own numbers (comments per part of the document and per decision, people and
organisations) come from one grouped query (`report_numbers`), so its pages cost the same at
10 and at 10,000 comments; they agree with `services.ReportData`, which counts the rows it read.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.forum.models import DraftSection, Post, PostState, Thread, heading
from portal.reports.models import Answer, AnsweredComment, Decision
from portal.reports.services import Selection, in_report


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


# --- the report's numbers -------------------------------------------------------------------------

@dataclass
class Part:
    """A part of the document the report counts comments by: a section of the draft (its thread),
    the general comments or a participant's thread. Named as a report comment names its part, so
    the report's filter lists parts as it lists comments (forms.section_key, exports.section_label)."""

    thread: Thread
    section_number: int | None
    section_label: str
    section_title: str
    by_decision: dict[Decision | None, int] = field(default_factory=dict)  # None: not answered yet

    @property
    def section_heading(self) -> str:
        """"Rozdział 1. Postanowienia ogólne", or the thread's title outside sections."""
        return heading(self.section_label, self.section_title) if self.section_number is not None \
            else self.thread.title

    @property
    def comments(self) -> int:
        return sum(self.by_decision.values())


@dataclass
class ReportNumbers:
    """The report counted: what `services.ReportData` says of every comment, without reading them."""

    parts: list[Part]
    accounts: int = 0           # distinct accounts that sent comments (people: 0 when not asked for)
    organisation_count: int = 0
    sender_names: list[str] = field(default_factory=list)  # senders staff entered, as typed (distinct)

    @property
    def total(self) -> int:
        return sum(part.comments for part in self.parts)

    @property
    def answered(self) -> int:
        return self.total - sum(part.by_decision.get(None, 0) for part in self.parts)

    def by_decision(self) -> dict[Decision, int]:
        return {decision: sum(part.by_decision.get(decision, 0) for part in self.parts) for decision in Decision}

    def by_section(self) -> list[tuple[int | None, str, int]]:
        """(section number, heading as written, comments) in report order."""
        counts: dict[tuple[int | None, str], int] = {}
        for part in self.parts:
            key = (part.section_number, part.section_heading)
            counts[key] = counts.get(key, 0) + part.comments
        return [(number, title, count) for (number, title), count in counts.items()]

    def organisations(self) -> int:
        return self.organisation_count

    def authors(self) -> int:
        """People who sent comments: accounts, and the senders staff entered from letters, e-mails and meetings."""
        return self.accounts + len({" ".join(name.casefold().split()) for name in self.sender_names})

    def listed(self, selection: Selection) -> int:
        """How many comments `selection` lists."""
        listed = 0
        for part in self.parts:
            if selection.thread_id not in (None, part.thread.id) \
                    or selection.section_number not in (None, part.section_number):
                continue
            for decision, count in part.by_decision.items():
                if selection.unanswered_only and decision is not None:
                    continue
                if selection.decision and (decision is None or decision.value != selection.decision):
                    continue
                listed += count
        return listed


NAMES_SEPARATOR = "\x1f"  # the unit separator: typed names never hold it


def report_numbers(consultation_id: int, people: bool = True) -> ReportNumbers:
    """The report's comments counted per part and decision and (`people`) the people and
    organisations who sent them: one query (narrow groups, then their threads and sections; the
    people as subqueries, three more passes over the comments, which the workspace does without)."""
    def of_report(*columns):
        return select(*columns).select_from(Post).join(Thread, Thread.id == Post.thread_id) \
            .where(*in_report(consultation_id))

    groups = (of_report(Post.thread_id, Answer.decision, func.count(Post.id).label("comments"))
              .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
              .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
              .group_by(Post.thread_id, Answer.decision)).subquery("groups")
    counted = []
    if people:
        names = (of_report(Post.submitter_name.label("name"))
                 .where(Post.author_id.is_(None), Post.submitter_name.is_not(None), Post.submitter_name != "")
                 .distinct()).subquery("names")
        # Scalar subqueries: each is run once (an InitPlan), whatever the plan of the rest.
        counted = [of_report(func.count(func.distinct(Post.author_id))).scalar_subquery(),
                   of_report(func.count(func.distinct(Post.organisation_id))).scalar_subquery(),
                   select(func.aggregate_strings(names.c.name, NAMES_SEPARATOR)).scalar_subquery()]
    rows = db.session.execute(
        select(Thread, DraftSection.number, DraftSection.label, DraftSection.title, groups.c.decision,
               groups.c.comments, *counted)
        .select_from(groups).join(Thread, Thread.id == groups.c.thread_id)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .order_by(func.coalesce(DraftSection.number, 0), Thread.id)
    ).all()
    parts: dict[int, Part] = {}
    for thread, section_number, section_label, section_title, decision, count, *_people in rows:
        part = parts.setdefault(thread.id, Part(thread, section_number, section_label or "", section_title or ""))
        part.by_decision[Decision(decision) if decision is not None else None] = count
    if not rows or not people:
        return ReportNumbers(list(parts.values()))
    accounts, organisations, sender_text = rows[0][-3:]
    return ReportNumbers(list(parts.values()), int(accounts or 0), int(organisations or 0),
                         sender_text.split(NAMES_SEPARATOR) if sender_text else [])
