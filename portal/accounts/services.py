"""Account rules: sign-up, verification, login checks, password and e-mail changes, erasure.

No request or session here: the browser session (log in, log out) is sessions.py's."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import clock, mail
from portal.accounts import admin_services, passwords, personal_data, tokens
from portal.accounts.models import Organisation, Role, User
from portal.errors import Refusal
from portal.extensions import db
from portal.pages import legal


class AccountError(Refusal):
    """A rule refused the action; the message is shown to the person."""


class WrongPassword(AccountError):
    """The current password given to confirm an action is not the account's."""

    def __init__(self):
        super().__init__(_l("Obecne hasło jest nieprawidłowe."))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


@dataclass
class OrganisationData:
    name: str = ""
    krs: str = ""
    city: str = ""


def sign_up(email: str, display_name: str, password: str, organisation: OrganisationData) -> User | None:
    """Create an unverified account and e-mail a verification link.

    If the address already has an account, nothing is created and its owner is told by e-mail
    instead, so the page never reveals who has an account. Returns the new user or None.
    Nobody is logged in here (the session cookie would tell the two cases apart); the
    verification link logs the new person in. Both cases hash the password and queue one
    e-mail, so they take the same time.
    """
    email = normalise_email(email)
    existing = find_by_email(email)
    if existing is not None:
        passwords.hash_password(password)  # the same work as a new account: no timing difference
        if existing.is_active:
            mail.queue(email, "account_exists", user=existing,
                       login_url=url_for("accounts.login", _external=True),
                       reset_url=url_for("accounts.forgot_password", _external=True))
        return None
    # The form requires accepting the notice: record which version, and when.
    user = User(email=email, display_name=display_name.strip(), role=Role.PARTICIPANT,
                privacy_notice_version=legal.current_privacy_version(),
                privacy_notice_accepted_at=clock.now_utc())
    user.set_password(password)
    if organisation.name.strip():
        user.organisation = Organisation(name=organisation.name.strip(), krs=organisation.krs.strip(),
                                         city=organisation.city.strip())
    db.session.add(user)
    db.session.flush()
    send_verification(user)
    return user


def send_verification(user: User, email: str | None = None) -> None:
    """E-mail a link that verifies `email` (default: the account's own address)."""
    address = email or user.email
    token = tokens.make_email_token(user.id, address)
    mail.queue(address, "verify_email", user=user, new_address=email is not None,
               link=url_for("accounts.verify_email", token=token, _external=True),
               hours=int(tokens.VERIFY_EMAIL_MAX_AGE.total_seconds() // 3600))


def verify_email(token: str) -> tuple[User, str]:
    """Apply a verification link; returns (user, "verified" | "changed" | "already")."""
    user_id, address = tokens.read_email_token(token)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise tokens.InvalidToken(expired=False)
    if address == user.email:
        if user.is_verified:
            return user, "already"
        user.email_verified_at = clock.now_utc()
        return user, "verified"
    if find_by_email(address) is not None:
        raise AccountError(_l("Ten adres e-mail należy już do innego konta."))
    user.email = address
    user.email_verified_at = clock.now_utc()
    return user, "changed"


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None or not user.is_active or not user.password_hash:
        passwords.spend_as_much_time_as_a_check(password)
        return None
    return user if user.check_password(password) else None


def end_every_session(user: User) -> None:
    """Every copy of the user's login cookie stops working (the session version goes up)."""
    _bump_session_version(user)


def _bump_session_version(user: User) -> None:
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.refresh(user, ["session_version"])


def request_password_reset(email: str) -> bool:
    """E-mail a reset link if the account exists; the caller answers the same either way.

    True when a link was queued, so that the caller can make the answer take as long either way
    (portal/equal_time.py): only the known address costs an e-mail's delivery.
    """
    user = find_by_email(email)
    if user is None or not user.is_active:
        return False
    token = tokens.make_reset_token(user.id, user.password_hash)
    mail.queue(user.email, "reset_password", user=user,
               link=url_for("accounts.reset_password", token=token, _external=True))
    return True


def user_for_reset(token: str) -> User:
    user_id, fingerprint = tokens.read_reset_token(token)
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or tokens.password_fingerprint(user.password_hash) != fingerprint:
        raise tokens.InvalidToken(expired=False)
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link (usable once) and end every other session."""
    user = user_for_reset(token)
    user.set_password(new_password)
    if not user.is_verified:
        user.email_verified_at = clock.now_utc()  # the link reached the inbox: address proven
    _bump_session_version(user)
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise WrongPassword()
    user.set_password(new_password)
    _bump_session_version(user)  # the caller starts this browser's session anew (sessions.log_in)
    mail.queue(user.email, "password_changed", user=user)


def request_email_change(user: User, current_password: str, new_email: str) -> None:
    """The address changes only when the link sent to the new address is opened."""
    if not user.check_password(current_password):
        raise WrongPassword()
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_l("To jest Twój obecny adres e-mail."))
    # A taken address is not refused here (that would tell who has an account): the link goes
    # to it all the same, and verify_email refuses it if the mailbox's owner opens it.
    send_verification(user, new_email)
    mail.queue(user.email, "email_change_requested", user=user, new_email=new_email)


def update_profile(user: User, display_name: str, organisation: OrganisationData,
                   notify_replies: bool, notify_subscriptions: bool, notify_report: bool,
                   moderation_digest: bool = False) -> None:
    user.display_name = display_name.strip()
    user.notify_replies = notify_replies
    user.notify_subscriptions = notify_subscriptions
    user.notify_report = notify_report
    user.moderation_digest = moderation_digest and user.is_staff
    name = organisation.name.strip()
    if not name:
        user.organisation = None
        return
    current = user.organisation
    if current is not None and current.name == name:
        current.krs, current.city = organisation.krs.strip(), organisation.city.strip()
        return
    # A different organisation: a new, unverified record (verification belongs to the old one).
    user.organisation = Organisation(name=name, krs=organisation.krs.strip(), city=organisation.city.strip())


def export_data(user: User) -> dict:
    """Everything the portal holds about the person (RODO art. 15 and 20): see personal_data."""
    return personal_data.export(user)


def delete_account(user: User, current_password: str) -> None:
    """Erase personal data; what was published stays, signed "Konto usunięte".

    The last admin cannot leave (admin_services.AdminError): the site would have nobody to manage it.
    """
    if not user.check_password(current_password):
        raise WrongPassword()
    admin_services.lock_admins(None, user)
    admin_services.keep_an_admin(user)
    erase_personal_data(user)


def erase_personal_data(user: User) -> None:
    """Erase the person's data everywhere (RODO art. 17): see personal_data."""
    personal_data.erase(user)
