"""The one source of "now", and conversions between UTC and a consultation's zone.

Everything is stored in UTC; decisions and display happen in the local zone
(Europe/Warsaw by default). Tests move time with ``clock.set(...)``.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Warsaw"

_fixed: datetime | None = None


def now_utc() -> datetime:
    """The current moment, timezone-aware in UTC (or the time a test has set)."""
    if _fixed is not None:
        return _fixed
    return datetime.now(timezone.utc)


def set(moment: datetime) -> None:  # noqa: A001 - read as clock.set(...)
    """Freeze "now" at an aware moment (tests and demos)."""
    global _fixed
    if moment.tzinfo is None:
        raise ValueError("clock.set needs an aware datetime")
    _fixed = moment.astimezone(timezone.utc)


def reset() -> None:
    """Let the clock follow real time again."""
    global _fixed
    _fixed = None


def zone(name: str | None = None) -> ZoneInfo:
    return ZoneInfo(name or DEFAULT_ZONE)


def to_local(moment: datetime, tz: str | None = None) -> datetime:
    """An aware UTC moment as wall-clock time in the zone."""
    return moment.astimezone(zone(tz))


def from_local(wall: datetime, tz: str | None = None) -> datetime:
    """Wall-clock time in the zone (naive) as an aware UTC moment.

    In the autumn hour that happens twice the first (summer-time) reading wins.
    """
    if wall.tzinfo is not None:
        raise ValueError("from_local takes naive wall-clock time")
    return wall.replace(tzinfo=zone(tz)).astimezone(timezone.utc)


def start_of_day(day: date, tz: str | None = None) -> datetime:
    """Local midnight at the start of the day, in UTC."""
    return from_local(datetime.combine(day, time()), tz)


def end_of_day(day: date, tz: str | None = None) -> datetime:
    """Exclusive end of a whole local day: the next local midnight, in UTC.

    A window "until 30 September" is open while now < end_of_day(30 Sept).
    """
    return start_of_day(day + timedelta(days=1), tz)


def is_local_midnight(moment: datetime, tz: str | None = None) -> bool:
    return to_local(moment, tz).time() == time()
