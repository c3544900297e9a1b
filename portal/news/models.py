"""Subscriptions to news of consultations: anyone leaves an e-mail address, proves it by a link
(double opt-in), and is told when a consultation is published or one of its phases starts.
Every message carries a one-click unsubscribe link (RFC 8058 `List-Unsubscribe`).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from portal import clock
from portal.extensions import db
from portal.registrations.models import EMAIL_KEY_LENGTH, email_key, ignore_plus_tags
from portal.types import UTCDateTime, enum_column


class NewsStatus(enum.StrEnum):
    PENDING = "pending"            # the confirmation link has not been followed yet
    CONFIRMED = "confirmed"        # receives news
    UNSUBSCRIBED = "unsubscribed"  # left; the row keeps only what proves the request was honoured


class NewsSubscription(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(EMAIL_KEY_LENGTH))
    status: Mapped[NewsStatus] = mapped_column(enum_column(NewsStatus, 20), default=NewsStatus.PENDING)
    locale: Mapped[str] = mapped_column(String(10), default="pl")
    privacy_notice_version: Mapped[str] = mapped_column(String(20))
    privacy_notice_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_news_subscription_email_key", "email_key", unique=True),
        Index("ix_news_subscription_status", "status"),
    )

    @validates("email")
    def _keep_email_key(self, _name: str, address: str) -> str:
        self.email_key = email_key(address, ignore_plus_tags())
        return address
