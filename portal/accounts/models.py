"""People with an account: participants (NGO representatives) and staff, and organisations."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.accounts import passwords
from portal.extensions import db
from portal.types import UTCDateTime, enum_column

DELETED_NAME = "Konto usunięte"


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    MODERATOR = "moderator"
    ADMIN = "admin"


# The city office's people: the one list of roles that moderate and run the back office.
STAFF_ROLES = (Role.MODERATOR, Role.ADMIN)

ROLE_LABELS = {Role.PARTICIPANT: _l("uczestnik"), Role.MODERATOR: _l("moderator"), Role.ADMIN: _l("administrator")}


class Organisation(db.Model):
    """The NGO a participant represents; staff mark it verified (a badge next to comments)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    krs: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class User(UserMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; uniqueness is on that form.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role, 20), default=Role.PARTICIPANT)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now_utc)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    # Trusted participants' comments skip pre-moderation.
    is_trusted: Mapped[bool] = mapped_column(default=False)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None while blocked: for good
    block_reason: Mapped[str] = mapped_column(String(1000), default="")
    # Part of the login cookie's identity: raising it logs out every copy of the cookie.
    session_version: Mapped[int] = mapped_column(default=1)
    notify_replies: Mapped[bool] = mapped_column(default=True)
    notify_subscriptions: Mapped[bool] = mapped_column(default=True)
    notify_report: Mapped[bool] = mapped_column(default=True)  # "the answers to your comments are published"
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff: an hourly e-mail digest of the moderation queue (when there is something in it).
    moderation_digest: Mapped[bool] = mapped_column(default=False)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The privacy notice accepted at sign-up (legal.current_privacy_version()) and when.
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))
    privacy_notice_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password: str) -> bool:
        return passwords.matches(self.password_hash, password)

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def shown_name(self) -> str:
        """The name under what the person wrote: a deleted account's in the reader's language."""
        return self.display_name if self.is_active else str(_l("Konto usunięte"))

    @hybrid_property
    def is_staff(self) -> bool:
        """A moderator or an admin; in SQL too (`select(User).where(User.is_staff)`)."""
        return self.role in STAFF_ROLES

    @is_staff.inplace.expression
    @classmethod
    def _is_staff_expression(cls):
        return cls.role.in_(STAFF_ROLES)

    def is_blocked(self, now: datetime | None = None) -> bool:
        if self.blocked_at is None:
            return False
        return self.blocked_until is None or (now or clock.now_utc()) < self.blocked_until

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
