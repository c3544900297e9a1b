"""Browsers an account has logged in from: exempt from that account's login lock (issue 19).

Failed logins are limited per account (LOGIN_LIMIT_PER_ACCOUNT) so that nobody can guess a
password from many addresses. That lock alone would let anyone keep a chosen moderator out by
failing five times. So a browser where the account once logged in successfully carries a cookie
naming it (a keyed hash of the address, never the address) and, for that account, is limited
only per address like everyone else: the right password still gets in there, while guessers,
who never logged in as that account, stay locked out.
"""
import hashlib
import hmac

from flask import current_app, request
from werkzeug.wrappers import Response

from portal.accounts.services import normalise_email

COOKIE = "wspolnie_known"
REMEMBERED_ACCOUNTS = 5  # per browser (several people may share a computer in an office)
LIFETIME_SECONDS = 180 * 24 * 3600


def _mark(email: str) -> str:
    key = ("known-browser:" + current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()[:32]


def _marks() -> list[str]:
    return [mark for mark in request.cookies.get(COOKIE, "").split(".") if mark][:REMEMBERED_ACCOUNTS]


def is_known(email: str) -> bool:
    """True when this browser has logged in as the account before."""
    mark = _mark(email)
    return any(hmac.compare_digest(mark, known) for known in _marks())


def remember(response: Response, email: str) -> Response:
    """After a successful login: this browser is known for the account (most recent first)."""
    mark = _mark(email)
    marks = [mark] + [known for known in _marks() if known != mark]
    response.set_cookie(COOKIE, ".".join(marks[:REMEMBERED_ACCOUNTS]), max_age=LIFETIME_SECONDS,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
                        httponly=True, samesite="Lax")
    return response
