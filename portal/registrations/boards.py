"""The staff pages' reading of registrations: every group with its seats and its registrations
sorted into tables, every meeting with its registrations, and one list of them a page at a time.

The overview shows each group's seat holders in full (a group has 10–12 seats), but only the
start of a waiting list and of a meeting's list (`PREVIEW` rows) and of the ended registrations
(`ENDED_PREVIEW`), so that the page stays small (≈ 3.5 KB of HTML a row with its forms); the
numbers beside them (seats, waiting, ended, attendance) are counted in SQL, never from the rows
shown. Every reading here is a fixed number of queries, whatever the number of registrations.
The exports read everything (`preview=False`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select

from portal import clock, pagination
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import staff_actions
from portal.registrations.seats import Availability, groups_with_seats
from portal.registrations.models import (HOLDING, GroupRegistration, Meeting, MeetingRegistration, Status,
                                         WorkingGroup)

PREVIEW = 10        # rows of a waiting list and of a meeting's list on the overview
ENDED_PREVIEW = 5   # rows of a group's ended registrations there
PER_PAGE = 50       # rows a page of one group's or one meeting's list

ENDED = (Status.WITHDRAWN, Status.EXPIRED, Status.CANCELLED)


@dataclass
class GroupBoard:
    """A group's registrations sorted into the three tables of the overview."""

    group: WorkingGroup
    seats: Availability
    holding: list[GroupRegistration] = field(default_factory=list)
    waiting: list[tuple[GroupRegistration, int]] = field(default_factory=list)  # with position, 1 = first
    ended: list[GroupRegistration] = field(default_factory=list)
    ended_count: int = 0  # all of them, also those not in `ended`

    @property
    def waiting_count(self) -> int:
        return self.seats.waiting

    @property
    def more_waiting(self) -> bool:
        """Some of the waiting list is not shown (the overview shows its start)."""
        return self.waiting_count > len(self.waiting)

    @property
    def more_ended(self) -> bool:
        return self.ended_count > len(self.ended)

    @property
    def confirmed(self) -> list[GroupRegistration]:
        return [r for r in self.holding if r.status == Status.CONFIRMED]

    @property
    def attendance(self) -> staff_actions.AttendanceCounts:
        return staff_actions.AttendanceCounts.of(self.holding)  # every seat holder is shown


@dataclass
class MeetingBoard:
    """A meeting with (the start of) its registrations, in order of arrival, and its counts."""

    meeting: Meeting
    registrations: list[MeetingRegistration] = field(default_factory=list)
    total: int = 0
    attendance: staff_actions.AttendanceCounts = field(default_factory=staff_actions.AttendanceCounts)

    @property
    def complete(self) -> bool:
        """Every registration of the meeting is in `registrations`."""
        return len(self.registrations) >= self.total

    @property
    def confirmed(self) -> list[MeetingRegistration]:
        """The confirmed among those shown."""
        return [r for r in self.registrations if r.status == Status.CONFIRMED]

    @property
    def confirmed_count(self) -> int:
        counts = self.attendance
        return counts.present + counts.absent + counts.not_marked


def _part():
    """0 a seat holder, 1 waiting, 2 ended: the overview's three tables."""
    return case((GroupRegistration.status.in_(HOLDING), 0), (GroupRegistration.status == Status.WAITING, 1),
                else_=2)


# Within a group and a state, in order of arrival: seat holders list the confirmed first, and
# waiting positions count in id order, as `seats.waiting_position` does.
_GROUP_ORDER = (GroupRegistration.status, GroupRegistration.id)


def group_boards(consultation: Consultation, preview: bool = True) -> list[GroupBoard]:
    """Every group with its seats, its seat holders, and the start of its waiting list and of its
    ended registrations (all of them with `preview=False`): two queries (groups with seats,
    registrations).

    Call after `services.release_expired_holds`, so a pending row here still holds its seat.
    """
    boards = {group.id: GroupBoard(group, seats)
              for group, seats in groups_with_seats(consultation.id, clock.now_utc())}
    part = _part()
    ranked = select(
        GroupRegistration.id,
        part.label("part"),
        func.row_number().over(partition_by=(GroupRegistration.group_id, part), order_by=_GROUP_ORDER).label("rank"),
        func.count().over(partition_by=(GroupRegistration.group_id, part)).label("part_total"),
    ).where(GroupRegistration.consultation_id == consultation.id).subquery()
    query = (select(GroupRegistration, ranked.c.part, ranked.c.rank, ranked.c.part_total)
             .join(ranked, ranked.c.id == GroupRegistration.id)
             .order_by(GroupRegistration.group_id, *_GROUP_ORDER))
    if preview:
        query = query.where(or_(ranked.c.part == 0, (ranked.c.part == 1) & (ranked.c.rank <= PREVIEW),
                                (ranked.c.part == 2) & (ranked.c.rank <= ENDED_PREVIEW)))
    for registration, part_number, rank, part_total in db.session.execute(query):
        board = boards[registration.group_id]
        if part_number == 0:
            board.holding.append(registration)
        elif part_number == 1:
            board.waiting.append((registration, rank))
        else:
            board.ended.append(registration)
            board.ended_count = part_total
    return list(boards.values())


def _tally(condition):
    return func.sum(case((condition, 1), else_=0))


def _attendance_tallies():
    """Present / absent / not marked among confirmed registrations: the rule of
    `staff_actions.AttendanceCounts`, as `materials.sessions_of` counts it in SQL."""
    confirmed = MeetingRegistration.status == Status.CONFIRMED
    return {"present": _tally(confirmed & MeetingRegistration.attended.is_(True)),
            "absent": _tally(confirmed & MeetingRegistration.attended.is_(False)),
            "not_marked": _tally(confirmed & MeetingRegistration.attended.is_(None))}


def _counts(row) -> staff_actions.AttendanceCounts:
    return staff_actions.AttendanceCounts(present=int(row.present or 0), absent=int(row.absent or 0),
                                          not_marked=int(row.not_marked or 0))


def meeting_boards(consultation: Consultation, preview: bool = True) -> list[MeetingBoard]:
    """The consultation's meetings, each with its first `PREVIEW` registrations (all of them with
    `preview=False`), how many there are and its attendance counts: one query."""
    partition = MeetingRegistration.meeting_id
    ranked = select(
        MeetingRegistration.id, MeetingRegistration.meeting_id,
        func.row_number().over(partition_by=partition, order_by=MeetingRegistration.id).label("rank"),
        func.count().over(partition_by=partition).label("total"),
        *(tally.over(partition_by=partition).label(name) for name, tally in _attendance_tallies().items()),
    ).join(Meeting, Meeting.id == MeetingRegistration.meeting_id).where(
        Meeting.consultation_id == consultation.id).subquery()
    shown = ranked.c.meeting_id == Meeting.id
    if preview:
        shown = shown & (ranked.c.rank <= PREVIEW)
    rows = db.session.execute(
        select(Meeting, MeetingRegistration, ranked.c.total, ranked.c.present, ranked.c.absent, ranked.c.not_marked)
        .outerjoin(ranked, shown)
        .outerjoin(MeetingRegistration, MeetingRegistration.id == ranked.c.id)
        .where(Meeting.consultation_id == consultation.id)
        .order_by(Meeting.starts_at, Meeting.id, MeetingRegistration.id))
    boards: dict[int, MeetingBoard] = {}
    for row in rows:
        board = boards.get(row.Meeting.id)
        if board is None:
            board = boards[row.Meeting.id] = MeetingBoard(row.Meeting, total=int(row.total or 0),
                                                          attendance=_counts(row))
        if row.MeetingRegistration is not None:
            board.registrations.append(row.MeetingRegistration)
    return list(boards.values())


# --- one list, a page at a time ---------------------------------------------------------------

@dataclass
class ListPage(pagination.Paged):
    """A page of one group's waiting list or ended registrations, or of one meeting's list."""

    rows: list
    number: int
    pages: int
    total: int

    @property
    def first_position(self) -> int:
        """The place (1-based) of the page's first row in the whole list."""
        return pagination.offset(self.number, PER_PAGE) + 1


def _page(statement, number: int, total: int) -> ListPage:
    number = pagination.clamped(number, total, PER_PAGE)
    rows = db.session.scalars(pagination.page_of(statement, number, PER_PAGE)).all() if total else []
    return ListPage(rows, number, pagination.page_count(total, PER_PAGE), total)


def waiting_page(group: WorkingGroup, waiting: int, number: int) -> ListPage:
    """Page `number` of the group's waiting list (`waiting` long, as its Availability says), in
    order: one query. A row's place in the list is `first_position` + its index."""
    return _page(select(GroupRegistration).where(GroupRegistration.group_id == group.id,
                                                 GroupRegistration.status == Status.WAITING)
                 .order_by(GroupRegistration.id), number, waiting)


def ended_page(group: WorkingGroup, number: int) -> ListPage:
    """Page `number` of the group's ended registrations, in the overview's order: two queries."""
    of_group = (GroupRegistration.group_id == group.id, GroupRegistration.status.in_(ENDED))
    total = db.session.scalar(select(func.count(GroupRegistration.id)).where(*of_group))
    return _page(select(GroupRegistration).where(*of_group).order_by(*_GROUP_ORDER), number, total)


def meeting_page(meeting: Meeting, number: int) -> tuple[ListPage, staff_actions.AttendanceCounts]:
    """Page `number` of the meeting's registrations in order of arrival, and its attendance
    counts: two queries."""
    counts = db.session.execute(select(
        func.count(MeetingRegistration.id).label("total"),
        *(tally.label(name) for name, tally in _attendance_tallies().items()),
    ).where(MeetingRegistration.meeting_id == meeting.id)).one()
    page = _page(select(MeetingRegistration).where(MeetingRegistration.meeting_id == meeting.id)
                 .order_by(MeetingRegistration.id), number, counts.total)
    return page, _counts(counts)
