"""The browser session of a signed-in person (the HTTP layer): started fresh at login, ended at
logout and after the account's erasure. The account rules — who may log in, the session version
that ends every copy of a cookie — stay in services.py, which knows nothing of requests."""
from flask import session
from flask_login import login_user, logout_user

from portal.accounts import services
from portal.accounts.models import User


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
