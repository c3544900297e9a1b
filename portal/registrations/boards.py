"""The staff overview's reading of registrations: every group with its seats and its
registrations sorted into tables, every meeting with its registrations — two queries each,
whatever the number of registrations. Used by the overview page and the exports."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import staff_actions
from portal.registrations.seats import Availability, groups_with_seats
from portal.registrations.models import (HOLDING, GroupRegistration, Meeting, MeetingRegistration, Status,
                                         WorkingGroup)


@dataclass
class GroupBoard:
    """A group's registrations sorted into the three tables of the overview."""

    group: WorkingGroup
    seats: Availability
    holding: list[GroupRegistration] = field(default_factory=list)
    waiting: list[tuple[GroupRegistration, int]] = field(default_factory=list)  # with position, 1 = first
    ended: list[GroupRegistration] = field(default_factory=list)

    @property
    def confirmed(self) -> list[GroupRegistration]:
        return [r for r in self.holding if r.status == Status.CONFIRMED]

    @property
    def attendance(self) -> staff_actions.AttendanceCounts:
        return staff_actions.AttendanceCounts.of(self.holding)


@dataclass
class MeetingBoard:
    """A meeting with its registrations, in order of arrival."""

    meeting: Meeting
    registrations: list[MeetingRegistration] = field(default_factory=list)

    @property
    def confirmed(self) -> list[MeetingRegistration]:
        return [r for r in self.registrations if r.status == Status.CONFIRMED]

    @property
    def attendance(self) -> staff_actions.AttendanceCounts:
        return staff_actions.AttendanceCounts.of(self.registrations)


def group_boards(consultation: Consultation) -> list[GroupBoard]:
    """Every group with its seats and registrations: two queries (groups, registrations).

    Call after `services.release_expired_holds`, so a pending row here still holds its seat.
    Rows come ordered by group, state, id: seat holders list the confirmed first, and waiting
    positions count in id order, as `seats.waiting_position` does.
    """
    boards = {group.id: GroupBoard(group, seats)
              for group, seats in groups_with_seats(consultation.id, clock.now_utc())}
    registrations = db.session.scalars(
        select(GroupRegistration).where(GroupRegistration.consultation_id == consultation.id)
        .order_by(GroupRegistration.group_id, GroupRegistration.status, GroupRegistration.id)).all()
    for registration in registrations:  # within a group and a state, in order of arrival
        board = boards[registration.group_id]
        if registration.status in HOLDING:
            board.holding.append(registration)
        elif registration.status == Status.WAITING:
            board.waiting.append((registration, len(board.waiting) + 1))
        else:
            board.ended.append(registration)
    return list(boards.values())


def meeting_boards(consultation: Consultation) -> list[MeetingBoard]:
    """The consultation's meetings with their registrations: two queries."""
    meetings = db.session.scalars(select(Meeting).where(Meeting.consultation_id == consultation.id)
                                  .order_by(Meeting.starts_at, Meeting.id)).all()
    boards = {meeting.id: MeetingBoard(meeting) for meeting in meetings}
    for registration in db.session.scalars(
            select(MeetingRegistration).join(Meeting, Meeting.id == MeetingRegistration.meeting_id)
            .where(Meeting.consultation_id == consultation.id)
            .order_by(MeetingRegistration.meeting_id, MeetingRegistration.id)):
        boards[registration.meeting_id].registrations.append(registration)
    return list(boards.values())
