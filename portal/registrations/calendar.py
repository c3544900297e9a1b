"""An online meeting as an iCalendar event (icalendar), in the consultation's time zone."""
from datetime import timedelta

from icalendar import Calendar, Event

from portal import clock

DEFAULT_LENGTH = timedelta(hours=2)


def meeting_ics(consultation, meeting, page_url: str) -> bytes:
    tz = consultation.timezone
    calendar = Calendar()
    calendar.add("prodid", "-//Wspólnie//konsultacje//PL")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@wspolnie")
    event.add("summary", meeting.title)
    event.add("dtstart", clock.to_local(meeting.starts_at, tz))
    event.add("dtend", clock.to_local(meeting.ends_at or meeting.starts_at + DEFAULT_LENGTH, tz))
    event.add("dtstamp", clock.now_utc())
    event.add("description", f"{meeting.topic}\n\n{page_url}".strip())
    event.add("url", page_url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
