"""Input no page can use is refused with a 4xx and a message, before it reaches the database.

- Ids in paths: the `int` URL converter of the app refuses numbers the database's INTEGER
  columns cannot hold (PostgreSQL raises on them): a 404, like any id that names nothing.
- A NUL byte in the path or the query string: 400 (PostgreSQL refuses to store or compare text
  with one). In forms `portal.forms.Form` drops it, so what was typed is kept.
- Page numbers (`?strona=`): a number beyond `MAX_PAGE` (or below 0) names no page: 404.
- Dates in back-office forms and filters: `check_day` keeps them to years a time zone
  conversion can handle (`FIRST_DAY`..`LAST_DAY`).
"""
from __future__ import annotations

import re
from datetime import date

from flask import Flask, abort, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms.validators import StopValidation

DB_INT_MAX = 2**31 - 1  # INTEGER columns (ids, versions) on PostgreSQL and SQLite alike
MAX_PAGE = 100_000
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
PAGE_ARGUMENT = "strona"
_NUMBER = re.compile(r"-?[0-9]+")

NUL_MESSAGE = _l("Przesłane dane zawierają niedozwolony znak (NUL). Usuń go i spróbuj ponownie.")
DAY_OUT_OF_RANGE = _l("Podaj datę z lat 2000–2099.")


class DatabaseIdConverter(IntegerConverter):
    """`<int:…>` for ids: 0..2³¹−1; a larger number matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        max = DB_INT_MAX if max is None or max > DB_INT_MAX else max  # noqa: A001
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(text: str | None, low: int = 0, high: int = DB_INT_MAX) -> int | None:
    """The ASCII decimal number in `text` if it lies within low..high, else None."""
    if text is None or not _NUMBER.fullmatch(text.strip()) or len(text.strip()) > 12:
        return None
    number = int(text.strip())
    return number if low <= number <= high else None


def day_in_range(day: date | None) -> bool:
    return day is None or FIRST_DAY <= day <= LAST_DAY


def check_day(form, field):
    """WTForms validator for a DateField: a day within FIRST_DAY..LAST_DAY."""
    if not day_in_range(field.data):
        raise StopValidation(str(DAY_OUT_OF_RANGE))


def refuse(status: int, message: str):
    """Abort with the status; the error page shows the message (`g.refusal`)."""
    g.refusal = str(message)
    abort(status, description=str(message))


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values.getlist(key)) for key in values)


def refuse_unusable_input():
    """before_request: a NUL byte in the path or query, or a page number that names no page."""
    if "\x00" in request.path or b"%00" in request.query_string or _has_nul(request.args):
        refuse(400, NUL_MESSAGE)
    # Forms: every `portal.forms.Form` drops NUL bytes from what was typed (the person keeps
    # the rest of the text); fields read without a form go through `bounded_int` or the like.
    page = request.args.get(PAGE_ARGUMENT)
    if page is not None and _NUMBER.fullmatch(page.strip()):
        if len(page.strip()) > 7 or not 0 <= int(page) <= MAX_PAGE:
            abort(404)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unusable_input)
