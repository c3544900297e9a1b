"""Admin rules for accounts: roles, trust, blocks, organisation verification, and their history.

Every change is written to the audit log in the same transaction as the change itself (the
request's one commit); nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from portal import audit, clock, mail, pagination
from portal.accounts.models import ROLE_LABELS, Organisation, Role, User
from portal.audit import AuditLog
from portal.errors import Refusal
from portal.extensions import db
from portal.formatting import end_date

USERS_PER_PAGE = 50


class AdminError(Refusal):
    """A rule refused the change; the message is shown to the admin."""


def _refuse_deleted(user: User) -> None:
    if not user.is_active:
        raise AdminError(_l("To konto zostało usunięte — nie można go już zmieniać."))


_active_admin = and_(User.role == Role.ADMIN, User.deleted_at.is_(None))


def lock_admins(actor: User | None, user: User) -> None:
    """Serialise every change that could leave the site without an admin, until the transaction ends.

    Role changes, blocks and account deletions all pass here first, so "is another admin left?"
    is always asked after the previous such change has committed. `actor` and `user` are read
    again under the lock; an actor who has meanwhile lost the admin role is refused.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        # Every active admin's row (and the changed account's): two changes touching admins
        # always share a row, so one waits for the other; the count that follows sees its commit.
        # NO KEY UPDATE: rows that only refer to these accounts (posts, log entries) need not wait.
        db.session.execute(select(User.id).where(or_(_active_admin, User.id == user.id))
                           .order_by(User.id).with_for_update(key_share=True))
    else:
        # SQLite has one writer at a time: the first write takes the lock, later reads see every commit.
        db.session.execute(update(User).where(User.id == user.id).values(role=User.role)
                           .execution_options(synchronize_session=False))
    db.session.refresh(user)
    if actor is not None and actor is not user:
        db.session.refresh(actor)
    if actor is not None and actor.role != Role.ADMIN:
        raise AdminError(_l("Nie masz już roli administratora, więc nie możesz zmieniać kont."))


LAST_ADMIN = _l("To jedyne konto administratora w serwisie, a serwis nie może zostać bez administratora. "
                 "Najpierw nadaj rolę administratora innej osobie.")


def is_last_admin(user: User) -> bool:
    """True when `user` is an active admin and no other active admin exists."""
    if user.role != Role.ADMIN or not user.is_active:
        return False
    return not db.session.scalar(select(func.count()).select_from(User).where(_active_admin, User.id != user.id))


def keep_an_admin(user: User) -> None:
    """Refuse a change that takes the last active admin out of the admins. Call under `lock_admins`."""
    if is_last_admin(user):
        raise AdminError(LAST_ADMIN)


def change_role(actor: User, user: User, role: Role, reason: str) -> bool:
    """Give the user another role; False when it already had it."""
    _refuse_deleted(user)
    if user.id == actor.id and role != Role.ADMIN:
        # Someone must always be able to manage accounts: no admin demotes themselves.
        raise AdminError(_l("Nie możesz odebrać sobie roli administratora. "
                            "Jeśli to konieczne, poproś o to innego administratora."))
    lock_admins(actor, user)
    _refuse_deleted(user)
    if user.role == role:
        return False
    if role != Role.ADMIN:
        keep_an_admin(user)
    before = {"role": user.role.value}
    user.role = role
    audit.record(actor, "role_changed", user, reason, before=before, after={"role": role.value})
    return True


def set_trusted(actor: User, user: User, trusted: bool, reason: str) -> bool:
    """Trusted participants' comments skip pre-moderation; False when nothing changed."""
    _refuse_deleted(user)
    if user.is_trusted == trusted:
        return False
    user.is_trusted = trusted
    audit.record(actor, "trust_changed", user, reason, before={"trusted": not trusted}, after={"trusted": trusted})
    return True


def _block_state(user: User) -> dict:
    if user.blocked_at is None:
        return {"blocked": False}
    return {"blocked": True, "until": user.blocked_until.isoformat() if user.blocked_until else None}


def block_user(actor: User, user: User, until_day: date | None, reason: str) -> None:
    """Block until the end of `until_day` (Warsaw time), or for good; the user is told by e-mail.

    Blocking a blocked user replaces the block (new end, new reason).
    """
    _refuse_deleted(user)
    if user.id == actor.id:
        raise AdminError(_l("Nie możesz zablokować własnego konta."))
    # A role given at this moment is seen before the check below. Moderators block participants
    # too, so the actor's own role is not asked for here (the route decides who may block).
    lock_admins(None, user)
    _refuse_deleted(user)
    if user.is_staff:
        # A block limits taking part; staff powers are taken away by changing the role first.
        raise AdminError(_l("Nie można zablokować moderatora ani administratora. Najpierw zmień rolę na uczestnika."))
    before = _block_state(user)
    user.blocked_at = clock.now_utc()
    user.blocked_until = clock.end_of_day(until_day) if until_day else None
    user.block_reason = reason
    audit.record(actor, "user_blocked", user, reason, before=before, after=_block_state(user))
    _tell_user(user, "account_blocked", until=user.blocked_until, reason=reason)


def unblock_user(actor: User, user: User, reason: str) -> bool:
    """Lift a block (also an expired one, which clears it); False when there was none."""
    _refuse_deleted(user)
    if user.blocked_at is None:
        return False
    before = _block_state(user)
    user.blocked_at = user.blocked_until = None
    user.block_reason = ""
    audit.record(actor, "user_unblocked", user, reason, before=before, after=_block_state(user))
    _tell_user(user, "account_unblocked", reason=reason)
    return True


def set_organisation_verified(actor: User, organisation: Organisation, verified: bool, reason: str) -> bool:
    """Mark the organisation verified (a badge next to its members' comments) or take that back."""
    if organisation.is_verified == verified:
        return False
    organisation.verified_at = clock.now_utc() if verified else None
    audit.record(actor, "organisation_verified" if verified else "organisation_unverified", organisation,
                 reason, before={"verified": not verified}, after={"verified": verified})
    return True


def _tell_user(user: User, template: str, **context) -> None:
    # We do not know the person's language; the site's own language (Polish) is the safe choice,
    # not the language the admin happens to be using.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        mail.queue(user.email, template, user=user, **context)


# --- Finding users --------------------------------------------------------------------------

@dataclass
class UserPage(pagination.Paged):
    users: list[User]
    number: int
    pages: int
    total: int


def find_users(search: str = "", page: int = 1, per_page: int = USERS_PER_PAGE) -> UserPage:
    """One page of users, newest first, matching `search` in e-mail, name or organisation name.

    Two queries (count and page) whatever the number of users.
    """
    query = select(User).outerjoin(User.organisation).options(contains_eager(User.organisation))
    search = search.strip()
    if search:
        query = query.where(or_(User.email.icontains(search, autoescape=True),
                                User.display_name.icontains(search, autoescape=True),
                                Organisation.name.icontains(search, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = pagination.page_count(total, per_page)
    number = pagination.clamped(page, total, per_page)
    users = db.session.scalars(pagination.page_of(query.order_by(User.created_at.desc(), User.id.desc()),
                                                  number, per_page)).all()
    return UserPage(users=list(users), number=number, pages=pages, total=total)


# --- History --------------------------------------------------------------------------------

ACTION_LABELS = {
    "role_changed": _l("Zmiana roli"),
    "trust_changed": _l("Zmiana zaufania"),
    "user_blocked": _l("Blokada konta"),
    "user_unblocked": _l("Odblokowanie konta"),
    "organisation_verified": _l("Weryfikacja organizacji"),
    "organisation_unverified": _l("Cofnięcie weryfikacji organizacji"),
    "account_erased": _l("Usunięcie konta i danych osobowych"),
}


@dataclass
class HistoryEntry:
    at: datetime
    actor: User | None
    action: str
    reason: str
    before: str
    after: str


def history(user: User) -> list[HistoryEntry]:
    """Audit log entries about the user and their organisation, newest first."""
    about = and_(AuditLog.target_type == "user", AuditLog.target_id == user.id)
    if user.organisation_id is not None:
        about = or_(about, and_(AuditLog.target_type == "organisation",
                                AuditLog.target_id == user.organisation_id))
    entries = db.session.scalars(select(AuditLog).where(about).options(joinedload(AuditLog.actor))
                                 .order_by(AuditLog.at.desc(), AuditLog.id.desc())).all()
    return [HistoryEntry(at=e.at, actor=e.actor, action=str(ACTION_LABELS.get(e.action, e.action)),
                         reason=e.reason, before=describe_state(e.before_data),
                         after=describe_state(e.after_data)) for e in entries]


def describe_state(data: dict) -> str:
    """A logged before/after state in words: "moderator", "zablokowane do 30 września 2020 r."."""
    parts = []
    for key, value in data.items():
        if key == "role":
            parts.append(str(ROLE_LABELS.get(value, value)))
        elif key == "trusted":
            parts.append(_("zaufany") if value else _("bez zaufania"))
        elif key == "verified":
            parts.append(_("zweryfikowana") if value else _("niezweryfikowana"))
        elif key == "blocked":
            parts.append(_block_words(value, data.get("until")))
        elif key != "until":
            parts.append(f"{key}: {value}")
    return ", ".join(parts)


def _block_words(blocked: bool, until: str | None) -> str:
    if not blocked:
        return _("bez blokady")
    if until is None:
        return _("zablokowane bezterminowo")
    return _("zablokowane do %(date)s", date=end_date(datetime.fromisoformat(until)))
