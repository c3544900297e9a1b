"""Staff work with the online meeting's registrations as with the groups': see who signed up
(organisation, accessibility needs in words, recording consent), confirm for someone who did not
open the e-mail's link, cancel with a reason the person is told; and, once a group's or a
meeting's session has started, mark who came — many people with one save.

Registrations are made through the services (as the public forms would) during the demo
consultation's sign-up (24 August 2020); the answers the new sign-up forms collect (needs,
recording basis) are set on the rows. Staff then drive the real pages.
"""
import re

import pytest
from sqlalchemy import select, update

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import services, staff_actions
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
OVERVIEW = f"/zespol/konsultacje/{SLUG}/zapisy"
DURING_SIGNUP = "2020-08-24 12:00:00"
AFTER_THE_SESSIONS = "2020-09-04 12:00:00"   # groups met 31 Aug / 1 Sept, the meeting 3 Sept 16:30


# --- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def the_meeting() -> Meeting:
    return db.session.scalar(select(Meeting))


def first_group() -> WorkingGroup:
    return db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).first()


def sign_up(n: int, confirmed: bool = False, **fields) -> MeetingRegistration:
    """Person n signs up for the meeting (and opens the link, if `confirmed`); the request commits."""
    registration = services.register_for_meeting(the_meeting(), services.Applicant(
        full_name=fields.pop("full_name", f"Gość {n}"), email=f"gosc{n}@ngo.example",
        organisation_name=fields.pop("organisation_name", f"Fundacja {n}"), recording_consent=True))
    for name, value in fields.items():
        setattr(registration, name, value)
    if confirmed:
        services.confirm_meeting(registration)
    db.session.commit()
    return registration


def seat(n: int, confirmed: bool = True) -> GroupRegistration:
    group = first_group()
    registration = services.take_seat(db.session.get(Consultation, group.consultation_id), group,
                                      services.Applicant(f"Osoba {n}", f"osoba{n}@ngo.example", f"Stowarzyszenie {n}",
                                                         True))
    if confirmed:
        services.confirm(registration)
    db.session.commit()
    return registration


def post(client, url, data):
    """Send a form from the overview, with the CSRF token of the page as loaded."""
    return client.post(url, data={**data, "csrf_token": form_token(client, OVERVIEW)})


def meeting_action(registration, verb) -> str:
    return f"/zespol/zgloszenia-na-spotkania/{registration.id}/{verb}"


def reload(instance):
    db.session.expire_all()
    return db.session.get(type(instance), instance.id)


def log_rows() -> list[AuditLog]:
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()


def text(html) -> str:
    """What a person reads: no tags, single spaces (none just inside brackets)."""
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"')
    return words.replace("( ", "(").replace(" )", ")")


def meetings_part(html) -> str:
    return html.split('id="spotkania"', 1)[1]


def row_of(html, name) -> str:
    match = re.search(r"<tr>\s*<th scope=\"row\">" + re.escape(name) + r"<.*?</tr>", html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


# --- seeing the meeting's registrations -------------------------------------------------------

def test_staff_see_each_meeting_registration_with_organisation_needs_and_recording_consent(moderator_client,
                                                                                           signup_open):
    sign_up(1, confirmed=True, full_name="Anna Żółkiewska", organisation_name="Fundacja „Łódź i okolice”",
            organisation_address="ul. Łazienna 5, 87-100 Toruń", organisation_contact="tel. 56 111 22 33",
            prior_activity="Koordynuję wolontariat.", accessibility_needs="pjm,captions,other",
            accessibility_details="Pętla indukcyjna", recording_basis="consent", recording_consent=False)
    sign_up(2)

    html = meetings_part(moderator_client.get(OVERVIEW).get_data(as_text=True))
    anna = text(row_of(html, "Anna Żółkiewska"))
    for detail in ("gosc1@ngo.example", "Fundacja „Łódź i okolice”", "ul. Łazienna 5, 87-100 Toruń",
                   "tel. 56 111 22 33", "Koordynuję wolontariat.", "Nagrywanie: nie",
                   "podstawa: zgoda (art. 6 ust. 1 lit. a RODO)",
                   "Potrzeby dostępności: PJM, napisy na żywo, inne: Pętla indukcyjna",
                   "potwierdzone 24 sierpnia 2020 r., godz. 12:00", "link jeszcze niewysłany", "Anuluj"):
        assert detail in anna, detail
    assert "Potwierdź" not in anna  # already confirmed
    pending = text(row_of(html, "Gość 2"))
    assert "czeka na potwierdzenie adresu e-mail" in pending and "Potwierdź" in pending
    assert "Potrzeby dostępności: brak" in pending


def test_the_overview_has_unique_ids_and_labelled_fields_with_meeting_forms(moderator_client, signup_open,
                                                                            frozen_clock):
    group_person = seat(1)  # one id for both kinds: their forms must not share field ids
    guest = sign_up(1, confirmed=True)
    # PostgreSQL's sequences run on across tests: give the meeting registration the same number.
    db.session.execute(update(MeetingRegistration).where(MeetingRegistration.id == guest.id)
                       .values(id=group_person.id))
    db.session.commit()
    guest = db.session.get(MeetingRegistration, group_person.id)
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        assert f'<label class="field__label" for="{field_id}">' in html, field_id
    assert f'id="cancel_reason-{group_person.id}"' in html and f'id="cancel_reason-m{guest.id}"' in html
    assert "<th>" not in html and html.count("<table") == html.count("<caption")


# --- confirm ----------------------------------------------------------------------------------

def test_staff_confirm_a_meeting_registration_for_someone_who_did_not_open_the_link(moderator_client, moderator,
                                                                                  signup_open):
    guest = sign_up(1)
    response = post(moderator_client, meeting_action(guest, "potwierdz"), {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#spotkanie-{guest.meeting_id}"
    assert response.headers["Cache-Control"] == "no-store"
    confirmed = reload(guest)
    assert confirmed.status == Status.CONFIRMED and confirmed.confirmed_at == clock.now_utc()
    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        moderator.id, "meeting_registration_confirmed", "meetingregistration", guest.id)
    assert (entry.before_data, entry.after_data) == ({"status": "pending"}, {"status": "confirmed"})
    assert "Potwierdzono zapis na spotkanie: Gość 1." in moderator_client.get(OVERVIEW).get_data(as_text=True)

    post(moderator_client, meeting_action(guest, "potwierdz"), {})  # a second tab: nothing more
    assert len(log_rows()) == 1
    assert "Bez zmian: zgłoszenie Gość 1 było już potwierdzone." in moderator_client.get(OVERVIEW).get_data(
        as_text=True)


def test_a_withdrawn_meeting_registration_cannot_be_confirmed(moderator_client, signup_open):
    guest = sign_up(1)
    services.withdraw_meeting(guest)
    db.session.commit()
    assert "Potwierdź" not in text(row_of(meetings_part(moderator_client.get(OVERVIEW).get_data(as_text=True)),
                                          "Gość 1"))
    post(moderator_client, meeting_action(guest, "potwierdz"), {})
    assert reload(guest).status == Status.WITHDRAWN and log_rows() == []
    assert "To zgłoszenie jest już zakończone." in moderator_client.get(OVERVIEW).get_data(as_text=True)


# --- cancel -----------------------------------------------------------------------------------

def test_cancelling_a_meeting_registration_tells_the_person_why_and_is_logged(moderator_client, moderator,
                                                                             signup_open, smtp_sink):
    guest = sign_up(1, confirmed=True)
    smtp_sink.clear()

    response = post(moderator_client, meeting_action(guest, "anuluj"), {"cancel_reason": " Zapis złożony dwukrotnie "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#spotkanie-{guest.meeting_id}"
    cancelled = reload(guest)
    assert (cancelled.status, cancelled.end_reason, cancelled.ended_at) == (
        Status.CANCELLED, "Zapis złożony dwukrotnie", clock.now_utc())

    [message] = smtp_sink.to("gosc1@ngo.example")
    assert message["Subject"] == "Zapis na spotkanie anulowany przez urząd"
    body = message.get_content()
    assert f"Twój zapis na spotkanie „{the_meeting().title}” (3 września 2020 r., godz. 16:30)" in body
    assert "Powód: Zapis złożony dwukrotnie" in body

    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.reason) == (moderator.id, "meeting_registration_cancelled",
                                                            "Zapis złożony dwukrotnie")
    assert (entry.before_data, entry.after_data) == ({"status": "confirmed"}, {"status": "cancelled"})

    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Anulowano zgłoszenie: Gość 1." in html
    row = text(row_of(meetings_part(html), "Gość 1"))
    assert "anulowane przez urząd" in row and "Powód: Zapis złożony dwukrotnie" in row and "Anuluj" not in row


def test_cancelling_without_a_reason_reshows_the_page_with_the_error_by_the_field(moderator_client, signup_open,
                                                                                  smtp_sink):
    guest = sign_up(1)
    smtp_sink.clear()
    response = post(moderator_client, meeting_action(guest, "anuluj"), {"cancel_reason": "   "})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    field_id = f"cancel_reason-m{guest.id}"
    assert re.search(rf'<p class="field__error" id="{field_id}-error">.*Podaj powód anulowania', html)
    assert f'aria-describedby="{field_id}-hint {field_id}-error" aria-invalid="true" id="{field_id}"' in html
    assert f'<a href="#{field_id}">Powód anulowania: Podaj powód anulowania' in html
    assert html.count("<details open>") == 1
    assert reload(guest).status == Status.PENDING and log_rows() == [] and smtp_sink.messages == []


def test_a_reason_too_long_or_a_stale_form_keeps_what_was_typed(moderator_client, signup_open):
    guest = sign_up(1)
    long_reason = "Rezygnacja " + "x" * 1000
    response = post(moderator_client, meeting_action(guest, "anuluj"), {"cancel_reason": long_reason})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Najwyżej 1000 znaków." in html and f'value="{long_reason}"' in html

    response = moderator_client.post(meeting_action(guest, "anuluj"), data={"cancel_reason": "Rezygnacja telefoniczna"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html and 'value="Rezygnacja telefoniczna"' in html
    assert reload(guest).status == Status.PENDING and log_rows() == []


def test_an_ended_meeting_registration_cannot_be_cancelled_again(moderator_client, signup_open, smtp_sink):
    guest = sign_up(1)
    services.withdraw_meeting(guest)
    db.session.commit()
    smtp_sink.clear()
    post(moderator_client, meeting_action(guest, "anuluj"), {"cancel_reason": "Test"})
    assert reload(guest).status == Status.WITHDRAWN and log_rows() == [] and smtp_sink.messages == []
    assert "To zgłoszenie jest już zakończone." in moderator_client.get(OVERVIEW).get_data(as_text=True)


def test_staff_acting_on_what_they_saw_never_cancel_a_registration_withdrawn_meanwhile(app, moderator, signup_open):
    """Compare-and-set: the person withdraws after staff loaded the row, before the UPDATE."""
    guest = sign_up(1, confirmed=True)
    seen = db.session.get(MeetingRegistration, guest.id)
    assert seen.status == Status.CONFIRMED
    # The person's own request, meanwhile: the row changes under the object staff hold.
    db.session.execute(update(MeetingRegistration).where(MeetingRegistration.id == guest.id)
                       .values(status=Status.WITHDRAWN).execution_options(synchronize_session=False))
    assert seen.status == Status.CONFIRMED
    with pytest.raises(services.RegistrationError):
        staff_actions.cancel_meeting_by_staff(moderator, seen, "Powód")
    with pytest.raises(services.RegistrationError):
        staff_actions.confirm_meeting_by_staff(moderator, seen)
    db.session.commit()
    assert reload(guest).status == Status.WITHDRAWN and log_rows() == []


# --- attendance -------------------------------------------------------------------------------

def attendance_url(kind, session) -> str:
    return f"/zespol/{'grupy' if kind == 'group' else 'spotkania'}/{session.id}/obecnosc"


def marks(*pairs) -> dict:
    return {f"obecnosc-{registration.id}": choice for registration, choice in pairs}


def test_before_the_session_there_is_no_attendance_form_and_a_post_is_refused(moderator_client, signup_open,
                                                                             frozen_clock):
    person, guest = seat(1), sign_up(1, confirmed=True)
    frozen_clock.set_local("2020-08-31 16:29:59")  # the group meets at 16:30
    html = text(moderator_client.get(OVERVIEW).get_data(as_text=True))
    assert "Zapisz obecność" not in html
    assert "Obecność zaznaczysz po rozpoczęciu spotkania (31 sierpnia 2020 r., godz. 16:30)." in html
    assert "Obecność zaznaczysz po rozpoczęciu spotkania (3 września 2020 r., godz. 16:30)." in html

    for kind, session, registration in (("group", first_group(), person), ("meeting", the_meeting(), guest)):
        response = post(moderator_client, attendance_url(kind, session), marks((registration, "present")))
        assert response.status_code == 303
        assert reload(registration).attended is None
    assert log_rows() == []
    assert "Obecność można zaznaczyć dopiero po rozpoczęciu spotkania." in moderator_client.get(OVERVIEW).get_data(
        as_text=True)


def test_staff_mark_a_groups_attendance_in_one_save_logged_once_with_the_counts(moderator_client, moderator,
                                                                               signup_open, frozen_clock):
    came, missed, unmarked = seat(1), seat(2), seat(3)
    pending = seat(4, confirmed=False)
    frozen_clock.set_local("2020-08-31 16:30:00")
    group = first_group()

    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Obecność: 0, nieobecność: 0, bez zaznaczenia: 3." in html
    form = re.search(r'<form method="post" action="%s".*?</form>' % attendance_url("group", group), html, re.S).group(0)
    assert form.count('type="radio"') == 6  # a pair for each confirmed person, none for the pending one
    assert 'name="obecnosc-%d"' % pending.id not in form

    response = post(moderator_client, attendance_url("group", group),
                    marks((came, "present"), (missed, "absent"), (pending, "present"), (unmarked, "maybe")))
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#obecnosc-grupa-{group.id}"
    assert [(reload(r).attended, reload(r).attendance_marked_at) for r in (came, missed, unmarked, pending)] == [
        (True, clock.now_utc()), (False, clock.now_utc()), (None, None), (None, None)]
    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        moderator.id, "attendance_marked", "workinggroup", group.id)
    assert entry.after_data == {"marked": 2, "present": 1, "absent": 1, "not_marked": 1}

    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Zapisano obecność. Obecność: 1, nieobecność: 1, bez zaznaczenia: 1." in html
    assert "Obecność: 1, nieobecność: 1, bez zaznaczenia: 1." in text(html.split(f'id="obecnosc-grupa-{group.id}"')[1])
    assert re.search(r'name="obecnosc-%d" value="present" checked' % came.id, html)
    assert re.search(r'name="obecnosc-%d" value="absent" checked' % missed.id, html)

    # Saved again as it is: nothing changes, nothing more is logged.
    post(moderator_client, attendance_url("group", group), marks((came, "present"), (missed, "absent")))
    assert len(log_rows()) == 1
    assert "Bez zmian: obecność była już tak zaznaczona." in moderator_client.get(OVERVIEW).get_data(as_text=True)


def test_staff_mark_a_meetings_attendance_and_can_correct_it(moderator_client, moderator, signup_open, frozen_clock):
    first, second, pending = sign_up(1, confirmed=True), sign_up(2, confirmed=True), sign_up(3)
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    meeting = the_meeting()

    post(moderator_client, attendance_url("meeting", meeting),
         marks((first, "present"), (second, "present"), (pending, "absent")))
    assert (reload(first).attended, reload(second).attended) == (True, True)
    assert reload(pending).attended is None  # not confirmed: ignored

    frozen_clock.set_local("2020-09-04 13:00:00")
    post(moderator_client, attendance_url("meeting", meeting), marks((first, "present"), (second, "absent")))
    corrected = reload(second)
    assert corrected.attended is False and corrected.attendance_marked_at == clock.now_utc()
    assert reload(first).attendance_marked_at != clock.now_utc()  # unchanged rows keep their time
    entries = log_rows()
    assert [(e.action, e.target_type, e.after_data) for e in entries] == [
        ("attendance_marked", "meeting", {"marked": 2, "present": 2, "absent": 0, "not_marked": 0}),
        ("attendance_marked", "meeting", {"marked": 1, "present": 1, "absent": 1, "not_marked": 0})]
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Obecność: 1, nieobecność: 1, bez zaznaczenia: 0." in text(meetings_part(html))


def test_a_stale_attendance_form_is_refused_with_the_choices_kept(moderator_client, signup_open, frozen_clock):
    guest = sign_up(1, confirmed=True)
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    response = moderator_client.post(attendance_url("meeting", the_meeting()), data=marks((guest, "absent")))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html
    assert re.search(r'name="obecnosc-%d" value="absent" checked' % guest.id, html)
    assert reload(guest).attended is None and log_rows() == []


# --- who may do it ----------------------------------------------------------------------------

def staff_posts(guest, person):
    return [
        (meeting_action(guest, "potwierdz"), {}),
        (meeting_action(guest, "anuluj"), {"cancel_reason": "x"}),
        (attendance_url("group", first_group()), marks((person, "present"))),
        (attendance_url("meeting", the_meeting()), marks((guest, "present"))),
    ]


def test_participants_get_403_and_anonymous_visitors_are_sent_to_log_in(client, jan, signup_open, frozen_clock):
    guest, person = sign_up(1, confirmed=True), seat(2)
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    for url, data in staff_posts(guest, person):
        response = client.post(url, data=data)
        assert response.status_code == 302 and response.headers["Location"].startswith("/logowanie"), url
    login_as(client, jan)
    token = form_token(client, "/")
    for url, data in staff_posts(guest, person):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert reload(guest).status == Status.CONFIRMED and reload(guest).attended is None
    assert reload(person).attended is None and log_rows() == []


def test_unknown_registrations_groups_and_meetings_are_404(moderator_client, signup_open):
    for url, data in (("/zespol/zgloszenia-na-spotkania/999999/anuluj", {"cancel_reason": "x"}),
                      ("/zespol/zgloszenia-na-spotkania/999999/potwierdz", {}),
                      ("/zespol/grupy/999999/obecnosc", {}), ("/zespol/spotkania/999999/obecnosc", {})):
        assert post(moderator_client, url, data).status_code == 404, url


# --- cost -------------------------------------------------------------------------------------

def test_the_overview_with_attendance_forms_runs_the_same_queries_for_1_and_many_registrations(
        app, moderator, signup_open, frozen_clock, count_queries):
    moderator_id = moderator.id

    def queries() -> int:
        client = app.test_client()
        login_as(client, db.session.get(type(moderator), moderator_id))
        with count_queries() as counted:
            response = client.get(OVERVIEW)
        assert response.status_code == 200 and "Zapisz obecność" in response.get_data(as_text=True)
        return counted.count

    seat(0)
    sign_up(0, confirmed=True)
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    one = queries()

    frozen_clock.set_local(DURING_SIGNUP)
    for n in range(1, 11):
        person = seat(n)
        person.attended = n % 2 == 0
    for n in range(1, 30):
        guest = sign_up(n, confirmed=n % 3 != 0, accessibility_needs="pjm,captions")
        guest.attended = True if n % 4 == 0 else None
    db.session.commit()
    frozen_clock.set_local(AFTER_THE_SESSIONS)
    many = queries()
    assert one == many <= 8
