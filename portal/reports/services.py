"""Reading the report: every approved top-level comment of a consultation, numbered, with its answer.

The number is the comment's place in the report (general comments first, then § by §, oldest
first within a section); it is computed, not stored, so it is the same on every page that
shows it — the workspace, the public report, the exports and "jak w uwadze N".
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.forum.models import DraftSection, Post, PostState, Thread
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision, Report


@dataclass
class ReportComment:
    number: int
    post: Post
    thread: Thread
    section_number: int | None   # None: general comments or a participant's thread
    section_title: str
    answer: Answer | None
    shared_with: int | None = None  # the number of the first comment that has the same answer
    changed_sections: list[int] = field(default_factory=list)  # "wprowadzono zmianę w § N"

    @property
    def submitter(self) -> str | None:
        """The organisation's name, or None for a private person ("osoba prywatna")."""
        return self.post.organisation.name if self.post.organisation else None


@dataclass
class ReportData:
    comments: list[ReportComment]

    @property
    def answered(self) -> int:
        return sum(1 for comment in self.comments if comment.answer is not None)

    @property
    def total(self) -> int:
        return len(self.comments)

    def by_decision(self) -> dict[Decision, int]:
        counts = Counter(comment.answer.decision for comment in self.comments if comment.answer)
        return {decision: counts.get(decision, 0) for decision in Decision}

    def by_section(self) -> list[tuple[int | None, str, int]]:
        """(section number, title, comments) in report order."""
        counts: dict[tuple[int | None, str], int] = {}
        for comment in self.comments:
            key = (comment.section_number, comment.section_title)
            counts[key] = counts.get(key, 0) + 1
        return [(number, title, count) for (number, title), count in counts.items()]

    def organisations(self) -> int:
        return len({comment.post.organisation_id for comment in self.comments if comment.post.organisation_id})

    def authors(self) -> int:
        return len({comment.post.author_id for comment in self.comments if comment.post.author_id})


# The report's order (general comments first, then § by §, oldest first) and what it holds: the
# one definition, used here and by the numbers shown at each comment (reports/annotations.py).
REPORT_ORDER = (func.coalesce(DraftSection.number, 0), Thread.id, Post.created_at, Post.id)


def in_report(consultation_id: int) -> tuple:
    """The conditions a comment meets to be in the report (with Post joined to Thread and DraftSection)."""
    return (Thread.consultation_id == consultation_id, Post.depth == 0,
            Post.state == PostState.APPROVED, Post.is_official.is_(False))


def report_comments(consultation_id: int) -> ReportData:
    """All approved top-level comments with thread, section, organisation and answer: two queries."""
    rows = db.session.execute(
        select(Post, DraftSection.number, DraftSection.title, Answer)
        .join(Post.thread)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(Post.organisation)
        .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
        .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
        .options(contains_eager(Post.thread), contains_eager(Post.organisation))
        .where(*in_report(consultation_id))
        .order_by(*REPORT_ORDER)
    ).all()
    changes = _change_links(consultation_id)
    comments, first_with_answer = [], {}
    for number, (post, section_number, section_title, answer) in enumerate(rows, start=1):
        comment = ReportComment(
            number=number, post=post, thread=post.thread, section_number=section_number,
            section_title=section_title if section_number is not None else post.thread.title,
            answer=answer, changed_sections=changes.get(post.id, []))
        if answer is not None:
            first = first_with_answer.setdefault(answer.id, number)
            comment.shared_with = first if first != number else None
        comments.append(comment)
    return ReportData(comments)


def _change_links(consultation_id: int) -> dict[int, list[int]]:
    links = defaultdict(list)
    for post_id, section_number in db.session.execute(
            select(ChangeLink.post_id, ChangeLink.section_number)
            .where(ChangeLink.consultation_id == consultation_id)
            .order_by(ChangeLink.section_number)):
        links[post_id].append(section_number)
    return links


def report_of(consultation_id: int) -> Report | None:
    return db.session.get(Report, consultation_id)


def report_for_update(consultation_id: int) -> Report:
    """The consultation's report row, created on first use."""
    report = db.session.get(Report, consultation_id)
    if report is None:
        report = Report(consultation_id=consultation_id)
        db.session.add(report)
    return report
