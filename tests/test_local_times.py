"""Every back-office form that takes a local date and time reads it the same way (one function).

On 28 March 2027 Warsaw's clocks jump from 02:00 to 03:00: 02:30 does not exist that day and is
refused next to the field, with everything typed given back. On 31 October 2027 02:30 happens
twice: the first (summer-time, UTC+2) reading is taken, as clock.from_local documents.
"""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.consultations.models import Phase
from portal.extensions import db
from portal.registrations.models import Meeting, WorkingGroup
from tests.conftest import form_token

SLUG = "program-wspolpracy-2021"
PHASES = f"/zespol/konsultacje/{SLUG}/etapy"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
MEETINGS = f"/zespol/konsultacje/{SLUG}/spotkania"
SKIPPED_DAY, AMBIGUOUS_DAY = "2027-03-28", "2027-10-31"
FIRST_READING = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 summer time

PHASE = {"kind": "other", "title": "Spotkanie nocne", "description": "", "start_day": "2027-03-27",
         "start_time": "10:00", "end_day": "2027-03-29", "end_time": "10:00"}
GROUP = {"name": "Kultura nocą", "description": "", "capacity": "15", "meeting_day": "2027-03-27",
         "meeting_time": "10:00", "moderator_office": "", "moderator_ngo": ""}
MEETING = {"title": "Spotkanie o północy", "topic": "", "moderators": "", "start_day": "2027-03-29",
           "start_time": "10:00", "end_time": "12:00", "deadline_day": "2027-03-27", "deadline_time": "10:00"}

# (form, its address, what else is typed, the day field and the time field that gets 02:30)
TIMES = [
    ("phase start", PHASES, PHASE, "start_day", "start_time"),
    ("phase end", PHASES, PHASE, "end_day", "end_time"),
    ("group meeting", GROUPS, GROUP, "meeting_day", "meeting_time"),
    ("meeting start", MEETINGS, {**MEETING, "end_time": "04:00", "deadline_day": "2027-03-26"},
     "start_day", "start_time"),
    ("meeting end", MEETINGS, {**MEETING, "start_time": "01:00", "deadline_day": "2027-03-26"},
     "start_day", "end_time"),
    ("registration deadline", MEETINGS, MEETING, "deadline_day", "deadline_time"),
]


@pytest.fixture
def as_admin(torun, admin_client, frozen_clock):
    frozen_clock.set_local("2027-01-11 12:00:00")
    return admin_client


def send(client, url, data):
    return client.post(url, data={**data, "csrf_token": form_token(client, url)})


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.DOTALL)
    assert match, f"no error next to #{field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Błąd:", "").strip()


def saved_rows(url) -> list:
    db.session.expire_all()
    model = {PHASES: Phase, GROUPS: WorkingGroup, MEETINGS: Meeting}[url]
    name = {PHASES: Phase.title, GROUPS: WorkingGroup.name, MEETINGS: Meeting.title}[url]
    return db.session.scalars(select(model).where(name.in_(
        [PHASE["title"], GROUP["name"], MEETING["title"]]))).all()


def with_day(data: dict, day_field: str, time_field: str, day: str) -> dict:
    typed = {**data, day_field: day, time_field: "02:30"}
    if day_field == "start_day" and "end_day" in data:  # a phase ends after it starts
        typed["end_day"] = "2027-03-29" if day == SKIPPED_DAY else "2027-11-01"
    if day_field == "end_day":
        typed["start_day"] = "2027-03-27" if day == SKIPPED_DAY else "2027-10-30"
    if time_field == "deadline_time":  # the meeting is the day after the deadline
        typed["start_day"] = "2027-03-29" if day == SKIPPED_DAY else "2027-11-01"
    if day_field == "start_day" and "deadline_day" in data:
        typed["deadline_day"] = "2027-03-26" if day == SKIPPED_DAY else "2027-10-29"
    return typed


@pytest.mark.parametrize("what, url, data, day_field, time_field", TIMES, ids=[t[0] for t in TIMES])
def test_a_time_the_clocks_skip_is_refused_next_to_its_field_with_everything_typed_given_back(
        as_admin, what, url, data, day_field, time_field):
    typed = with_day(data, day_field, time_field, SKIPPED_DAY)
    response = send(as_admin, url, typed)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(html, time_field).startswith("Tej godziny nie ma w tym dniu")
    for name in (day_field, time_field):
        assert re.search(rf'id="{name}"[^>]*value="{typed[name]}"', html), name
    title = next(value for key, value in typed.items() if key in ("title", "name"))
    assert f'value="{title}"' in html
    assert saved_rows(url) == []


@pytest.mark.parametrize("what, url, data, day_field, time_field", TIMES, ids=[t[0] for t in TIMES])
def test_a_time_that_happens_twice_is_taken_in_summer_time(as_admin, what, url, data, day_field, time_field):
    response = send(as_admin, url, with_day(data, day_field, time_field, AMBIGUOUS_DAY))

    assert response.status_code in (302, 303)
    [row] = saved_rows(url)
    column = {"start_time": "starts_at", "end_time": "ends_at", "meeting_time": "meeting_starts_at",
              "deadline_time": "registration_deadline"}[time_field]
    assert getattr(row, column) == FIRST_READING


def test_editing_a_group_refuses_a_skipped_time_too(as_admin):
    assert send(as_admin, GROUPS, GROUP).status_code == 303
    [group] = saved_rows(GROUPS)
    response = send(as_admin, f"{GROUPS}/{group.id}", {**GROUP, "meeting_day": SKIPPED_DAY, "meeting_time": "02:30"})
    assert field_error(response.get_data(as_text=True), "meeting_time").startswith("Tej godziny nie ma w tym dniu")
    db.session.expire_all()
    assert db.session.get(WorkingGroup, group.id).meeting_starts_at == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
