"""Is a seat free? The one answer: a seat in a working group is held by a confirmed registration
or by a pending one whose hold has not run out.

Pages read it with the SQL expressions here (right even before an expired hold is swept);
templates ask `Availability.free` and `.full` and never subtract. Every change of seats or of a
capacity goes one way (`services.lock_and_count`): lock the group (`locking.py`), release the
holds nobody confirmed in time, count, change, promote from the waiting list.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select

from portal.extensions import db
from portal.registrations.models import GroupRegistration, Status, WorkingGroup


@dataclass(frozen=True)
class Availability:
    """How a group's seats stand; templates ask `.free` and `.full` and never subtract."""

    capacity: int
    held: int
    waiting: int = 0

    @property
    def free(self) -> int:
        return max(self.capacity - self.held, 0)  # never negative, even under a lowered capacity

    @property
    def full(self) -> bool:
        return self.free == 0


def held_seats_column(now: datetime):
    """Seats held in a group, as a subquery correlated to WorkingGroup: confirmed, and pending
    holds not yet expired."""
    return (
        select(func.count(GroupRegistration.id))
        .where(GroupRegistration.group_id == WorkingGroup.id,
               or_(GroupRegistration.status == Status.CONFIRMED,
                   and_(GroupRegistration.status == Status.PENDING, GroupRegistration.hold_expires_at > now)))
        .correlate(WorkingGroup)
        .scalar_subquery()
    )


def waiting_column():
    """People on a group's waiting list, as a subquery correlated to WorkingGroup."""
    return (select(func.count(GroupRegistration.id))
            .where(GroupRegistration.group_id == WorkingGroup.id, GroupRegistration.status == Status.WAITING)
            .correlate(WorkingGroup).scalar_subquery())


def free_places_column(now: datetime):
    """Free places in a group (never below zero), for queries that filter or sort by them."""
    held = held_seats_column(now)
    return case((WorkingGroup.capacity > held, WorkingGroup.capacity - held), else_=0)


def availability(group_id: int, now: datetime) -> Availability:
    """A group's seats now, in one query."""
    capacity, held, waiting = db.session.execute(
        select(WorkingGroup.capacity, held_seats_column(now), waiting_column())
        .where(WorkingGroup.id == group_id)).one()
    return Availability(capacity, held, waiting)


def groups_with_seats(consultation_id: int, now: datetime) -> list[tuple[WorkingGroup, Availability]]:
    """The consultation's groups, each with its availability, in one query."""
    rows = db.session.execute(
        select(WorkingGroup, held_seats_column(now), waiting_column())
        .where(WorkingGroup.consultation_id == consultation_id)
        .order_by(WorkingGroup.position, WorkingGroup.id)
    ).all()
    return [(group, Availability(group.capacity, held, waiting)) for group, held, waiting in rows]


def waiting_position(registration: GroupRegistration) -> int:
    """1 for the first in line. Arrival order is id order: ids are given out under the lock."""
    return db.session.scalar(select(func.count(GroupRegistration.id)).where(
        GroupRegistration.group_id == registration.group_id, GroupRegistration.status == Status.WAITING,
        GroupRegistration.id <= registration.id))
