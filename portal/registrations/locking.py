"""The one place that locks working groups: whoever changes seats or a capacity locks first.

PostgreSQL: SELECT ... FOR UPDATE on the group's row. SQLite: a no-op write to the row, which
takes SQLite's single write lock at once. Either way the lock lasts until the transaction ends,
so a count made under it stays true until the change it decides is committed.
"""
from __future__ import annotations

from sqlalchemy import select, update

from portal.extensions import db
from portal.registrations.models import WorkingGroup


def lock_group(group_id: int) -> None:
    """Serialise everyone taking or freeing seats in this group until the transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(WorkingGroup.id).where(WorkingGroup.id == group_id).with_for_update())
    else:
        db.session.execute(update(WorkingGroup).where(WorkingGroup.id == group_id)
                           .values(capacity=WorkingGroup.capacity))


def lock_groups(*group_ids: int) -> None:
    """Lock several groups in id order, so two transactions locking the same groups never deadlock."""
    for group_id in sorted(set(group_ids)):
        lock_group(group_id)
