"""The password rule: at least 12 characters, no composition rules, not a common password.

The list of common passwords (19,640 entries) is the one Django ships
(django/contrib/auth/common-passwords.txt.gz, BSD licence), itself drawn from Royce Williams'
list of the most common passwords in breaches.
"""
import gzip
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 200
LIST = Path(__file__).with_name("data") / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(LIST, "rt", encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip())


def problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Why a password may not be used (empty list: it may)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(str(_l("Hasło musi mieć co najmniej %(n)s znaków.", n=MIN_LENGTH)))
    if len(password) > MAX_LENGTH:
        found.append(str(_l("Hasło może mieć najwyżej %(n)s znaków.", n=MAX_LENGTH)))
    lowered = password.strip().lower()
    if lowered in common_passwords():
        found.append(str(_l("To hasło jest na liście najczęściej używanych haseł. Wybierz inne.")))
    elif lowered and lowered in {email.strip().lower(), name.strip().lower(), email.split("@")[0].lower()}:
        found.append(str(_l("Hasło nie może być takie jak adres e-mail ani nazwa.")))
    return found


def hash_password(password: str) -> str:
    """The stored form of a password, by the configured method (PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def matches(stored_hash: str, password: str) -> bool:
    return bool(stored_hash) and check_password_hash(stored_hash, password)


def spend_as_much_time_as_a_check(password: str) -> None:
    """Check against a dummy hash: a login for an unknown address costs as much as a wrong password."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


@cache
def _dummy_hash(method: str) -> str:
    # Computed on first use with the configured method (not at import: a test run never pays scrypt).
    return generate_password_hash("no such account — timing equaliser", method=method)
