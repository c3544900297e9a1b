"""Public pages of working-group and meeting sessions: the group meeting's calendar file and what
staff published afterwards (recording link, minutes, summary), with attendance for the report.

The join link of a group never appears here: it is e-mailed to members (links.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, url_for
from sqlalchemy import String, case, func, literal_column, select, union_all

from portal.consultations.models import Document
from portal.consultations.lookup import consultation_or_404
from portal.downloads import file_response
from portal.extensions import db
from portal.registrations import calendar
from portal.registrations.models import (GroupRegistration, Meeting, MeetingRegistration, Status,
                                         WorkingGroup)


def group_ics(slug: str, group_id: int):
    """The group's meeting as a calendar file (404 while it has no date)."""
    consultation = consultation_or_404(slug)
    group = db.session.get(WorkingGroup, group_id)
    if group is None or group.consultation_id != consultation.id or group.meeting_starts_at is None:
        abort(404)
    page_url = url_for("consultations.announcement", slug=slug, _external=True, _anchor=f"grupa-{group.id}")
    return file_response(calendar.group_meeting_ics(consultation, group, page_url), f"grupa-{group.id}.ics")


# --- the report's "Spotkania i grupy robocze" --------------------------------------------------

@dataclass(frozen=True)
class MinutesFile:
    """What the pages show of a minutes document (the fields `file_facts` reads)."""

    id: int
    title: str
    file_name: str | None
    url: str | None
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class SessionRecord:
    """A group's or a meeting's session: when, its materials, and who came (confirmed people)."""

    kind: str  # "group" or "meeting"
    id: int
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    recording_url: str
    summary_html: str
    minutes: MinutesFile | None
    present: int
    absent: int
    not_marked: int

    @property
    def has_materials(self) -> bool:
        return bool(self.recording_url or self.summary_html or self.minutes)


def _attendance(registration, owner_column, owners):
    """Per group (meeting): present / absent / not marked among confirmed people — the rule of
    staff_actions.AttendanceCounts, which the staff overview counts from the rows it shows."""
    def tally(condition):
        return func.sum(case((condition, 1), else_=0))

    return (select(owner_column.label("owner_id"),
                   tally(registration.attended.is_(True)).label("present"),
                   tally(registration.attended.is_(False)).label("absent"),
                   tally(registration.attended.is_(None)).label("not_marked"))
            .where(owner_column.in_(owners), registration.status == Status.CONFIRMED)
            .group_by(owner_column).subquery())


def _sessions_select(kind, model, title, starts_at, ends_at, position, registration, owner_column,
                     consultation_id: int):
    owners = select(model.id).where(model.consultation_id == consultation_id).scalar_subquery()
    counts = _attendance(registration, owner_column, owners)
    # Inline SQL literals: PostgreSQL cannot type a bound parameter in a UNION's select list.
    return (select(literal_column(f"'{kind}'", String).label("kind"), model.id.label("id"), title.label("title"),
                   starts_at.label("starts_at"), ends_at.label("ends_at"), position.label("position"),
                   model.recording_url.label("recording_url"), model.summary_html.label("summary_html"),
                   Document.id.label("document_id"), Document.title.label("document_title"),
                   Document.file_name.label("file_name"), Document.url.label("url"),
                   Document.content_type.label("content_type"), Document.size_bytes.label("size_bytes"),
                   func.coalesce(counts.c.present, 0).label("present"),
                   func.coalesce(counts.c.absent, 0).label("absent"),
                   func.coalesce(counts.c.not_marked, 0).label("not_marked"))
            .select_from(model)
            .outerjoin(Document, Document.id == model.minutes_document_id)
            .outerjoin(counts, counts.c.owner_id == model.id)
            .where(model.consultation_id == consultation_id))


def sessions_of(consultation_id: int) -> list[SessionRecord]:
    """The groups (in their order), then the meetings (by date), with materials and attendance: one query."""
    groups = _sessions_select("group", WorkingGroup, WorkingGroup.name, WorkingGroup.meeting_starts_at,
                              WorkingGroup.meeting_ends_at, WorkingGroup.position, GroupRegistration,
                              GroupRegistration.group_id, consultation_id)
    meetings = _sessions_select("meeting", Meeting, Meeting.title, Meeting.starts_at, Meeting.ends_at,
                                literal_column("0"), MeetingRegistration, MeetingRegistration.meeting_id,
                                consultation_id)
    both = union_all(groups, meetings).subquery()
    rows = db.session.execute(select(both).order_by(both.c.kind, both.c.position, both.c.starts_at, both.c.id))
    return [SessionRecord(
        kind=row.kind, id=row.id, title=row.title, starts_at=row.starts_at, ends_at=row.ends_at,
        recording_url=row.recording_url or "", summary_html=row.summary_html or "",
        minutes=MinutesFile(row.document_id, row.document_title, row.file_name, row.url, row.content_type or "",
                            row.size_bytes or 0) if row.document_id is not None else None,
        present=int(row.present), absent=int(row.absent), not_marked=int(row.not_marked)) for row in rows]

