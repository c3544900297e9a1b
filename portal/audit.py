"""The append-only log of staff actions: who, when, what, to whom, why, before and after.

Account changes (roles, trust, blocks, organisation verification) and, later, moderation
write here through `record()`. Nothing in the application updates or deletes a row.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.extensions import db
from portal.types import UTCDateTime


class AuditLog(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")

    actor = relationship("User", foreign_keys=[actor_id], lazy="raise")

    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id", "at"),
        Index("ix_audit_log_at", "at"),
        # The moderation log filters by moderator and by action, newest first.
        Index("ix_audit_log_actor_at", "actor_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    @property
    def before_data(self) -> dict:
        return stored_data(self.before)

    @property
    def after_data(self) -> dict:
        return stored_data(self.after)


def stored_data(text: str | None) -> dict:
    """A row's `before` or `after` as it was recorded (a row read as columns decodes it here too)."""
    return json.loads(text) if text else {}


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_changes(mapper, connection, target):
    raise AppendOnlyError("audit log rows are never changed or deleted")


def record(actor, action: str, target, reason: str = "", before: dict | None = None,
           after: dict | None = None) -> AuditLog:
    """Add a log row in the current transaction (it commits with the change it describes)."""
    entry = AuditLog(
        actor_id=getattr(actor, "id", None), action=action,
        target_type=type(target).__name__.lower(), target_id=target.id, reason=reason or "",
        before=json.dumps(before, ensure_ascii=False, default=str) if before is not None else "",
        after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else "",
    )
    db.session.add(entry)
    return entry
