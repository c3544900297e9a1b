"""The report's life: staff write the summary, publish it (once every comment has an answer and
the e-consultation has ended), correct it in the open, and the people who commented are told once.

Publishing is the legal end of a consultation: the report must answer every comment, so a
report with unanswered comments (or without the summary of how the consultation ran), or one
published while comments are still taken, is refused. Each publication stores the comments'
numbers (services.fix_numbers) and a version of the report as published (ReportVersion); a
change to an answer or to the summary while the report is public is a correction: the report
says "zaktualizowano" with the date, and the version before it stays readable. The e-mail to participants goes out at the first publication only; the report row's
`participants_notified_at` is claimed with one atomic UPDATE, so neither a re-publication
after a correction nor two staff members clicking at once can send it twice.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import abort, url_for
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import joinedload

from portal import audit, clock, mail, permissions
from portal.accounts.models import User
from portal.consultations.models import Consultation, PhaseKind, phase_of
from portal.extensions import db
from portal.forum.models import Post, PostState, Thread
from portal.reports.models import Report, ReportVersion
from portal.reports.services import (
    ReportData,
    fix_numbers,
    report_comments,
    report_for_update,
    report_of,
)


@dataclass
class ShownReport:
    """A report the current visitor may read: the consultation (with its phases) and the report row."""

    consultation: Consultation
    report: Report | None

    @property
    def is_published(self) -> bool:
        return self.report is not None and self.report.is_published


@dataclass
class ReportView(ShownReport):
    """What the report's files show: the report with every comment."""

    data: ReportData


class ReportTooEarly(Exception):
    """Publishing refused: the e-consultation has not ended yet (or has no dates)."""

    def __init__(self, ends_at: datetime | None):
        super().__init__(f"the e-consultation ends at {ends_at}")
        self.ends_at = ends_at


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
    """The report for the current visitor with every comment (`report_shown`'s rule; else 404).

    Three queries: the consultation with its phases and the report row, the comments (two).
    """
    shown = report_shown(slug)
    return ReportView(shown.consultation, shown.report, report_comments(shown.consultation.id))


def report_shown(slug: str) -> ShownReport:
    """The report for the current visitor: public once published, staff also before (preview); else 404.

    One query: the consultation with its phases and the report row (the page reads its comments a page at a time).
    """
    row = db.session.execute(
        select(Consultation, Report).outerjoin(Report, Report.consultation_id == Consultation.id)
        .where(Consultation.slug == slug)
        .options(joinedload(Consultation.phases))).unique().first()
    if row is None or not permissions.can_view_consultation(row[0]):
        abort(404)
    consultation, report = row
    if not (report is not None and report.is_published) and not permissions.is_staff():
        abort(404)
    return ShownReport(consultation, report)


# --- changing ---------------------------------------------------------------------------------

def save_summary(consultation: Consultation, actor: User, summary: str) -> Report:
    """Store the summary ("Przebieg konsultacji", Markdown); a change is logged."""
    report = report_for_update(consultation.id)
    before = report.summary or ""
    if summary != before:
        report.summary = summary
        audit.record(actor, "report_summary_changed", consultation,
                     before={"summary": before}, after={"summary": summary})
        note_correction(consultation.id, actor)
    return report


def publish(consultation: Consultation, actor: User, summary: str) -> Publication:
    """Save the summary and make the report public; the first publication e-mails the participants.

    Raises ReportTooEarly before the e-consultation has ended, and ReportNotReady while a comment
    has no answer or the summary is empty (nothing is written either way).
    """
    now = clock.now_utc()
    window = phase_of(consultation.id, PhaseKind.E_CONSULTATION)
    if window is None or not window.has_ended_at(now):
        raise ReportTooEarly(window.ends_at if window is not None else None)
    data = report_comments(consultation.id)
    unanswered = data.total - data.answered
    if unanswered or not summary.strip():
        raise ReportNotReady(unanswered, summary_missing=not summary.strip())
    report = save_summary(consultation, actor, summary)
    if report.is_published:
        return Publication(already_published=True)
    report.published_at, report.published_by_id = now, actor.id
    if report.first_published_at is None:
        report.first_published_at = now
    else:  # published again after a withdrawal: a correction
        report.updated_at = now
    fix_numbers(data)
    keep_version(consultation.id, report, data, actor, now)
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


def note_correction(consultation_id: int, actor: User) -> None:
    """An answer or the summary changed while the report is public: say so, keep this version."""
    report = report_of(consultation_id)
    if report is None or not report.is_published:
        return
    db.session.flush()
    now = clock.now_utc()
    report.updated_at = now
    data = report_comments(consultation_id)
    fix_numbers(data)
    keep_version(consultation_id, report, data, actor, now)


def keep_version(consultation_id: int, report: Report, data: ReportData, actor: User | None,
                  now: datetime) -> None:
    """The report as it is published now, kept as the next version (JSON: text as shown)."""
    number = (db.session.scalar(select(func.max(ReportVersion.number))
                                .where(ReportVersion.consultation_id == consultation_id)) or 0) + 1
    snapshot = {
        "summary_html": report.summary_html or "",
        "comments": [{
            "number": comment.number,
            "section": comment.section_heading,
            "submitter": comment.submitter or "",
            "body_html": comment.post.body_html,
            "decision": comment.answer.decision.value if comment.answer else None,
            "justification_html": comment.answer.justification_html if comment.answer else "",
            "shared_with": comment.shared_with,
        } for comment in data.comments],
    }
    db.session.add(ReportVersion(consultation_id=consultation_id, number=number, published_at=now,
                                 published_by_id=actor.id if actor else None,
                                 snapshot=json.dumps(snapshot, ensure_ascii=False)))


def versions(consultation_id: int) -> list[tuple[int, datetime]]:
    """(number, published at) of every kept version, oldest first: one query."""
    return [tuple(row) for row in db.session.execute(
        select(ReportVersion.number, ReportVersion.published_at)
        .where(ReportVersion.consultation_id == consultation_id).order_by(ReportVersion.number))]


def version_to_show(slug: str, number: int) -> tuple[Consultation, ReportVersion, dict]:
    """A kept version of the report, for whoever may read the report; else 404."""
    view = report_shown(slug)
    version = db.session.scalar(select(ReportVersion).where(
        ReportVersion.consultation_id == view.consultation.id, ReportVersion.number == number))
    if version is None:
        abort(404)
    return view.consultation, version, json.loads(version.snapshot)


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
        comments = [(number, url_for("reports.report", slug=consultation.slug, uwaga=number, _anchor=f"uwaga-{number}",
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
