"""Dates as people read them, in the consultation's zone and the page's language."""
from datetime import date, datetime, timezone

import pytest
from flask import session
from flask_babel import refresh

from portal import formatting


@pytest.fixture
def in_language(app):
    """Switch the language the way a request would see it (session), inside a request context."""
    context = app.test_request_context("/")
    context.push()

    def use(language):
        session["lang"] = language
        refresh()  # Flask-Babel caches the locale per context

    yield use
    context.pop()


@pytest.mark.parametrize("first, last, polish, english", [
    (date(2020, 9, 17), date(2020, 9, 30), "17–30 września 2020", "17–30 September 2020"),
    (date(2020, 8, 31), date(2020, 9, 1), "31 sierpnia – 1 września 2020", "31 August – 1 September 2020"),
    (date(2020, 12, 31), date(2021, 1, 1), "31 grudnia 2020 – 1 stycznia 2021", "31 December 2020 – 1 January 2021"),
])
def test_day_spans_write_months_out_in_full(in_language, first, last, polish, english):
    in_language("pl")
    assert formatting.day_span(first, last) == polish
    in_language("en")
    assert formatting.day_span(first, last) == english


def test_a_moment_is_shown_in_the_consultations_zone(in_language):
    moment = datetime(2020, 9, 3, 8, 0, tzinfo=timezone.utc)
    in_language("pl")
    assert formatting.local_datetime(moment) == "3 września 2020 r., godz. 10:00"
    assert formatting.local_datetime(moment, "Europe/London") == "3 września 2020 r., godz. 09:00"
    in_language("en")
    assert formatting.local_datetime(moment) == "3 September 2020, 10:00"


def test_an_exclusive_midnight_end_reads_as_the_day_before(in_language):
    in_language("pl")
    assert formatting.end_date(datetime(2020, 9, 30, 22, 0, tzinfo=timezone.utc)) == "30 września 2020 r."
