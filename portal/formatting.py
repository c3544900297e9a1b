"""Dates, times and numbers shown to people: in the consultation's zone, in the UI's language.

Polish dates read "17 września 2020 r."; English ones "17 September 2020".
"""
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask_babel import get_locale, gettext as _

from portal import clock


def _locale():
    return get_locale() or "pl"


def local_date(moment: datetime, tz: str | None = None) -> str:
    day = clock.to_local(moment, tz).date()
    return _("%(date)s r.", date=format_date(day, "d MMMM y", locale=_locale()))


def local_time(moment: datetime, tz: str | None = None) -> str:
    return format_time(clock.to_local(moment, tz).time(), "HH:mm", locale=_locale())


def local_datetime(moment: datetime, tz: str | None = None) -> str:
    return _("%(date)s, godz. %(time)s", date=local_date(moment, tz), time=local_time(moment, tz))


def whole_days(starts_at: datetime, ends_at: datetime, tz: str | None = None) -> bool:
    """True when both ends fall on local midnight: the span is whole days."""
    return clock.is_local_midnight(starts_at, tz) and clock.is_local_midnight(ends_at, tz)


def last_day(ends_at: datetime, tz: str | None = None):
    """The last local day of a whole-day span (its end is the next midnight)."""
    return (clock.to_local(ends_at, tz) - timedelta(days=1)).date()


def end_date(ends_at: datetime, tz: str | None = None) -> str:
    """The day an exclusive end falls on, as people say it: midnight ends the day before."""
    if clock.is_local_midnight(ends_at, tz):
        return _("%(date)s r.", date=format_date(last_day(ends_at, tz), "d MMMM y", locale=_locale()))
    return local_date(ends_at, tz)


def day_span(first: date, last: date) -> str:
    """"17–30 września 2020", "31 sierpnia – 1 września 2020", months written out in full."""
    locale = _locale()
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{format_date(last, 'd MMMM y', locale=locale)}"
    if first.year == last.year:
        return f"{format_date(first, 'd MMMM', locale=locale)} – {format_date(last, 'd MMMM y', locale=locale)}"
    return f"{format_date(first, 'd MMMM y', locale=locale)} – {format_date(last, 'd MMMM y', locale=locale)}"


def phase_when(phase, tz: str | None = None) -> str:
    """A phase's dates in words: a day, a range of days, or a day with hours."""
    start_local = clock.to_local(phase.starts_at, tz)
    if whole_days(phase.starts_at, phase.ends_at, tz):
        first, last = start_local.date(), last_day(phase.ends_at, tz)
        if first == last:
            return local_date(phase.starts_at, tz)
        return _("%(date)s r.", date=day_span(first, last))
    end_local = clock.to_local(phase.ends_at, tz)
    if start_local.date() == end_local.date():
        return _("%(date)s, godz. %(start)s–%(end)s", date=local_date(phase.starts_at, tz),
                 start=local_time(phase.starts_at, tz), end=local_time(phase.ends_at, tz))
    return _("od %(start)s do %(end)s", start=local_datetime(phase.starts_at, tz),
             end=local_datetime(phase.ends_at, tz))


def relative(moment: datetime) -> str:
    """"3 godziny temu" / "3 hours ago", against the one clock."""
    from babel.dates import format_timedelta

    return format_timedelta(moment - clock.now_utc(), add_direction=True, locale=_locale())


def iso(moment: datetime, tz: str | None = None) -> str:
    """Machine-readable time for <time datetime="...">, with the zone's offset."""
    return clock.to_local(moment, tz).isoformat(timespec="minutes")


def number(value: int) -> str:
    return format_decimal(value, locale=_locale())
