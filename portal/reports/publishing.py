"""The report's life: staff write the summary, publish it (once every comment has an answer),
withdraw it for a correction, and the people who commented are told once.

Publishing is the legal end of a consultation: the report must answer every comment, so a
report with unanswered comments (or without the summary of how the consultation ran) is
refused. The e-mail to participants goes out at the first publication only; the report row's
`participants_notified_at` is claimed with one atomic UPDATE, so neither a re-publication
after a correction nor two staff members clicking at once can send it twice.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import abort, url_for
from sqlalchemy import exists, select, update
from sqlalchemy.orm import joinedload

from portal import audit, clock, mail, permissions
from portal.accounts.models import User
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.reports.models import Report
from portal.reports.services import (
    ReportData,
    report_comments,
    report_for_update,
    report_of,
)


@dataclass
class ReportView:
    """What the report's pages show: the consultation (with its phases), the report row, the comments."""

    consultation: Consultation
    report: Report | None
    data: ReportData

    @property
    def is_published(self) -> bool:
        return self.report is not None and self.report.is_published


class ReportNotReady(Exception):
    """Publishing refused: comments without an answer, or no summary of how the consultation ran."""

    def __init__(self, unanswered: int, summary_missing: bool):
        super().__init__(f"{unanswered} unanswered comment(s), summary missing: {summary_missing}")
        self.unanswered = unanswered
        self.summary_missing = summary_missing


@dataclass
class Publication:
    already_published: bool = False
    notified: int = 0  # people e-mailed now (0 at a re-publication)


# --- reading ----------------------------------------------------------------------------------

def report_to_show(slug: str) -> ReportView:
    """The report for the current visitor: public once published, staff also before (preview); else 404.

    Four queries: the consultation with its phases, the report row, the comments (two).
    """
    consultation = db.session.scalars(
        select(Consultation).where(Consultation.slug == slug)
        .options(joinedload(Consultation.phases))).unique().first()
    if consultation is None or not permissions.can_view_consultation(consultation):
        abort(404)
    report = report_of(consultation.id)
    if not (report is not None and report.is_published) and not permissions.is_staff():
        abort(404)
    return ReportView(consultation, report, report_comments(consultation.id))


# --- changing ---------------------------------------------------------------------------------

def save_summary(consultation: Consultation, actor: User, summary: str) -> Report:
    """Store the summary ("Przebieg konsultacji", Markdown); a change is logged."""
    report = report_for_update(consultation.id)
    before = report.summary or ""
    if summary != before:
        report.summary = summary
        audit.record(actor, "report_summary_changed", consultation,
                     before={"summary": before}, after={"summary": summary})
    return report


def publish(consultation: Consultation, actor: User, summary: str) -> Publication:
    """Save the summary and make the report public; the first publication e-mails the participants.

    Raises ReportNotReady (nothing is written) while a comment has no answer or the summary is empty.
    """
    data = report_comments(consultation.id)
    unanswered = data.total - data.answered
    if unanswered or not summary.strip():
        raise ReportNotReady(unanswered, summary_missing=not summary.strip())
    report = save_summary(consultation, actor, summary)
    if report.is_published:
        return Publication(already_published=True)
    now = clock.now_utc()
    report.published_at, report.published_by_id = now, actor.id
    audit.record(actor, "report_published", consultation, before={"published_at": None},
                 after={"published_at": now.isoformat(), "comments": data.total})
    return Publication(notified=_notify_participants_once(consultation, data, now))


def unpublish(consultation: Consultation, actor: User) -> bool:
    """Withdraw a published report for a correction (logged); False when it was not public."""
    report = report_of(consultation.id)
    if report is None or not report.is_published:
        return False
    audit.record(actor, "report_unpublished", consultation,
                 before={"published_at": report.published_at.isoformat()}, after={"published_at": None})
    report.published_at = report.published_by_id = None
    return True


# --- telling the participants -------------------------------------------------------------------

def _notify_participants_once(consultation: Consultation, data: ReportData, now: datetime) -> int:
    db.session.flush()  # the report row may be new: it must exist for the claim below
    claimed = db.session.execute(
        update(Report).where(Report.consultation_id == consultation.id,
                             Report.participants_notified_at.is_(None))
        .values(participants_notified_at=now)).rowcount
    if claimed != 1:
        return 0
    numbers: dict[int, list[int]] = defaultdict(list)
    for comment in data.comments:
        if comment.post.author_id is not None:
            numbers[comment.post.author_id].append(comment.number)
    link = url_for("reports.report", slug=consultation.slug, _external=True)
    people = participants_to_tell(consultation.id)
    for person in people:
        comments = [(number, url_for("reports.report", slug=consultation.slug, _anchor=f"uwaga-{number}",
                                     _external=True)) for number in numbers.get(person.id, [])]
        mail.queue(person.email, "report_published", consultation=consultation, link=link, comments=comments)
    return len(people)


def participants_to_tell(consultation_id: int) -> list[User]:
    """People with an approved comment or reply here, whose account exists and who want the e-mail."""
    commented_here = exists(
        select(Post.id).join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == User.id, Thread.consultation_id == consultation_id,
               Post.state == PostState.APPROVED, Post.is_official.is_(False)))
    return list(db.session.scalars(
        select(User).where(commented_here, User.deleted_at.is_(None), User.notify_report.is_(True))
        .order_by(User.id)).unique())
