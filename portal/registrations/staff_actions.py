"""Staff actions on online-meeting registrations, and attendance at groups' and meetings' sessions.

Confirming and cancelling a meeting registration are compare-and-set updates: the row changes
only while it is still in the state staff saw, so a person withdrawing at the same moment, or a
second tab, never gets an ended registration confirmed or cancelled twice. Meetings have no seats,
so nothing is promoted when one ends.

Attendance is marked after the session has started, for confirmed registrations only, and is
logged once per save with the counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import audit, clock, mail
from portal.extensions import db
from portal.registrations import services
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup

MEETING_ACTIVE = (Status.PENDING, Status.CONFIRMED)


# --- a meeting registration: confirm, cancel ------------------------------------------------

def _compare_and_set(registration: MeetingRegistration, allowed: tuple[Status, ...], **values) -> Status | None:
    """Change the row only while its state is one of `allowed`; the state it had, or None if none was.

    The UPDATE names the state read, so a change made meanwhile (the person withdrew) makes it
    match nothing; the row is then read again and tried once more.
    """
    for _attempt in range(2):
        before = registration.status
        if before not in allowed:
            return None
        changed = db.session.execute(
            update(MeetingRegistration)
            .where(MeetingRegistration.id == registration.id, MeetingRegistration.status == before)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        db.session.refresh(registration)
        if changed:
            return before
    return None


def confirm_meeting_by_staff(actor, registration: MeetingRegistration, now: datetime | None = None) -> bool:
    """Confirm for someone who did not open the e-mail's link; False if it already was confirmed."""
    if registration.status == Status.CONFIRMED:
        return False
    before = _compare_and_set(registration, (Status.PENDING,), status=Status.CONFIRMED,
                              confirmed_at=now or clock.now_utc())
    if before is None:
        if registration.status == Status.CONFIRMED:  # confirmed meanwhile by the person's own link
            return False
        raise services.RegistrationError(_l("To zgłoszenie jest już zakończone."))
    audit.record(actor, "meeting_registration_confirmed", registration, "", before={"status": before.value},
                 after={"status": registration.status.value})
    return True


def cancel_meeting_by_staff(actor, registration: MeetingRegistration, reason: str,
                            now: datetime | None = None) -> None:
    """Cancel with a reason, which the person is e-mailed and the log keeps."""
    before = _compare_and_set(registration, MEETING_ACTIVE, status=Status.CANCELLED,
                              ended_at=now or clock.now_utc(), end_reason=reason)
    if before is None:
        raise services.RegistrationError(_l("To zgłoszenie jest już zakończone."))
    meeting = db.session.get(Meeting, registration.meeting_id)
    mail.queue(registration.email, "meeting_registration_cancelled", registration=registration,
               meeting=meeting, reason=reason)
    audit.record(actor, "meeting_registration_cancelled", registration, reason, before={"status": before.value},
                 after={"status": registration.status.value})


# --- attendance -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttendanceCounts:
    """Among confirmed registrations: present, absent, not marked yet (the report counts the same
    in SQL: materials.sessions_of)."""

    present: int = 0
    absent: int = 0
    not_marked: int = 0

    @classmethod
    def of(cls, registrations) -> AttendanceCounts:
        confirmed = [r.attended for r in registrations if r.status == Status.CONFIRMED]
        return cls(present=confirmed.count(True), absent=confirmed.count(False), not_marked=confirmed.count(None))

    @property
    def marked(self) -> int:
        return self.present + self.absent


def session_start(session: WorkingGroup | Meeting) -> datetime | None:
    """When the group's or the meeting's session starts (a group may have no date yet)."""
    return session.meeting_starts_at if isinstance(session, WorkingGroup) else session.starts_at


def attendance_open(session: WorkingGroup | Meeting, now: datetime) -> bool:
    """Attendance can be marked once the session has started."""
    start = session_start(session)
    return start is not None and start <= now


def _registrations_of(session: WorkingGroup | Meeting):
    if isinstance(session, WorkingGroup):
        return GroupRegistration, GroupRegistration.group_id == session.id
    return MeetingRegistration, MeetingRegistration.meeting_id == session.id


def confirmed_registrations(session: WorkingGroup | Meeting) -> list:
    """The session's confirmed registrations, in order of arrival: those whose attendance is marked."""
    model, of_session = _registrations_of(session)
    return db.session.scalars(select(model).where(of_session, model.status == Status.CONFIRMED)
                              .order_by(model.id)).all()


def mark_attendance(actor, session: WorkingGroup | Meeting, marks: dict[int, bool],
                    now: datetime | None = None) -> tuple[int, AttendanceCounts]:
    """Store who came (`marks`: registration id -> present) for the session's confirmed registrations.

    Ids of other sessions or of unconfirmed registrations are ignored. Returns how many rows
    changed and the counts after the save; a save that changed something is logged once.
    """
    now = now or clock.now_utc()
    if not attendance_open(session, now):
        raise services.RegistrationError(_l("Obecność można zaznaczyć dopiero po rozpoczęciu spotkania."))
    confirmed = confirmed_registrations(session)
    changed = 0
    for registration in confirmed:
        mark = marks.get(registration.id)
        if mark is not None and registration.attended is not mark:
            registration.attended = mark
            registration.attendance_marked_at = now
            changed += 1
    counts = AttendanceCounts.of(confirmed)
    if changed:
        audit.record(actor, "attendance_marked", session, "", after={
            "marked": changed, "present": counts.present, "absent": counts.absent,
            "not_marked": counts.not_marked})
    return changed, counts
