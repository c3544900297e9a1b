"""Signing up for a working group or an online meeting, as an NGO representative does it."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.mail import OutboxMessage
from portal.registrations import services
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup
from tests.conftest import form_token

SLUG = "program-wspolpracy-2021"
FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
DURING_SIGNUP = "2020-08-24 12:00:00"


def group_named(start: str) -> WorkingGroup:
    return db.session.scalar(select(WorkingGroup).where(WorkingGroup.name.startswith(start)))


def applicant_data(n=0, **fields):
    return {"full_name": f"Osoba {n}", "email": f"osoba{n}@ngo.example", "phone": "600 000 000",
            "organisation_name": f"Stowarzyszenie {n}", "organisation_address": "ul. Szeroka 1, 87-100 Toruń",
            "organisation_contact": "biuro@ngo.example", "prior_activity": "Prowadzę zajęcia dla seniorów.",
            "recording_consent": "y", "privacy_notice": "y", **fields}


def sign_up(client, group, n=0, **fields):
    data = applicant_data(n, group=str(group.id), **fields)
    data["csrf_token"] = form_token(client, FORM)
    return client.post(FORM, data=data)


def registrations(**where):
    db.session.expire_all()
    return db.session.scalars(select(GroupRegistration).filter_by(**where).order_by(GroupRegistration.id)).all()


def fill_group(group, count, start=100):
    """`count` people take seats (or waiting places) through the service."""
    consultation = db.session.get(Consultation, group.consultation_id)
    for n in range(start, start + count):
        services.take_seat(consultation, group, services.Applicant(f"Osoba {n}", f"osoba{n}@ngo.example",
                                                                   f"Org {n}", True))
    db.session.commit()


@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def path_of(link):
    return re.sub(r"^https?://[^/]+", "", link)


# --- the working-group form ----------------------------------------------------------------

def test_the_form_shows_places_left_and_a_seat_is_held_until_confirmed(client, signup_open, smtp_sink):
    volunteering = group_named("Wspieranie i promocja wolontariatu")
    html = client.get(FORM).get_data(as_text=True)
    assert html.count("zostało 12 z 12 miejsc") == 3 and html.count("zostało 10 z 10 miejsc") == 2

    response = sign_up(client, volunteering)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Miejsce czeka na Ciebie" in html
    assert "Potwierdź zgłoszenie w ciągu 48 godzin" in html
    [registration] = registrations()
    assert registration.status == Status.PENDING and registration.group_id == volunteering.id
    assert clock.to_local(registration.hold_expires_at).isoformat() == "2020-08-26T12:00:00+02:00"
    assert registration.privacy_notice_version == "2020-08" and registration.recording_consent
    assert "zostało 11 z 12 miejsc" in client.get(FORM).get_data(as_text=True)

    [message] = smtp_sink.to("osoba0@ngo.example")
    assert message["Subject"] == "Potwierdź zapis do grupy roboczej"
    manage = path_of(smtp_sink.last_link("osoba0@ngo.example"))
    page = client.get(manage)
    assert page.headers["Cache-Control"] == "no-store"
    assert "miejsce zarezerwowane — czeka na potwierdzenie do 26 sierpnia 2020 r., godz. 12:00" in page.get_data(as_text=True)
    token = manage.split("t=")[1]
    client.post("/zgloszenie/potwierdz", data={"t": token, "csrf_token": form_token(client, manage)})
    assert registrations()[0].status == Status.CONFIRMED
    assert "potwierdzone" in client.get(manage).get_data(as_text=True)
    assert smtp_sink.to("osoba0@ngo.example")[-1]["Subject"] == "Zapis do grupy roboczej potwierdzony"


def test_a_full_group_puts_people_on_the_waiting_list_in_order(client, signup_open, smtp_sink):
    disability = group_named("Wspieranie działalności na rzecz osób niepełnosprawnych")  # 10 places
    fill_group(disability, 10)
    assert "brak wolnych miejsc" in client.get(FORM).get_data(as_text=True)
    html = sign_up(client, disability, n=1).get_data(as_text=True)
    assert "Jesteś na liście oczekujących" in html and "osoba nr 1" in html
    html = sign_up(client, disability, n=2).get_data(as_text=True)
    assert "osoba nr 2" in html
    assert "osoba nr 2" in smtp_sink.to("osoba2@ngo.example")[0].get_content()
    assert [r.status for r in registrations(group_id=disability.id)][-2:] == [Status.WAITING, Status.WAITING]


def test_one_person_one_group_per_consultation(client, signup_open):
    sign_up(client, group_named("Wspieranie i promocja wolontariatu"))
    response = sign_up(client, group_named("Wspieranie i rozwijanie"), email="OSOBA0@ngo.example")
    html = response.get_data(as_text=True)
    assert "Ten adres e-mail jest już zapisany do grupy roboczej" in html
    assert 'value="Stowarzyszenie 0"' in html  # what was typed is still there
    assert len(registrations()) == 1


def test_after_withdrawing_the_same_person_may_sign_up_again(client, signup_open, smtp_sink):
    sign_up(client, group_named("Wspieranie i promocja wolontariatu"))
    services.withdraw(registrations()[0])
    db.session.commit()
    sign_up(client, group_named("Wspieranie i rozwijanie"))
    assert [r.status for r in registrations()] == [Status.WITHDRAWN, Status.PENDING]


@pytest.mark.parametrize("wall, accepted", [
    ("2020-08-21 00:00:00", True), ("2020-08-20 23:59:59", False),
    ("2020-08-27 23:59:59", True), ("2020-08-28 00:00:00", False),
])
def test_the_sign_up_deadline_is_the_end_of_27_august_in_warsaw(client, torun, frozen_clock, wall, accepted):
    frozen_clock.set_local("2020-08-24 12:00:00")
    token = form_token(client, FORM)  # the form was opened while sign-up was open
    frozen_clock.set_local(wall)
    data = applicant_data(group=str(group_named("Wspieranie i promocja wolontariatu").id), csrf_token=token)
    html = client.post(FORM, data=data).get_data(as_text=True)
    assert (len(registrations()) == 1) is accepted
    if not accepted:
        assert "Zapisy do grup roboczych są zamknięte." in html
        assert 'value="Stowarzyszenie 0"' in html and "Prowadzę zajęcia dla seniorów." in html  # not lost


def test_validation_errors_keep_the_typed_text_next_to_each_field(client, signup_open):
    long_text = "działanie " * 250
    response = sign_up(client, group_named("Wspieranie i promocja wolontariatu"), email="zly-adres",
                       prior_activity=long_text, privacy_notice="")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and not registrations()
    assert 'id="email-error"' in html and 'id="prior_activity-error"' in html and 'id="privacy_notice-error"' in html
    assert "Najwyżej 2000 znaków." in html and long_text.strip() in html and 'value="zly-adres"' in html


def test_a_group_must_be_chosen(client, signup_open):
    data = applicant_data(csrf_token=form_token(client, FORM))
    html = client.post(FORM, data=data).get_data(as_text=True)
    assert 'id="group-error"' in html and "Wybierz jedną grupę roboczą." in html


def test_the_honeypot_stops_scripts_without_telling_them(client, signup_open, smtp_sink):
    html = sign_up(client, group_named("Wspieranie i promocja wolontariatu"), website="http://spam.example").get_data(as_text=True)
    assert "Sprawdź skrzynkę e-mail" in html
    assert registrations() == [] and smtp_sink.messages == []


def test_mass_sign_ups_from_one_address_are_rate_limited(app, client, signup_open):
    app.config["REGISTRATION_LIMIT_PER_IP"] = "3 per hour"
    group = group_named("Wspieranie i promocja wolontariatu")
    statuses = [sign_up(client, group, n=n).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429] and len(registrations()) == 3


# --- holds, expiry, withdrawal and the waiting list -----------------------------------------

def test_an_unconfirmed_seat_is_released_after_48_hours_and_goes_to_the_first_waiting(
        client, signup_open, frozen_clock, smtp_sink):
    disability = group_named("Wspieranie działalności na rzecz osób niepełnosprawnych")
    fill_group(disability, 10)
    for holder in registrations(group_id=disability.id)[1:]:
        services.confirm(holder)  # everyone but the first confirms in time
    db.session.commit()
    sign_up(client, disability, n=1)
    sign_up(client, disability, n=2)
    first_holder = registrations(group_id=disability.id)[0]

    frozen_clock.set(first_holder.hold_expires_at - timedelta(seconds=1))
    client.get(FORM)
    assert registrations(id=first_holder.id)[0].status == Status.PENDING

    frozen_clock.set(first_holder.hold_expires_at)
    client.get(FORM)  # reading the group is enough: no scheduler needed
    statuses = {r.email: r.status for r in registrations(group_id=disability.id)}
    assert statuses["osoba100@ngo.example"] == Status.EXPIRED
    assert statuses["osoba1@ngo.example"] == Status.PENDING
    assert statuses["osoba2@ngo.example"] == Status.WAITING
    assert smtp_sink.to("osoba1@ngo.example")[-1]["Subject"] == "Zwolniło się miejsce w grupie roboczej"
    assert smtp_sink.to("osoba100@ngo.example")[-1]["Subject"] == "Rezerwacja miejsca wygasła"


def test_confirming_too_late_says_so(client, signup_open, frozen_clock, smtp_sink):
    sign_up(client, group_named("Wspieranie i promocja wolontariatu"))
    manage = path_of(smtp_sink.last_link("osoba0@ngo.example"))
    token = form_token(client, manage)
    frozen_clock.set_local("2020-08-26 12:00:00")
    client.post("/zgloszenie/potwierdz", data={"t": manage.split("t=")[1], "csrf_token": token})
    html = client.get(manage).get_data(as_text=True)
    assert "Minęło 48 godzin na potwierdzenie" in html or "wygasło" in html
    assert registrations()[0].status == Status.EXPIRED


def test_withdrawing_asks_first_then_frees_the_seat_for_the_first_waiting(client, signup_open, smtp_sink):
    disability = group_named("Wspieranie działalności na rzecz osób niepełnosprawnych")
    sign_up(client, disability, n=1)
    fill_group(disability, 9)
    sign_up(client, disability, n=2)
    manage = path_of(smtp_sink.last_link("osoba1@ngo.example"))
    token = manage.split("t=")[1]

    confirm_page = client.get(f"/zgloszenie/wycofaj?t={token}").get_data(as_text=True)
    assert "Czy na pewno chcesz wycofać zgłoszenie?" in confirm_page
    assert registrations(email="osoba1@ngo.example")[0].status == Status.PENDING

    client.post("/zgloszenie/wycofaj", data={"t": token, "csrf_token": form_token(client, f"/zgloszenie/wycofaj?t={token}")})
    assert registrations(email="osoba1@ngo.example")[0].status == Status.WITHDRAWN
    assert registrations(email="osoba2@ngo.example")[0].status == Status.PENDING
    assert smtp_sink.to("osoba2@ngo.example")[-1]["Subject"] == "Zwolniło się miejsce w grupie roboczej"


def test_a_forged_private_link_finds_nothing(client, signup_open):
    assert client.get("/zgloszenie?t=WyJnIiwgMV0.forged").status_code == 404


def test_registrations_sweep_releases_holds_for_a_scheduler(app, client, signup_open, frozen_clock):
    sign_up(client, group_named("Wspieranie i promocja wolontariatu"))
    frozen_clock.set_local("2020-08-27 12:00:00")
    result = app.test_cli_runner().invoke(args=["registrations-sweep"])
    assert result.exit_code == 0 and "expired holds 1" in result.output
    assert registrations()[0].status == Status.EXPIRED


def test_registration_succeeds_while_smtp_is_down(app, client, signup_open, smtp_sink):
    app.config["MAIL_PORT"] = 1
    response = sign_up(client, group_named("Wspieranie i promocja wolontariatu"))
    assert "Miejsce czeka na Ciebie" in response.get_data(as_text=True)
    assert len(registrations()) == 1
    assert db.session.scalar(select(OutboxMessage.sent_at)) is None


def test_the_public_pages_never_show_registrants_personal_data(client, signup_open):
    sign_up(client, group_named("Wspieranie i promocja wolontariatu"), full_name="Zofia Tajemnicza")
    for url in ("/", f"/konsultacje/{SLUG}", FORM, f"/konsultacje/{SLUG}/druk"):
        html = client.get(url).get_data(as_text=True)
        assert "Zofia Tajemnicza" not in html and "osoba0@ngo.example" not in html, url


def test_the_announcement_links_to_the_form_while_it_is_open(client, torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    html = client.get(f"/konsultacje/{SLUG}").get_data(as_text=True)
    assert f'href="{FORM}"' in html and "zostało 12 z 12 miejsc" in html
    frozen_clock.set_local("2020-08-28 00:00:00")
    html = client.get(f"/konsultacje/{SLUG}").get_data(as_text=True)
    assert f'href="{FORM}"' not in html and "Zapisy do grup roboczych są zamknięte." in html


def test_the_form_page_runs_a_constant_number_of_queries(client, signup_open, count_queries):
    with count_queries() as few:
        client.get(FORM)
    fill_group(group_named("Wspieranie i promocja wolontariatu"), 30)
    with count_queries() as many:
        client.get(FORM)
    assert few.count == many.count <= 6


# --- online meetings -----------------------------------------------------------------------

def meeting():
    return db.session.scalar(select(Meeting))


def meeting_form():
    return f"/konsultacje/{SLUG}/spotkania/{meeting().id}/zapis"


def sign_up_for_meeting(client, n=0, token=None, **fields):
    url = meeting_form()
    data = {"full_name": f"Osoba {n}", "email": f"osoba{n}@ngo.example", "organisation_name": f"Org {n}",
            "organisation_address": "ul. Szeroka 1, 87-100 Toruń", "organisation_contact": "biuro@ngo.example",
            "prior_activity": "Prowadzę zajęcia dla seniorów.",
            "recording_consent": "y", "privacy_notice": "y", **fields}
    data["csrf_token"] = token or form_token(client, url)
    return client.post(url, data=data)


@pytest.mark.parametrize("wall, accepted", [("2020-09-03 09:59:59", True), ("2020-09-03 10:00:00", False)])
def test_meeting_registration_closes_at_10_00_on_3_september(client, torun, frozen_clock, wall, accepted):
    frozen_clock.set_local("2020-09-02 12:00:00")
    token = form_token(client, meeting_form())
    frozen_clock.set_local(wall)
    html = sign_up_for_meeting(client, token=token).get_data(as_text=True)
    count = db.session.scalar(select(func.count()).select_from(MeetingRegistration))
    assert (count == 1) is accepted
    if not accepted:
        assert "Zapisy na to spotkanie są zamknięte." in html and 'value="Org 0"' in html


def test_after_the_deadline_each_confirmed_person_gets_the_meeting_link_once(app, client, torun, frozen_clock, smtp_sink):
    frozen_clock.set_local("2020-09-02 12:00:00")
    for n in range(3):
        sign_up_for_meeting(client, n=n)
    for n in range(2):  # two of three confirm their address
        manage = path_of(smtp_sink.last_link(f"osoba{n}@ngo.example"))
        client.post("/zgloszenie/potwierdz", data={"t": manage.split("t=")[1],
                                                   "csrf_token": form_token(client, manage)})
    meeting().join_url = "https://spotkania.example/torun-2021"
    db.session.commit()

    frozen_clock.set_local("2020-09-03 09:59:59")
    assert "meeting links 0" in app.test_cli_runner().invoke(args=["registrations-sweep"]).output
    frozen_clock.set_local("2020-09-03 10:00:00")
    assert "meeting links 2" in app.test_cli_runner().invoke(args=["registrations-sweep"]).output
    assert "meeting links 0" in app.test_cli_runner().invoke(args=["registrations-sweep"]).output
    for n, expected in ((0, 1), (1, 1), (2, 0)):
        links = [m for m in smtp_sink.to(f"osoba{n}@ngo.example") if m["Subject"].startswith("Link do spotkania")]
        assert len(links) == expected
    assert "https://spotkania.example/torun-2021" in links_body(smtp_sink, "osoba0@ngo.example")


def links_body(sink, address):
    return [m for m in sink.to(address) if m["Subject"].startswith("Link do spotkania")][0].get_content()


def test_the_meeting_calendar_file_is_in_warsaw_time(client, torun):
    response = client.get(f"/konsultacje/{SLUG}/spotkania/{meeting().id}.ics")
    assert response.headers["Content-Type"].startswith("text/calendar")
    from icalendar import Calendar
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/Warsaw" and start.strftime("%Y-%m-%d %H:%M") == "2020-09-03 16:30"
    assert "TZID=Europe/Warsaw" in response.get_data(as_text=True)
    assert calendar.walk("VTIMEZONE"), "the time zone is described in the file"
    assert str(event["summary"]) == "Spotkanie online: omówienie propozycji do programu"


def test_the_same_address_registers_once_per_meeting(client, torun, frozen_clock):
    frozen_clock.set_local("2020-09-02 12:00:00")
    sign_up_for_meeting(client)
    html = sign_up_for_meeting(client).get_data(as_text=True)
    assert "Ten adres e-mail jest już zapisany na to spotkanie." in html
    assert db.session.scalar(select(func.count()).select_from(MeetingRegistration)) == 1
