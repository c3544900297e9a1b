"""Online meetings and working groups' meetings as iCalendar events (icalendar), in the
consultation's time zone. The join link is never in the file: it is private, and the file public."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event

from portal import clock

DEFAULT_LENGTH = timedelta(hours=2)


def event_ics(tz: str, uid: str, summary: str, starts_at: datetime, ends_at: datetime | None,
              description: str, page_url: str) -> bytes:
    """One event as a calendar file; without an end it lasts DEFAULT_LENGTH."""
    calendar = Calendar()
    calendar.add("prodid", "-//Wspólnie//konsultacje//PL")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", clock.to_local(starts_at, tz))
    event.add("dtend", clock.to_local(ends_at or starts_at + DEFAULT_LENGTH, tz))
    event.add("dtstamp", clock.now_utc())
    event.add("description", f"{description}\n\n{page_url}".strip())
    event.add("url", page_url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def meeting_ics(consultation, meeting, page_url: str) -> bytes:
    return event_ics(consultation.timezone, f"meeting-{meeting.id}@wspolnie", meeting.title, meeting.starts_at,
                     meeting.ends_at, meeting.topic, page_url)


def group_meeting_ics(consultation, group, page_url: str) -> bytes:
    """The working group's meeting (the group must have `meeting_starts_at`)."""
    return event_ics(consultation.timezone, f"group-{group.id}@wspolnie",
                     _("Spotkanie grupy roboczej „%(name)s”", name=group.name), group.meeting_starts_at,
                     group.meeting_ends_at, group.description, page_url)
