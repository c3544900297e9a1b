"""Reading the report: every approved top-level comment of a consultation, numbered, with its answer.

Numbers are given once and never change, so "uwaga 12" in an e-mail, a link or a justification
stays true whatever happens later. Until the report is first published they are provisional:
the comment's place in the report (general comments first, then § by §, oldest first within a
section), the same on every page that shows them. The first publication stores them
(`Post.report_number`); a comment that enters the report later (approved late, shown again,
entered by staff) gets the next free number when it enters (`number_late_comment`), so later
comments have later numbers and nobody's number moves.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.forum.models import DraftParagraph, DraftSection, Post, PostState, Thread, heading, reference
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision, FinalSection, Report


@dataclass
class ReportComment:
    number: int
    post: Post
    thread: Thread
    section_number: int | None   # None: general comments or a participant's thread
    section_title: str
    answer: Answer | None
    shared_with: int | None = None  # the number of the first comment that has the same answer
    changed_sections: list[int] = field(default_factory=list)  # the final version's sections it changed
    changed_labels: list[str] = field(default_factory=list)  # the same sections named as written
    section_label: str = ""      # as written: "Rozdział 1", "§ 3" ("" outside sections)
    paragraph_label: str = ""    # as written: "§ 1", "ust. 2", "pkt 3" ("" when on the whole section)

    @property
    def section_heading(self) -> str:
        """"Rozdział 1. Postanowienia ogólne", or the thread's title outside sections."""
        return heading(self.section_label, self.section_title) if self.section_number is not None \
            else self.section_title

    @property
    def reference(self) -> str:
        """"Rozdział 1 § 2", "§ 3 ust. 2", "§ 3" — or "" outside sections."""
        return reference(self.section_label, self.paragraph_label) if self.section_number is not None else ""

    @property
    def submitter(self) -> str | None:
        """Who sent the comment, as the report names them: the sender as staff entered them for a
        comment received outside the portal, else the organisation's name, or None for a private
        person ("osoba prywatna")."""
        if self.post.channel != "portal":
            return self.post.submitter_name
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
        """(section number, heading as written, comments) in report order."""
        counts: dict[tuple[int | None, str], int] = {}
        for comment in self.comments:
            key = (comment.section_number, comment.section_heading)
            counts[key] = counts.get(key, 0) + 1
        return [(number, title, count) for (number, title), count in counts.items()]

    def organisations(self) -> int:
        return len({comment.post.organisation_id for comment in self.comments if comment.post.organisation_id})

    def authors(self) -> int:
        """People who sent comments: accounts, and the senders staff entered from letters, e-mails and meetings."""
        accounts = {comment.post.author_id for comment in self.comments if comment.post.author_id}
        senders = {" ".join(comment.post.submitter_name.casefold().split()) for comment in self.comments
                   if comment.post.author_id is None and comment.post.submitter_name}
        return len(accounts) + len(senders)


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
        select(Post, DraftSection.number, DraftSection.title, Answer, DraftSection.label,
               DraftParagraph.label)
        .join(Post.thread)
        .outerjoin(DraftSection, DraftSection.id == Thread.section_id)
        .outerjoin(DraftParagraph, (DraftParagraph.section_id == DraftSection.id)
                   & (DraftParagraph.number == Post.paragraph_number))
        .outerjoin(Post.organisation)
        .outerjoin(AnsweredComment, AnsweredComment.post_id == Post.id)
        .outerjoin(Answer, Answer.id == AnsweredComment.answer_id)
        .options(contains_eager(Post.thread), contains_eager(Post.organisation))
        .where(*in_report(consultation_id))
        .order_by(*REPORT_ORDER)
    ).all()
    changes, change_labels = _change_links(consultation_id)
    stored = [post.report_number for post, *_rest in rows if post.report_number is not None]
    last_given = max(stored, default=0)
    comments, first_with_answer = [], {}
    for position, (post, section_number, section_title, answer, section_label, paragraph_label) in enumerate(
            rows, start=1):
        if post.report_number is not None:
            number = post.report_number
        elif not stored:
            number = position  # before the first publication: provisional, the place in the report
        else:  # not numbered yet after publication (normally numbered as it entered): after the rest
            last_given += 1
            number = last_given
        comment = ReportComment(
            number=number, post=post, thread=post.thread, section_number=section_number,
            section_title=section_title if section_number is not None else post.thread.title,
            answer=answer, changed_sections=changes.get(post.id, []), changed_labels=change_labels.get(post.id, []),
            section_label=section_label or "",
            paragraph_label=paragraph_label or "")
        if answer is not None:
            first = first_with_answer.setdefault(answer.id, number)
            comment.shared_with = first if first != number else None
        comments.append(comment)
    return ReportData(comments)


def fix_numbers(data: ReportData) -> None:
    """Store the numbers shown (at a publication): from now on they never change."""
    for comment in data.comments:
        if comment.post.report_number is None:
            comment.post.report_number = comment.number


def number_late_comment(post: Post) -> None:
    """A comment entering the report after its first publication gets the next free number.

    Call when a top-level comment becomes approved (approval, shown again, entered by staff).
    The report row is locked while the highest number is read, so two at once never share one.
    """
    if post.report_number is not None or post.depth != 0 or post.is_official or post.state != PostState.APPROVED:
        return
    consultation_id = db.session.scalar(select(Thread.consultation_id).where(Thread.id == post.thread_id))
    report = db.session.scalars(select(Report).where(Report.consultation_id == consultation_id)
                                .with_for_update()).first()
    if report is None or report.first_published_at is None:
        return  # before the first publication numbers are provisional
    if db.session.get_bind().dialect.name != "postgresql":  # SQLite: the first write takes the lock
        db.session.execute(update(Report).where(Report.consultation_id == consultation_id)
                           .values(updated_at=Report.updated_at))
    highest = db.session.scalar(select(func.max(Post.report_number)).join(Thread, Thread.id == Post.thread_id)
                                .where(Thread.consultation_id == consultation_id))
    post.report_number = (highest or 0) + 1


def _change_links(consultation_id: int) -> tuple[dict[int, list[int]], dict[int, list[str]]]:
    """Post id -> the numbers of the final version's sections it changed, and their names as written."""
    links, labels = defaultdict(list), defaultdict(list)
    for post_id, section_number, label in db.session.execute(
            select(ChangeLink.post_id, ChangeLink.section_number, FinalSection.label)
            .outerjoin(FinalSection, (FinalSection.consultation_id == ChangeLink.consultation_id)
                       & (FinalSection.number == ChangeLink.section_number))
            .where(ChangeLink.consultation_id == consultation_id)
            .order_by(ChangeLink.section_number)):
        links[post_id].append(section_number)
        labels[post_id].append(label or f"§ {section_number}")
    return links, labels


def report_of(consultation_id: int) -> Report | None:
    return db.session.get(Report, consultation_id)


def report_for_update(consultation_id: int) -> Report:
    """The consultation's report row, created on first use."""
    report = db.session.get(Report, consultation_id)
    if report is None:
        report = Report(consultation_id=consultation_id)
        db.session.add(report)
    return report
