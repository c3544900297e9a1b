"""Signed, time-limited links for e-mail verification, e-mail change and password reset.

Single use: a verification link carries the address it verifies (once verified, it says so);
a reset link carries a fingerprint of the current password hash, so it dies when the password
changes — including by its own use.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from portal import clock

VERIFY_EMAIL_MAX_AGE = timedelta(hours=48)
RESET_PASSWORD_MAX_AGE = timedelta(hours=1)


class ClockSigner(TimestampSigner):
    """Signs with the portal's clock, so tests can move time past an expiry."""

    def get_timestamp(self) -> int:
        return int(clock.now_utc().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"wspolnie-{purpose}",
                                  signer=ClockSigner)


class InvalidToken(Exception):
    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _load(purpose: str, token: str, max_age: timedelta) -> dict:
    serializer = _serializer(purpose)
    try:
        data, signed_at = serializer.loads(token, max_age=None, return_timestamp=True)
    except BadSignature:
        raise InvalidToken(expired=False) from None
    if clock.now_utc() - signed_at > max_age:
        raise InvalidToken(expired=True)
    return data


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def make_email_token(user_id: int, email: str) -> str:
    return _serializer("email").dumps({"u": user_id, "e": email})


def read_email_token(token: str) -> tuple[int, str]:
    data = _load("email", token, VERIFY_EMAIL_MAX_AGE)
    return data["u"], data["e"]


def make_reset_token(user_id: int, password_hash: str) -> str:
    return _serializer("reset").dumps({"u": user_id, "p": password_fingerprint(password_hash)})


def read_reset_token(token: str) -> tuple[int, str]:
    data = _load("reset", token, RESET_PASSWORD_MAX_AGE)
    return data["u"], data["p"]


REGISTRATION_DATA_MAX_AGE = timedelta(hours=24)


def make_registration_data_token(email: str) -> str:
    """A link that shows an applicant without an account the registrations made with `email`."""
    return _serializer("registration-data").dumps({"e": email})


def read_registration_data_token(token: str) -> str:
    return _load("registration-data", token, REGISTRATION_DATA_MAX_AGE)["e"]
