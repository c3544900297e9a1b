"""The working groups meet online like the online meetings do: an admin sets a group's join link
and the end of its meeting, the link is e-mailed to each confirmed member once, a day before,
and anyone can add the group's meeting to a calendar (.ics, Warsaw time) without ever seeing the
link. An admin also chooses which applicant fields each online meeting's form requires.

The demo consultation (Toruń 2021, original 2020 dates); its groups meet on 31 August 2020, 16:30.
"""
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal import mail
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import links, services
from portal.registrations.models import REQUIRABLE_FIELDS, GroupRegistration, Meeting, WorkingGroup
from tests.conftest import form_token, visible_text

SLUG = "program-wspolpracy-2021"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
MEETINGS = f"/zespol/konsultacje/{SLUG}/spotkania"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
LINK = "https://spotkania.example.org/grupa-wolontariat"


@pytest.fixture(autouse=True)
def groups_without_links(torun):
    """The demo's groups as staff first added them: no join link, no end time."""
    for group in db.session.scalars(select(WorkingGroup)):
        group.join_url, group.meeting_ends_at = "", None
    db.session.commit()


@pytest.fixture
def as_admin(torun, admin_client, frozen_clock):
    frozen_clock.set_local("2020-08-24 12:00:00")  # the group sign-up
    return admin_client


def post(client, url, data, page=None):
    return client.post(url, data={"csrf_token": form_token(client, page or url), **data})


def first_group() -> WorkingGroup:
    db.session.expire_all()
    return db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))


def group_form(group, **changes) -> dict:
    data = {"name": group.name, "description": group.description, "capacity": str(group.capacity),
            "meeting_day": "2020-08-31", "meeting_time": "16:30", "meeting_end_time": "18:00",
            "moderator_office": group.moderator_office, "moderator_ngo": group.moderator_ngo, "join_url": LINK}
    return {**data, **changes}


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.DOTALL)
    assert match, f"no error next to #{field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Błąd:", "").strip()


def member(group, n, confirmed=True) -> GroupRegistration:
    consultation = db.session.get(Consultation, group.consultation_id)
    registration = services.take_seat(consultation, group, services.Applicant(
        full_name=f"Osoba {n}", email=f"osoba{n}@ngo.example", organisation_name=f"Stowarzyszenie {n}",
        recording_consent=True))
    if confirmed:
        services.confirm(registration)
    db.session.commit()
    return registration


def link_mails(sink, address):
    return [m for m in sink.to(address) if m["Subject"].startswith("Link do spotkania grupy roboczej")]


# --- staff set the link and the end time ------------------------------------------------------

def test_an_admin_sets_the_groups_link_and_end_time_shown_again_when_editing(as_admin):
    group = first_group()
    response = post(as_admin, f"{GROUPS}/{group.id}", group_form(group))
    assert response.status_code == 303
    group = first_group()
    assert group.join_url == LINK
    assert group.meeting_ends_at - group.meeting_starts_at == timedelta(minutes=90)
    html = as_admin.get(f"{GROUPS}/{group.id}").get_data(as_text=True)
    assert f'value="{LINK}"' in html and 'value="18:00"' in html
    listed = visible_text(as_admin.get(GROUPS).get_data(as_text=True))
    assert "31 sierpnia 2020 r., godz. 16:30 – 18:00" in listed
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "group_changed"))
    assert entry.before_data["join_url"] == "" and entry.after_data["join_url"] == LINK


@pytest.mark.parametrize("changes, field, message", [
    ({"join_url": "http://spotkania.example.org/x"}, "join_url", "zaczynający się od https://"),
    ({"join_url": "javascript:alert(1)"}, "join_url", "zaczynający się od https://"),
    ({"meeting_end_time": "16:00"}, "meeting_end_time", "musi się skończyć po rozpoczęciu"),
    ({"meeting_time": "", "meeting_end_time": "18:00"}, "meeting_time", "Podaj też godzinę"),
])
def test_a_wrong_link_or_end_is_refused_next_to_its_field_and_the_typing_stays(as_admin, changes, field, message):
    group = first_group()
    response = post(as_admin, f"{GROUPS}/{group.id}", group_form(group, description="Nowy opis", **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_error(html, field)
    assert "Nowy opis" in html
    for value in changes.values():
        if value:
            assert f'value="{value}"' in html
    assert first_group().join_url == ""


def test_changing_a_link_already_sent_warns_the_admin(as_admin, frozen_clock, smtp_sink):
    group = first_group()
    group.join_url = "https://spotkania.example.org/stary"
    db.session.commit()
    member(group, 1)
    frozen_clock.set_local("2020-08-30 17:00:00")
    assert links.send_group_meeting_links() == 1
    db.session.commit()
    post(as_admin, f"{GROUPS}/{group.id}", group_form(first_group()))
    assert "1 osoba dostała już poprzedni link" in visible_text(as_admin.get(GROUPS).get_data(as_text=True))


# --- the link e-mail --------------------------------------------------------------------------

def test_the_link_goes_once_to_confirmed_members_only_from_a_day_before(app, torun, frozen_clock, smtp_sink):
    frozen_clock.set_local("2020-08-24 12:00:00")
    group = first_group()
    group.join_url = LINK
    db.session.commit()
    member(group, 1)
    member(group, 2)
    member(group, 3, confirmed=False)  # holds a seat, never confirmed the address
    withdrawn = member(group, 4)
    services.withdraw(withdrawn)
    other_group = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()[1]
    member(other_group, 5)  # a group without a link
    db.session.commit()

    frozen_clock.set_local("2020-08-30 16:29:59")  # 24 hours and a second before
    assert links.send_group_meeting_links() == 0
    frozen_clock.set_local("2020-08-30 16:30:00")
    assert links.send_group_meeting_links() == 2
    db.session.commit()
    mail.deliver()
    assert links.send_group_meeting_links() == 0  # once
    db.session.commit()
    mail.deliver()

    for n, expected in ((1, 1), (2, 1), (3, 0), (4, 0), (5, 0)):
        assert len(link_mails(smtp_sink, f"osoba{n}@ngo.example")) == expected, n
    [message] = link_mails(smtp_sink, "osoba1@ngo.example")
    body = message.get_content()
    assert LINK in body
    assert "31 sierpnia 2020 r., godz. 16:30" in body
    assert f"http://localhost/konsultacje/{SLUG}/grupy-robocze/{group.id}.ics" in body
    assert "http://localhost/zgloszenie?t=" in body
    db.session.expire_all()
    sent = db.session.scalars(select(GroupRegistration.link_sent_at).where(GroupRegistration.group_id == group.id)
                              .order_by(GroupRegistration.id)).all()
    assert [at is not None for at in sent] == [True, True, False, False]


def test_the_lead_time_is_configurable_and_nothing_goes_after_the_meeting(app, torun, frozen_clock, smtp_sink):
    app.config["GROUP_LINK_SENT_HOURS_BEFORE"] = 2
    frozen_clock.set_local("2020-08-24 12:00:00")
    group = first_group()
    group.join_url = LINK
    db.session.commit()
    member(group, 1)
    late_group = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()[1]
    late_group.join_url = LINK + "-2"
    db.session.commit()
    member(late_group, 2)

    frozen_clock.set_local("2020-08-31 14:29:00")
    assert links.send_group_meeting_links() == 0
    # After the second group's meeting (no end given: it counts as two hours long) nothing is sent.
    late_group = db.session.get(WorkingGroup, late_group.id)
    late_group.meeting_starts_at -= timedelta(hours=4)
    db.session.commit()
    frozen_clock.set_local("2020-08-31 14:30:00")
    assert links.send_group_meeting_links() == 1
    db.session.commit()
    mail.deliver()
    assert len(link_mails(smtp_sink, "osoba1@ngo.example")) == 1
    assert link_mails(smtp_sink, "osoba2@ngo.example") == []


# --- the calendar file ------------------------------------------------------------------------

def test_the_group_calendar_file_is_in_warsaw_time_and_never_holds_the_link(client, torun):
    group = first_group()
    group.join_url = LINK
    group.meeting_ends_at = group.meeting_starts_at + timedelta(hours=2)
    db.session.commit()
    response = client.get(f"/konsultacje/{SLUG}/grupy-robocze/{group.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert f'filename="grupa-{group.id}.ics"' in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert str(start.tzinfo) == "Europe/Warsaw" and start.strftime("%Y-%m-%d %H:%M") == "2020-08-31 16:30"
    assert end.strftime("%Y-%m-%d %H:%M") == "2020-08-31 18:30"
    assert calendar.walk("VTIMEZONE")
    assert group.name in str(event["summary"])
    assert LINK not in response.get_data(as_text=True)


def test_the_announcement_links_each_dated_group_calendar_but_never_the_join_link(client, torun):
    group = first_group()
    group.join_url = LINK
    db.session.commit()
    html = client.get(ANNOUNCEMENT).get_data(as_text=True)
    assert f"/konsultacje/{SLUG}/grupy-robocze/{group.id}.ics" in html
    assert LINK not in html


def test_a_group_without_a_date_or_of_another_consultation_has_no_calendar_file(client, torun):
    group = first_group()
    group.meeting_starts_at = None
    db.session.commit()
    assert client.get(f"/konsultacje/{SLUG}/grupy-robocze/{group.id}.ics").status_code == 404
    assert client.get(f"/konsultacje/{SLUG}/grupy-robocze/999999.ics").status_code == 404
    assert client.get(f"/konsultacje/inne/grupy-robocze/{group.id}.ics").status_code == 404


# --- required fields of a meeting's form ------------------------------------------------------

MEETING = {"title": "Spotkanie o finansowaniu", "topic": "Konkursy ofert na 2021 r.", "moderators": "Rada Pożytku",
           "start_day": "2020-09-10", "start_time": "17:00", "end_time": "19:00",
           "deadline_day": "2020-09-09", "deadline_time": "12:00"}


def ticked(html: str) -> set[str]:
    return set(re.findall(r'<input checked id="[^"]+" name="required_fields" type="checkbox" value="([^"]+)"', html)) | \
        set(re.findall(r'<input[^>]*name="required_fields"[^>]*value="([^"]+)"[^>]*checked', html))


def test_a_new_meeting_form_ticks_the_default_required_fields(as_admin):
    html = as_admin.get(MEETINGS).get_data(as_text=True)
    assert "Wymagane pola formularza" in html
    assert ticked(html) == set(Meeting.__table__.c.required_fields.default.arg.split(","))


def test_the_required_fields_are_saved_logged_and_shown_when_editing(as_admin):
    response = post(as_admin, MEETINGS, {**MEETING, "required_fields": ["phone", "prior_activity"]})
    assert response.status_code == 303
    meeting = db.session.scalar(select(Meeting).where(Meeting.title == MEETING["title"]))
    assert meeting.required_fields == "phone,prior_activity"
    assert meeting.requires("phone") and not meeting.requires("organisation_address")
    edit = f"{MEETINGS}/{meeting.id}"
    assert ticked(as_admin.get(edit).get_data(as_text=True)) == {"phone", "prior_activity"}

    post(as_admin, edit, {**MEETING, "required_fields": ["organisation_contact"]})
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).required_fields == "organisation_contact"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "meeting_changed"))
    assert entry.before_data["required_fields"] == "phone,prior_activity"
    assert entry.after_data["required_fields"] == "organisation_contact"
    listed = visible_text(as_admin.get(MEETINGS).get_data(as_text=True))
    assert "Wymagane pola formularza Dane kontaktowe organizacji" in listed

    post(as_admin, edit, MEETING)  # nothing ticked: only the fields every form requires
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).required_fields == ""


def test_a_field_name_outside_the_list_is_refused_and_the_ticks_stay(as_admin):
    response = post(as_admin, MEETINGS, {**MEETING, "title": "", "required_fields": ["phone", "password"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert db.session.scalar(select(Meeting).where(Meeting.title == "")) is None
    assert "phone" in ticked(html)
    assert set(REQUIRABLE_FIELDS) >= ticked(html)
