"""The browser session of a signed-in person (the HTTP layer): started fresh at login, ended at
logout and after the account's erasure. The account rules — who may log in, the session version
that ends every copy of a cookie — stay in services.py, which knows nothing of requests."""
from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import BindParameter, ColumnElement, Row, Select, select

from portal import page_versions
from portal.accounts import services
from portal.accounts.models import Organisation, User


def _keep_only_the_language() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def log_in(user: User) -> None:
    """Start a fresh session for the user (nothing carried over from before login but the language)."""
    _keep_only_the_language()
    login_user(user)


def log_out(user: User) -> None:
    """End the session everywhere: every copy of the login cookie stops working."""
    services.end_every_session(user)
    logout_user()
    _keep_only_the_language()


def forget(user: User) -> None:
    """After the account's erasure: nothing of it stays in this browser (the language neither)."""
    logout_user()
    session.clear()


def login_key(value: str | None) -> tuple[int, int] | None:
    """The login cookie's "<id>.<session version>" (User.get_id) as two numbers; None for anything else."""
    user_key, _, version = (value or "").partition(".")
    if not (user_key.isdigit() and version.isdigit()):
        return None
    return int(user_key), int(version)


def is_current(user: User | None, version: int) -> bool:
    """The account exists, is not erased, and this copy of the cookie was not ended (log_out)."""
    return user is not None and user.session_version == version and user.is_active


def login_in_this_session() -> tuple[int, int] | None:
    """(user id, session version) the session's login names (Flask-Login keeps User.get_id there)."""
    return login_key(session.get("_user_id"))


def reader_query(reader_id: BindParameter, **columns: ColumnElement) -> Select:
    """The statement `signed_in_reader` runs: what a shared page's rules look at about the account
    `reader_id` names, and `columns` (which name the reader and the view's arguments as bind
    parameters, so that the statement is built once)."""
    return (select(User.id, User.session_version, User.role, User.email_verified_at, User.blocked_at,
                   User.blocked_until, User.deleted_at, Organisation.id.label("organisation_id"),
                   Organisation.name.label("organisation_name"),
                   *(column.label(name) for name, column in columns.items()))
            .outerjoin(Organisation, Organisation.id == User.organisation_id)
            .where(User.id == reader_id))


def signed_in_reader(key: tuple[int, int], query: Select, params: dict) -> tuple[User, Row] | None:
    """The person `key` names as a shared page needs them (portal.page_cache): one query (`reader_query`),
    or none while this worker knows of no change since (page_versions.read_remembered).

    The user is transient, built from the columns a page's rules look at (role, verification,
    block, organisation's name), not loaded through the ORM, and the query runs outside a
    transaction (portal.database.read_alone): serving a shared page is so cheap that loading the
    account that way was most of its cost. None: not a valid login.
    """
    row = page_versions.read_remembered(query, params)
    if row is None:
        return None
    organisation = Organisation(id=row.organisation_id, name=row.organisation_name) if row.organisation_id else None
    user = User(id=row.id, session_version=row.session_version, role=row.role, email_verified_at=row.email_verified_at,
                blocked_at=row.blocked_at, blocked_until=row.blocked_until, deleted_at=row.deleted_at,
                organisation_id=row.organisation_id, organisation=organisation)
    return (user, row) if is_current(user, key[1]) else None
