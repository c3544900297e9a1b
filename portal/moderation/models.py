"""Reports ("zgłoś naruszenie") of published comments."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.extensions import db
from portal.types import LabelledEnum, UTCDateTime, enum_column


class FlagReason(LabelledEnum):
    """Why a participant reports a comment, in the words of the report form."""

    SPAM = "spam", _l("spam")
    OFFENSIVE = "offensive", _l("obraźliwa treść")
    PERSONAL_DATA = "personal_data", _l("dane osobowe")
    OFF_TOPIC = "off_topic", _l("nie na temat")
    OTHER = "other", _l("inne")


class Flag(db.Model):
    """One participant's report of one comment (once per person and comment)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason, 20))
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str] = mapped_column(String(20), default="")  # "agreed" | "dismissed"

    __table_args__ = (
        UniqueConstraint("post_id", "reporter_id"),
        Index("ix_flag_open", "resolved_at", "created_at"),
    )
