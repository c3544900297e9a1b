"""An admin runs the working groups and online meetings of a consultation: adds them, changes
them, deletes them. Times are typed in Warsaw time; seats people already hold are never taken
away by a smaller capacity; nothing anyone registered for is deleted under them.

The clock stands in the demo consultation's group sign-up (24 August 2020, 12:00 Warsaw).
"""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import services
from portal.registrations.models import GroupRegistration, Meeting, Status, WorkingGroup
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
MEETINGS = f"/zespol/konsultacje/{SLUG}/spotkania"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"


@pytest.fixture
def as_admin(torun, admin_client, frozen_clock):
    """`admin_client` in the demo consultation's group sign-up, when this module's tests happen."""
    frozen_clock.set_local("2020-08-24 12:00:00")
    return admin_client


def post(client, url, data, page=None):
    return client.post(url, data={"csrf_token": form_token(client, page or url), **data})


GROUP = {"name": "Kultura i sztuka", "description": "Wydarzenia kulturalne organizacji.", "capacity": "15",
         "meeting_day": "2020-09-02", "meeting_time": "16:30", "moderator_office": "Wydział Kultury",
         "moderator_ngo": "Fundacja Sztuki"}
MEETING = {"title": "Spotkanie o finansowaniu", "topic": "Konkursy ofert na 2021 r.", "moderators": "Rada Pożytku",
           "start_day": "2020-09-10", "start_time": "17:00", "end_time": "19:00",
           "deadline_day": "2020-09-09", "deadline_time": "12:00"}


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field__error" id="{field_id}-error">(.*?)</p>', html, re.DOTALL)
    assert match, f"no error next to #{field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Błąd:", "").strip()


def group_named(name) -> WorkingGroup:
    db.session.expire_all()
    return db.session.scalar(select(WorkingGroup).where(WorkingGroup.name == name))


def first_group() -> WorkingGroup:
    db.session.expire_all()
    return db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))


def register(group, n, now=None) -> GroupRegistration:
    consultation = db.session.get(Consultation, group.consultation_id)
    registration = services.take_seat(consultation, group, services.Applicant(
        full_name=f"Osoba {n}", email=f"osoba{n}@ngo.example", organisation_name=f"Stowarzyszenie {n}",
        recording_consent=True))
    db.session.commit()
    return registration


def audit_actions(target_type) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == target_type)
                                   .order_by(AuditLog.id)))


def edit_url(group) -> str:
    return f"{GROUPS}/{group.id}"


# --- working groups ---------------------------------------------------------------------------

def test_an_admin_adds_a_group_whose_meeting_time_is_warsaw_time_on_the_public_page(app, as_admin):
    response = post(as_admin, GROUPS, GROUP)
    assert response.status_code == 303
    assert "Dodano grupę „Kultura i sztuka”." in as_admin.get(response.headers["Location"]).get_data(as_text=True)

    group = group_named("Kultura i sztuka")
    assert group.capacity == 15 and group.moderator_ngo == "Fundacja Sztuki"
    assert group.meeting_starts_at == datetime(2020, 9, 2, 14, 30, tzinfo=UTC)  # 16:30 CEST
    assert group.position == 5  # after the demo's five groups
    public = as_admin.get(ANNOUNCEMENT).get_data(as_text=True)
    assert "Kultura i sztuka" in public and "2 września 2020 r., godz. 16:30" in public
    assert audit_actions("workinggroup") == ["group_added"]


@pytest.mark.parametrize("capacity", ["0", "201", "dużo", ""])
def test_a_capacity_outside_1_to_200_is_refused_next_to_the_field_keeping_what_was_typed(as_admin, capacity):
    response = post(as_admin, GROUPS, {**GROUP, "capacity": capacity})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_error(html, "capacity") == "Podaj liczbę miejsc od 1 do 200."
    assert 'value="Kultura i sztuka"' in html and "Wydarzenia kulturalne organizacji." in html
    assert group_named("Kultura i sztuka") is None


def test_a_meeting_day_needs_a_time_and_a_readable_date(as_admin):
    html = post(as_admin, GROUPS, {**GROUP, "meeting_time": ""}).get_data(as_text=True)
    assert field_error(html, "meeting_time") == "Podaj też godzinę spotkania."
    html = post(as_admin, GROUPS, {**GROUP, "meeting_day": "2 września"}).get_data(as_text=True)
    assert field_error(html, "meeting_day") == "Podaj dzień w postaci RRRR-MM-DD, np. 2020-09-03."
    assert post(as_admin, GROUPS, {**GROUP, "meeting_day": "", "meeting_time": ""}).status_code == 303
    assert group_named("Kultura i sztuka").meeting_starts_at is None


def test_the_edit_form_shows_the_group_in_warsaw_time_and_saves_changes(as_admin):
    group = first_group()
    html = as_admin.get(edit_url(group)).get_data(as_text=True)
    assert 'value="2020-08-31"' in html and 'value="16:30"' in html  # stored 14:30 UTC

    response = post(as_admin, edit_url(group), {**GROUP, "capacity": "12", "meeting_time": "17:00"})
    assert response.status_code == 303
    group = group_named("Kultura i sztuka")
    assert group.meeting_starts_at == datetime(2020, 9, 2, 15, 0, tzinfo=UTC)
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "group_changed"))
    assert row.before_data["name"].startswith("Wspieranie i promocja działalności")
    assert row.after_data["name"] == "Kultura i sztuka"


def test_the_capacity_cannot_go_below_the_seats_people_hold(as_admin):
    group = first_group()
    for n in range(5):
        register(group, n)
    services.withdraw(db.session.get(GroupRegistration, register(group, 5).id))  # a withdrawn one holds nothing
    db.session.commit()

    response = post(as_admin, edit_url(group), {**GROUP, "name": group.name, "capacity": "4"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_error(html, "capacity") == ("Miejsca w grupie zajmuje już 5 osób, więc grupa musi mieć "
                                             "co najmniej 5 miejsc.")
    assert 'value="4"' in html
    assert first_group().capacity == 12

    assert post(as_admin, edit_url(group), {**GROUP, "name": group.name, "capacity": "5"}).status_code == 303
    assert first_group().capacity == 5


def test_more_seats_go_at_once_to_the_people_waiting(as_admin, smtp_sink):
    group = first_group()
    group.capacity = 2
    db.session.commit()
    holders = [register(group, n) for n in range(2)]
    waiting = [register(group, n) for n in (2, 3, 4)]
    assert {r.status for r in holders} == {Status.PENDING} and {r.status for r in waiting} == {Status.WAITING}

    assert post(as_admin, edit_url(group), {**GROUP, "name": group.name, "capacity": "4"}).status_code == 303
    db.session.expire_all()
    assert [db.session.get(GroupRegistration, r.id).status for r in waiting] == [
        Status.PENDING, Status.PENDING, Status.WAITING]
    promoted = "Zwolniło się miejsce w grupie roboczej"
    assert [m["Subject"] for m in smtp_sink.to("osoba2@ngo.example")][-1] == promoted
    assert [m["Subject"] for m in smtp_sink.to("osoba3@ngo.example")][-1] == promoted
    assert promoted not in [m["Subject"] for m in smtp_sink.to("osoba4@ngo.example")]


def test_a_group_with_registrations_is_not_deleted_and_the_page_says_how_many(as_admin):
    group = first_group()
    for n in range(5):
        register(group, n)

    html = as_admin.get(GROUPS).get_data(as_text=True)
    assert "Grupy nie można usunąć: ma 5 zgłoszeń." in html
    response = post(as_admin, f"{GROUPS}/{group.id}/usun", {}, page=GROUPS)
    assert response.status_code == 303
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Do grupy „{group.name}” jest 5 zgłoszeń, więc nie można jej usunąć." in page
    assert group_named(group.name) is not None


def test_an_empty_group_is_deleted_and_the_deletion_recorded(as_admin):
    post(as_admin, GROUPS, GROUP)
    group = group_named("Kultura i sztuka")
    response = post(as_admin, f"{GROUPS}/{group.id}/usun", {}, page=GROUPS)
    assert "Usunięto grupę „Kultura i sztuka”." in as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert group_named("Kultura i sztuka") is None
    assert audit_actions("workinggroup") == ["group_added", "group_deleted"]
    assert "Kultura i sztuka" not in as_admin.get(ANNOUNCEMENT).get_data(as_text=True)


def test_a_group_of_another_consultation_is_not_found_here(as_admin):
    other = Consultation(slug="budzet-2021", title="Budżet obywatelski")
    db.session.add(other)
    db.session.flush()
    group = WorkingGroup(consultation_id=other.id, name="Obca grupa", capacity=5)
    db.session.add(group)
    db.session.commit()
    assert as_admin.get(edit_url(group)).status_code == 404
    assert post(as_admin, f"{GROUPS}/{group.id}/usun", {}, page=GROUPS).status_code == 404


# --- meetings ---------------------------------------------------------------------------------

def test_an_admin_adds_an_online_meeting_in_warsaw_time(as_admin):
    response = post(as_admin, MEETINGS, MEETING)
    assert response.status_code == 303
    meeting = db.session.scalar(select(Meeting).where(Meeting.title == "Spotkanie o finansowaniu"))
    assert meeting.starts_at == datetime(2020, 9, 10, 15, 0, tzinfo=UTC)
    assert meeting.ends_at == datetime(2020, 9, 10, 17, 0, tzinfo=UTC)
    assert meeting.registration_deadline == datetime(2020, 9, 9, 10, 0, tzinfo=UTC)
    public = as_admin.get(ANNOUNCEMENT).get_data(as_text=True)
    assert "Spotkanie o finansowaniu" in public and "10 września 2020 r., godz. 17:00" in public
    assert audit_actions("meeting") == ["meeting_added"]


def test_the_deadline_is_before_the_start_and_the_end_after_it(as_admin):
    html = post(as_admin, MEETINGS, {**MEETING, "deadline_day": "2020-09-10", "deadline_time": "17:00",
                                     "end_time": "16:00"}).get_data(as_text=True)
    assert field_error(html, "deadline_time") == "Zgłoszenia muszą się kończyć przed rozpoczęciem spotkania."
    assert field_error(html, "end_time") == "Spotkanie musi się skończyć po rozpoczęciu (tego samego dnia)."
    assert 'value="Spotkanie o finansowaniu"' in html
    html = post(as_admin, MEETINGS, {**MEETING, "start_time": ""}).get_data(as_text=True)
    assert field_error(html, "start_time") == "Podaj godzinę w postaci GG:MM, np. 16:30."
    assert db.session.scalar(select(Meeting).where(Meeting.title == "Spotkanie o finansowaniu")) is None


def test_a_meeting_is_edited_from_a_form_showing_warsaw_time(as_admin):
    meeting = db.session.scalar(select(Meeting))
    url = f"{MEETINGS}/{meeting.id}"
    html = as_admin.get(url).get_data(as_text=True)
    assert 'value="2020-09-03"' in html and 'value="16:30"' in html and 'value="18:30"' in html
    assert 'value="10:00"' in html

    assert post(as_admin, url, {**MEETING, "title": meeting.title, "start_time": "16:00"}).status_code == 303
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert meeting.starts_at == datetime(2020, 9, 10, 14, 0, tzinfo=UTC)
    assert meeting.join_url == "https://spotkania.example.org/torun-program-2021"  # set on the registrations page
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "meeting_changed"))
    assert row.before_data["starts_at"].startswith("2020-09-03 14:30")


def test_a_meeting_with_registrations_is_not_deleted_an_empty_one_is(as_admin, frozen_clock):
    meeting = db.session.scalar(select(Meeting))
    services.register_for_meeting(meeting, services.Applicant(
        full_name="Jan", email="jan@ngo.example", organisation_name="Org", recording_consent=True))
    db.session.commit()
    response = post(as_admin, f"{MEETINGS}/{meeting.id}/usun", {}, page=MEETINGS)
    assert "jest 1 zgłoszenie, więc nie można go usunąć" in as_admin.get(response.headers["Location"]).get_data(
        as_text=True)

    post(as_admin, MEETINGS, MEETING)
    added = db.session.scalar(select(Meeting).where(Meeting.title == "Spotkanie o finansowaniu"))
    post(as_admin, f"{MEETINGS}/{added.id}/usun", {}, page=MEETINGS)
    db.session.expire_all()
    assert db.session.scalars(select(Meeting.id)).all() == [meeting.id]
    assert audit_actions("meeting") == ["meeting_added", "meeting_deleted"]


# --- who may do what, and what it costs -------------------------------------------------------

def test_only_admins_run_groups_and_meetings(app, as_admin, moderator):
    group, meeting = first_group(), db.session.scalar(select(Meeting))
    pages = [GROUPS, MEETINGS, edit_url(group), f"{MEETINGS}/{meeting.id}"]
    deletions = [f"{GROUPS}/{group.id}/usun", f"{MEETINGS}/{meeting.id}/usun"]

    anonymous = app.test_client()
    for url in pages:
        assert anonymous.get(url).status_code == 302
    as_moderator = app.test_client()
    login_as(as_moderator, moderator)
    token = form_token(as_moderator, ANNOUNCEMENT)
    for url in pages:
        assert as_moderator.get(url).status_code == 403
        assert as_moderator.post(url, data={"csrf_token": token, **GROUP}).status_code == 403
    for url in deletions:
        assert as_moderator.post(url, data={"csrf_token": token}).status_code == 403
        assert as_admin.post(url, data={}).status_code == 400  # no CSRF token
    assert as_admin.post(GROUPS, data=GROUP).status_code == 400
    assert group_named("Kultura i sztuka") is None
    assert as_admin.get(GROUPS).headers["Cache-Control"] == "no-store"


def test_the_groups_and_meetings_pages_cost_the_same_queries_whatever_their_number(as_admin, count_queries):
    def queries(url) -> int:
        with count_queries() as counter:
            assert as_admin.get(url).status_code == 200
        return counter.count

    few = queries(GROUPS), queries(MEETINGS)
    consultation = db.session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    groups = [WorkingGroup(consultation_id=consultation.id, name=f"Grupa {n}", capacity=10, position=10 + n)
              for n in range(30)]
    db.session.add_all(groups)
    meeting = db.session.scalar(select(Meeting))
    db.session.add_all(Meeting(consultation_id=consultation.id, title=f"Spotkanie {n}", starts_at=meeting.starts_at,
                               registration_deadline=meeting.registration_deadline) for n in range(30))
    db.session.commit()
    for n, group in enumerate(groups[:5]):
        register(group, n)
    assert (queries(GROUPS), queries(MEETINGS)) == few == (3, 3)  # the user, the consultation, the list
