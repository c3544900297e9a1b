"""Rules of a consultation's public life: which are current, where its timeline stands, views."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.consultations.models import Consultation, Phase, PhaseKind, Status
from portal.extensions import db
from portal.registrations.models import Meeting, WorkingGroup
from portal.registrations.seats import Availability, groups_with_seats
from portal.reports.counts import CommentCounts, counted_threads
from portal.reports.models import Report

BOT_USER_AGENT = re.compile(r"bot|crawl|spider|slurp|archiver|facebookexternalhit|preview", re.I)


@dataclass
class Timeline:
    """Where a consultation stands at a moment: done, current and upcoming phases."""

    done: list[Phase] = field(default_factory=list)
    current: list[Phase] = field(default_factory=list)
    upcoming: list[Phase] = field(default_factory=list)

    def state_of(self, phase: Phase) -> str:
        if phase in self.current:
            return "current"
        return "done" if phase in self.done else "upcoming"

    @property
    def next(self) -> Phase | None:
        return min(self.upcoming, key=lambda p: p.starts_at, default=None)

    @property
    def finished(self) -> bool:
        return bool(self.done) and not self.current and not self.upcoming

    @property
    def not_started(self) -> bool:
        return not self.done and not self.current and bool(self.upcoming)

    @property
    def ended_at(self) -> datetime | None:
        return max((p.ends_at for p in self.done), default=None)


def timeline(phases: list[Phase], now: datetime | None = None) -> Timeline:
    """Each phase where its own rule puts it (`Phase.state_at`): done, current or upcoming."""
    now = now or clock.now_utc()
    result = Timeline()
    place = {"after": result.done, "open": result.current, "before": result.upcoming}
    for phase in phases:
        place[phase.state_at(now)].append(phase)
    return result


def public_consultations(now: datetime | None = None) -> tuple[list[Consultation], list[Consultation]]:
    """Published consultations split into (current, archive); one query plus one for phases.

    Current: some phase has not ended yet (or no timeline yet); soonest first.
    Archive: every phase has ended; most recently ended first.
    """
    now = now or clock.now_utc()
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.status == Status.PUBLISHED)
        .options(selectinload(Consultation.phases))
        .order_by(Consultation.id)
    ).all()
    current, archive = [], []
    for consultation in consultations:
        phases = consultation.phases
        over = bool(phases) and all(p.has_ended_at(now) for p in phases)
        (archive if over else current).append(consultation)
    far_future = datetime.max.replace(tzinfo=now.tzinfo)
    current.sort(key=lambda c: min((p.starts_at for p in c.phases), default=far_future))
    archive.sort(key=lambda c: max(p.ends_at for p in c.phases), reverse=True)
    return current, archive


@dataclass
class Announcement:
    consultation: Consultation
    groups: list[tuple[WorkingGroup, Availability]]  # with the seats of each
    meetings: list[Meeting]
    threads: list  # the forum's threads (portal.forum.models.Thread), section threads first
    counts: CommentCounts  # comments and replies per thread (portal.reports.counts)
    report: Report | None = None  # the report row, published or not

    @property
    def comment_total(self) -> int:
        return self.counts.comments

    @property
    def published_report(self) -> Report | None:
        return self.report if self.report is not None and self.report.is_published else None

    def phase(self, kind: PhaseKind) -> Phase | None:
        return next((p for p in self.consultation.phases if p.kind == kind), None)


def load_announcement(slug: str) -> Announcement | None:
    """Everything the announcement page shows, in a fixed number of queries (five).

    The report row rides along with the consultation, the comment counts with the threads.
    """
    row = db.session.execute(
        select(Consultation, Report)
        .outerjoin(Report, Report.consultation_id == Consultation.id)
        .where(Consultation.slug == slug)
        .options(joinedload(Consultation.documents), selectinload(Consultation.phases))
    ).unique().one_or_none()
    if row is None:
        return None
    consultation, report = row
    groups = groups_with_seats(consultation.id, clock.now_utc())
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.consultation_id == consultation.id)
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    threads, counts = counted_threads(consultation.id)
    return Announcement(consultation, list(groups), list(meetings), threads, counts, report)


def published_reports(consultation_ids: list[int]) -> dict[int, Report]:
    """Consultation id -> its published report, for the home page's cards: one query."""
    if not consultation_ids:
        return {}
    reports = db.session.scalars(select(Report).where(
        Report.consultation_id.in_(consultation_ids), Report.published_at.is_not(None))).all()
    return {report.consultation_id: report for report in reports}


def is_human_view(user_agent: str | None) -> bool:
    return bool(user_agent) and not BOT_USER_AGENT.search(user_agent)


def should_count_view(seen_at: float | None, now: datetime, window: timedelta) -> bool:
    """A browser session counts once per consultation within the window."""
    return seen_at is None or now.timestamp() - seen_at >= window.total_seconds()
