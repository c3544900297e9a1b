"""The city office's team works with registrations: sees who signed up for which working group
and meeting, confirms, cancels with a reason, moves people between groups, sets the meeting's
link and downloads the lists.

Registrations are made through the service (as the public form would), during the demo
consultation's group sign-up (21–27 August 2020); staff then drive the real pages.
"""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import spreadsheets
from portal.audit import AuditLog
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import exports, services
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, Status, WorkingGroup
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
OVERVIEW = f"/zespol/konsultacje/{SLUG}/zapisy"
CSV_URL = f"/zespol/konsultacje/{SLUG}/zapisy.csv"
XLSX_URL = f"/zespol/konsultacje/{SLUG}/zapisy.xlsx"
DURING_SIGNUP = "2020-08-24 12:00:00"


# --- helpers ----------------------------------------------------------------------------------

@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def groups() -> list[WorkingGroup]:
    return db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()


def register(group, n, **fields) -> GroupRegistration:
    """Person n signs up for the group (a held seat or a waiting place) and the request commits."""
    consultation = db.session.get(Consultation, group.consultation_id)
    details = {"phone": "600 100 200", "organisation_address": "ul. Szeroka 1, 87-100 Toruń",
               "organisation_contact": "biuro@ngo.example", "prior_activity": "Warsztaty dla seniorów.",
               **fields}
    registration = services.take_seat(consultation, group, services.Applicant(
        full_name=details.pop("full_name", f"Osoba {n}"), email=f"osoba{n}@ngo.example",
        organisation_name=details.pop("organisation_name", f"Stowarzyszenie {n}"), recording_consent=True,
        **details))
    db.session.commit()
    return registration


def fill(group, count, start=100) -> list[GroupRegistration]:
    return [register(group, n) for n in range(start, start + count)]


def reload(instance):
    db.session.expire_all()
    return db.session.get(type(instance), instance.id)


def statuses(group) -> list[tuple[str, Status]]:
    db.session.expire_all()
    return [(r.full_name, r.status) for r in db.session.scalars(
        select(GroupRegistration).where(GroupRegistration.group_id == group.id).order_by(GroupRegistration.id))]


def post(client, url, data):
    """Send a form from the overview, with the CSRF token of the page as loaded."""
    return client.post(url, data={**data, "csrf_token": form_token(client, OVERVIEW)})


def action(registration, verb) -> str:
    return f"/zespol/zgloszenia/{registration.id}/{verb}"


def log_rows() -> list[AuditLog]:
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()


def group_section(html, group) -> str:
    """The part of the overview about one group."""
    start = html.index(f'<h3 id="grupa-{group.id}"')
    end = html.find("<h3 ", start + 1)
    return html[start:end if end != -1 else len(html)]


def table(section, caption_start) -> str:
    match = re.search(r"<table[^>]*>\s*<caption[^>]*>" + re.escape(caption_start) + r".*?</table>", section, re.S)
    assert match, f"no table {caption_start!r}"
    return match.group(0)


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- seeing the registrations -----------------------------------------------------------------

def test_staff_see_seat_holders_waiting_list_and_ended_registrations_with_all_details(moderator_client, signup_open,
                                                                                         frozen_clock):
    small = groups()[3]  # capacity 10
    anna = register(small, 1, full_name="Anna Żółkiewska", organisation_name="Fundacja „Łódź i okolice”",
                    organisation_address="ul. Łazienna 5, 87-100 Toruń", organisation_contact="tel. 56 111 22 33",
                    prior_activity="Koordynuję wolontariat.")
    services.confirm(anna)
    db.session.commit()
    fill(small, 9)
    waiting = [register(small, n) for n in (200, 201)]
    gone = register(groups()[0], 300)
    services.withdraw(gone)
    db.session.commit()

    frozen_clock.set_local("2020-08-24 13:00:00")
    response = moderator_client.get(OVERVIEW)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)

    section = group_section(html, small)
    assert "Miejsca zajęte: 10 z 10. Na liście oczekujących: 2." in text(section)
    holders = table(section, "Zajmują miejsce")
    assert holders.count('<th scope="row">') == 10
    row = text(re.search(r"<tr>\s*<th scope=\"row\">Anna Żółkiewska.*?</tr>", holders, re.S).group(0))
    for detail in ("osoba1@ngo.example", "600 100 200", "Fundacja „Łódź i okolice”", "ul. Łazienna 5, 87-100 Toruń",
                   "tel. 56 111 22 33", "Koordynuję wolontariat.", "tak",
                   "wersja 2020-08, przyjęta 24 sierpnia 2020 r., godz. 12:00",
                   "potwierdzone 24 sierpnia 2020 r., godz. 12:00"):
        assert detail in row.replace("&#34;", '"'), detail
    assert "Potwierdź" not in row  # already confirmed
    pending = text(re.search(r"<tr>\s*<th scope=\"row\">Osoba 100<.*?</tr>", holders, re.S).group(0))
    assert "czeka na potwierdzenie do 26 sierpnia 2020 r., godz. 12:00" in pending and "Potwierdź" in pending

    line = table(section, "Lista oczekujących")
    assert re.search(r"<td>1</td>\s*<th scope=\"row\">Osoba 200</th>", line)
    assert re.search(r"<td>2</td>\s*<th scope=\"row\">Osoba 201</th>", line)
    assert "Potwierdź" not in line and "Anuluj" in line and "Przenieś do grupy" in line

    ended = text(table(group_section(html, groups()[0]), "Zakończone zgłoszenia"))
    assert "Osoba 300" in ended and "wycofane przez zgłaszającego" in ended

    # The move list names the other groups with their free seats, never the person's own.
    move_select = re.search(r'<select[^>]*id="target_group-%d".*?</select>' % waiting[0].id, html, re.S).group(0)
    assert small.name not in move_select
    assert f"{groups()[0].name} (wolnych miejsc: 12)" in move_select.replace("&#34;", '"')


def test_the_overview_is_accessible_in_structure(moderator_client, signup_open):
    register(groups()[0], 1)
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    levels = [int(level) for level in re.findall(r"<h([1-6])", html.split('id="tresc"', 1)[1])]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))  # no skipped levels
    assert html.count("<table") == html.count("<caption") > 0
    assert "<th>" not in html  # every header cell says what it heads
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        assert f'<label class="field__label" for="{field_id}">' in html, field_id
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html  # CSP: no inline code
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_expired_holds_are_released_when_staff_look_and_the_seat_goes_to_the_first_waiting(
        moderator_client, signup_open, frozen_clock, smtp_sink):
    small = groups()[4]
    first, *_rest = fill(small, 10)
    waiting = register(small, 200)
    services.confirm(_rest[0])
    for registration in _rest[1:]:
        services.confirm(registration)
    db.session.commit()
    smtp_sink.clear()

    frozen_clock.set_local("2020-08-26 12:00:01")  # 48 hours after the first hold
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert reload(first).status == Status.EXPIRED and reload(waiting).status == Status.PENDING
    section = group_section(html, small)
    assert "Osoba 200" in table(section, "Zajmują miejsce")
    assert "wygasło — niepotwierdzone w terminie" in text(table(section, "Zakończone zgłoszenia"))
    assert [m["Subject"] for m in smtp_sink.to("osoba200@ngo.example")] == ["Zwolniło się miejsce w grupie roboczej"]


# --- confirm, cancel, move --------------------------------------------------------------------

def test_staff_confirm_a_held_seat(moderator_client, moderator, signup_open, smtp_sink):
    registration = register(groups()[0], 1)
    smtp_sink.clear()

    response = post(moderator_client, action(registration, "potwierdz"), {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#grupa-{registration.group_id}"
    assert response.headers["Cache-Control"] == "no-store"
    assert reload(registration).status == Status.CONFIRMED
    assert [m["To"] for m in smtp_sink.messages] == ["osoba1@ngo.example"]
    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.target_id) == (moderator.id, "registration_confirmed", registration.id)
    assert "Potwierdzono zgłoszenie: Osoba 1." in moderator_client.get(OVERVIEW).get_data(as_text=True)

    # Pressed again (a second tab): nothing changes and nothing more is logged.
    post(moderator_client, action(registration, "potwierdz"), {})
    assert len(log_rows()) == 1
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Bez zmian: zgłoszenie Osoba 1 było już potwierdzone." in html


def test_a_waiting_place_cannot_be_confirmed_and_staff_are_told_why(moderator_client, signup_open):
    small = groups()[3]
    fill(small, 10)
    waiting = register(small, 200)
    response = post(moderator_client, action(waiting, "potwierdz"), {})
    assert response.status_code == 303
    assert reload(waiting).status == Status.WAITING and log_rows() == []
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert '<p class="flash flash--error">Tego zgłoszenia nie można już potwierdzić.</p>' in html


def test_cancelling_with_a_reason_tells_the_person_and_gives_the_seat_to_the_first_waiting(
        moderator_client, moderator, signup_open, smtp_sink):
    small = groups()[3]
    holders = fill(small, 10)
    first_waiting, second_waiting = register(small, 200), register(small, 201)
    smtp_sink.clear()

    response = post(moderator_client, action(holders[0], "anuluj"), {"cancel_reason": "Zgłoszenie złożone dwukrotnie"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#grupa-{small.id}"

    cancelled = reload(holders[0])
    assert cancelled.status == Status.CANCELLED and cancelled.end_reason == "Zgłoszenie złożone dwukrotnie"
    assert reload(first_waiting).status == Status.PENDING and reload(second_waiting).status == Status.WAITING

    [to_cancelled] = smtp_sink.to("osoba100@ngo.example")
    assert to_cancelled["Subject"] == "Zgłoszenie anulowane przez urząd"
    assert "Powód: Zgłoszenie złożone dwukrotnie" in to_cancelled.get_content()
    [to_promoted] = smtp_sink.to("osoba200@ngo.example")
    assert to_promoted["Subject"] == "Zwolniło się miejsce w grupie roboczej"
    assert smtp_sink.to("osoba201@ngo.example") == []

    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.reason) == (moderator.id, "registration_cancelled",
                                                            "Zgłoszenie złożone dwukrotnie")

    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Anulowano zgłoszenie: Osoba 100." in html
    section = group_section(html, small)
    ended = text(table(section, "Zakończone zgłoszenia"))
    assert "Osoba 100" in ended and "anulowane przez urząd" in ended and "Zgłoszenie złożone dwukrotnie" in ended
    assert re.search(r"<td>1</td>\s*<th scope=\"row\">Osoba 201</th>", table(section, "Lista oczekujących"))


def test_cancelling_without_a_reason_reshows_the_page_with_the_error_by_the_field(moderator_client, signup_open,
                                                                                  smtp_sink):
    registration = register(groups()[0], 1)
    smtp_sink.clear()

    response = post(moderator_client, action(registration, "anuluj"), {"cancel_reason": "   "})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    field_id = f"cancel_reason-{registration.id}"
    assert re.search(rf'<p class="field__error" id="{field_id}-error">.*Podaj powód anulowania', html)
    assert f'aria-describedby="{field_id}-hint {field_id}-error" aria-invalid="true" id="{field_id}"' in html
    assert f'<a href="#{field_id}">Powód anulowania: Podaj powód anulowania' in html  # the error summary
    assert html.count('class="error-summary"') == 1 and html.count("<details open>") == 1
    assert reload(registration).status == Status.PENDING and log_rows() == [] and smtp_sink.messages == []


def test_a_stale_form_is_refused_with_what_was_typed_kept(moderator_client, signup_open):
    registration = register(groups()[0], 1)
    response = moderator_client.post(action(registration, "anuluj"), data={"cancel_reason": "Rezygnacja telefoniczna"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz nie został wysłany" in html and 'value="Rezygnacja telefoniczna"' in html
    assert reload(registration).status == Status.PENDING and log_rows() == []


def test_a_stale_confirm_button_is_refused_and_changes_nothing(moderator_client, signup_open):
    registration = register(groups()[0], 1)
    response = moderator_client.post(action(registration, "potwierdz"), data={})
    assert response.status_code == 400 and "Formularz nie został wysłany" in response.get_data(as_text=True)
    assert reload(registration).status == Status.PENDING and log_rows() == []


def test_what_people_typed_is_shown_as_text_never_as_markup(moderator_client, signup_open):
    registration = register(groups()[0], 1, full_name="<b>Jan</b>", prior_activity="<script>alert(1)</script>")
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "<b>Jan</b>" not in html and "&lt;b&gt;Jan&lt;/b&gt;" in html
    assert "<script>alert(1)</script>" not in html
    post(moderator_client, action(registration, "potwierdz"), {})
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Potwierdzono zgłoszenie: &lt;b&gt;Jan&lt;/b&gt;." in html


def test_an_ended_registration_cannot_be_cancelled_again(moderator_client, signup_open):
    registration = register(groups()[0], 1)
    services.withdraw(registration)
    db.session.commit()
    post(moderator_client, action(registration, "anuluj"), {"cancel_reason": "Test"})
    assert reload(registration).status == Status.WITHDRAWN and log_rows() == []
    assert "To zgłoszenie jest już zakończone." in moderator_client.get(OVERVIEW).get_data(as_text=True)


def test_moving_to_a_full_group_is_refused_and_changes_nothing(moderator_client, signup_open, smtp_sink):
    source, full = groups()[0], groups()[3]
    fill(full, 10)
    person = register(source, 1)
    smtp_sink.clear()

    response = post(moderator_client, action(person, "przenies"),
                    {"target_group": str(full.id), "move_reason": "Prośba"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#grupa-{source.id}"
    moved = reload(person)
    assert (moved.group_id, moved.status) == (source.id, Status.PENDING)
    assert log_rows() == [] and smtp_sink.messages == []
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    refusal = f'<p class="flash flash--error">W grupie „{full.name}” nie ma wolnych miejsc.</p>'
    assert refusal in html.replace("&#34;", '"')
    assert "Miejsca zajęte: 10 z 10" in text(group_section(html, full))


def test_moving_a_seat_holder_frees_the_seat_for_the_first_waiting_in_the_old_group(
        moderator_client, moderator, signup_open, smtp_sink):
    old, new = groups()[3], groups()[0]
    holders = fill(old, 10)
    first_waiting = register(old, 200)
    smtp_sink.clear()

    response = post(moderator_client, action(holders[2], "przenies"),
                    {"target_group": str(new.id), "move_reason": "Bliżej jej działalności"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{OVERVIEW}#grupa-{new.id}"

    moved = reload(holders[2])
    assert (moved.group_id, moved.status) == (new.id, Status.PENDING)
    assert reload(first_waiting).status == Status.PENDING
    assert [m["Subject"] for m in smtp_sink.to("osoba102@ngo.example")] == ["Zmiana grupy roboczej"]
    assert [m["Subject"] for m in smtp_sink.to("osoba200@ngo.example")] == ["Zwolniło się miejsce w grupie roboczej"]
    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.reason) == (moderator.id, "registration_moved",
                                                            "Bliżej jej działalności")
    assert entry.before_data["group"] == old.name and entry.after_data["group"] == new.name

    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "Osoba 102" in table(group_section(html, new), "Zajmują miejsce")
    old_section = group_section(html, old)
    assert "Osoba 200" in table(old_section, "Zajmują miejsce") and "Lista oczekujących" not in old_section


def test_moving_someone_from_the_waiting_list_gives_them_a_seat_to_confirm(moderator_client, signup_open):
    old, new = groups()[3], groups()[1]
    fill(old, 10)
    waiting = register(old, 200)
    post(moderator_client, action(waiting, "przenies"), {"target_group": str(new.id), "move_reason": ""})
    moved = reload(waiting)
    assert (moved.group_id, moved.status) == (new.id, Status.PENDING) and moved.hold_expires_at is not None


def test_a_registration_cannot_be_moved_to_its_own_or_another_consultations_group(moderator_client, signup_open):
    person = register(groups()[0], 1)
    response = post(moderator_client, action(person, "przenies"), {"target_group": str(person.group_id)})
    assert response.status_code == 200 and f'id="target_group-{person.id}-error"' in response.get_data(as_text=True)
    response = post(moderator_client, action(person, "przenies"), {"target_group": "999999"})
    assert response.status_code == 200
    assert reload(person).group_id == groups()[0].id and log_rows() == []


# --- the meeting's link -----------------------------------------------------------------------

def test_staff_set_the_meeting_link_and_the_change_is_logged(moderator_client, moderator, signup_open):
    meeting = db.session.scalar(select(Meeting))
    meeting.join_url = ""
    services.register_for_meeting(meeting, services.Applicant("Jan Kowalski", "jan@ngo.example", "Klub Sportowy", True))
    db.session.commit()
    url = f"/zespol/spotkania/{meeting.id}/link"
    assert "jeszcze nie podano" in moderator_client.get(OVERVIEW).get_data(as_text=True)

    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    meetings_part = html.split('id="spotkania"', 1)[1]
    row = text(table(meetings_part, "Zgłoszenia na spotkanie"))
    assert "Jan Kowalski" in row and "jan@ngo.example" in row and "czeka na potwierdzenie adresu e-mail" in row

    response = post(moderator_client, url, {"join_url": "http://meet.example.org/abc"})
    assert response.status_code == 200
    assert f'id="join_url-{meeting.id}-error"' in response.get_data(as_text=True)
    assert reload(meeting).join_url == ""

    response = post(moderator_client, url, {"join_url": " https://meet.example.org/abc-def "})
    assert response.status_code == 303 and response.headers["Location"] == f"{OVERVIEW}#spotkanie-{meeting.id}"
    assert reload(meeting).join_url == "https://meet.example.org/abc-def"
    [entry] = log_rows()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        moderator.id, "meeting_link_set", "meeting", meeting.id)
    assert entry.before_data == {"join_url": ""}
    assert entry.after_data == {"join_url": "https://meet.example.org/abc-def"}
    assert 'value="https://meet.example.org/abc-def"' in moderator_client.get(OVERVIEW).get_data(as_text=True)

    post(moderator_client, url, {"join_url": "https://meet.example.org/abc-def"})  # the same again: no new log row
    assert len(log_rows()) == 1


def test_changing_a_link_already_sent_warns_staff_to_write_to_those_people(moderator_client, signup_open, frozen_clock):
    meeting = db.session.scalar(select(Meeting))
    registration = services.register_for_meeting(
        meeting, services.Applicant("Jan Kowalski", "jan@ngo.example", "Klub Sportowy", True))
    services.confirm_meeting(registration)
    meeting.join_url = "https://meet.example.org/old"
    db.session.commit()
    frozen_clock.set_local("2020-09-03 10:00:00")
    assert services.send_meeting_links() == 1
    db.session.commit()

    post(moderator_client, f"/zespol/spotkania/{meeting.id}/link", {"join_url": "https://meet.example.org/new"})
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert "1 osoba dostała już poprzedni link" in html
    meeting_table = table(html.split('id="spotkania"', 1)[1], "Zgłoszenia na spotkanie")
    assert "3 września 2020 r., godz. 10:00" in text(meeting_table)  # when the link went out


# --- exports ----------------------------------------------------------------------------------

@pytest.fixture
def tricky(signup_open):
    """A seat holder whose organisation name is a spreadsheet formula, and a waiting person."""
    small = groups()[3]
    register(small, 1, full_name="Zażółć Gęślą Jaźń", organisation_name='=HYPERLINK("http://evil")',
             prior_activity="+48 600 100 200\nwiersz drugi, z przecinkiem", organisation_contact="@biuro")
    fill(small, 9)
    register(small, 200)
    return small


def test_csv_export_neutralises_formulas_and_keeps_polish_letters(moderator_client, tricky):
    response = moderator_client.get(CSV_URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="zapisy-{SLUG}.csv"'
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Grupa robocza", "Stan", "Miejsce na liście oczekujących", "Imię i nazwisko"]
    assert len(body) == 11
    person = dict(zip(header, next(row for row in body if row[3] == "Zażółć Gęślą Jaźń")))
    assert person["Nazwa organizacji"] == "'=HYPERLINK(\"http://evil\")"
    activity = person["Dotychczasowe działania w organizacjach pozarządowych"]
    assert activity == "'+48 600 100 200\nwiersz drugi, z przecinkiem"  # quoted: a line break and a comma
    assert person["Dane kontaktowe organizacji"] == "'@biuro"
    assert person["Grupa robocza"] == tricky.name
    assert person["Stan"] == "miejsce zarezerwowane — czeka na potwierdzenie"
    assert person["Zgłoszenie wysłano (czas polski)"] == "2020-08-24 12:00"
    assert person["Rezerwacja ważna do (czas polski)"] == "2020-08-26 12:00"
    waiting = dict(zip(header, body[-1]))
    assert (waiting["Imię i nazwisko"], waiting["Stan"], waiting["Miejsce na liście oczekujących"]) == (
        "Osoba 200", "lista oczekujących", "1")
    for row in body:
        assert not any(cell.startswith(spreadsheets.FORMULA_STARTS) for cell in row)


def test_xlsx_export_has_no_formulas_and_keeps_polish_letters(moderator_client, tricky):
    response = moderator_client.get(XLSX_URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="zapisy-{SLUG}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=False))
    header = [cell.value for cell in rows[0]]
    assert len(rows) == 12
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            assert not (isinstance(cell.value, str) and cell.value.startswith(spreadsheets.FORMULA_STARTS))
    person = {h: c.value for h, c in zip(header, next(r for r in rows if r[3].value == "Zażółć Gęślą Jaźń"))}
    assert person["Nazwa organizacji"] == "'=HYPERLINK(\"http://evil\")"
    assert person["Nazwa organizacji"].startswith("'")
    assert person["Zgłoszenie wysłano (czas polski)"].strftime("%Y-%m-%d %H:%M") == "2020-08-24 12:00"
    last = {h: c.value for h, c in zip(header, rows[-1])}
    assert (last["Imię i nazwisko"], last["Miejsce na liście oczekujących"]) == ("Osoba 200", 1)


def test_exports_are_logged_as_personal_data_leaving_the_system(moderator_client, moderator, tricky):
    moderator_client.get(CSV_URL)
    moderator_client.get(XLSX_URL)
    assert [(e.actor_id, e.action, e.target_type, e.after_data) for e in log_rows()] == [
        (moderator.id, "registrations_exported", "consultation", {"format": "csv", "rows": 11}),
        (moderator.id, "registrations_exported", "consultation", {"format": "xlsx", "rows": 11})]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+48 600", "'+48 600"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Fundacja", "Fundacja"), ("a=b", "a=b"), ("", ""),
    (None, None), (3, 3)])
def test_safe_cell(value, expected):
    assert spreadsheets.safe_cell(value) == expected


def test_control_characters_cannot_uncover_a_formula(moderator_client, signup_open):
    register(groups()[0], 1, organisation_name="\x01=cmd|' /C calc'!A0")
    sheet = load_workbook(io.BytesIO(moderator_client.get(XLSX_URL).get_data())).active
    values = [cell.value for cell in sheet[2]]
    assert "'=cmd|' /C calc'!A0" in values
    body = moderator_client.get(CSV_URL).get_data().decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in body


# --- who may do it ----------------------------------------------------------------------------

def staff_requests(registration, meeting):
    return [
        ("get", OVERVIEW, {}),
        ("get", CSV_URL, {}),
        ("get", XLSX_URL, {}),
        ("post", action(registration, "potwierdz"), {}),
        ("post", action(registration, "anuluj"), {"cancel_reason": "x"}),
        ("post", action(registration, "przenies"), {"target_group": str(groups()[1].id)}),
        ("post", f"/zespol/spotkania/{meeting.id}/link", {"join_url": "https://evil.example.org/"}),
    ]


def test_participants_get_403_on_every_staff_page_and_action(client, jan, signup_open):
    registration = register(groups()[0], 1)
    meeting = db.session.scalar(select(Meeting))
    link = meeting.join_url
    login_as(client, jan)
    token = form_token(client, "/")
    for method, url, data in staff_requests(registration, meeting):
        response = getattr(client, method)(url, data={**data, "csrf_token": token})
        assert response.status_code == 403, (method, url)
    assert reload(registration).status == Status.PENDING and reload(meeting).join_url == link and log_rows() == []


def test_anonymous_visitors_are_sent_to_log_in_on_every_staff_page_and_action(client, signup_open):
    registration = register(groups()[0], 1)
    meeting = db.session.scalar(select(Meeting))
    for method, url, data in staff_requests(registration, meeting):
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/logowanie"), (method, url)
    assert reload(registration).status == Status.PENDING and log_rows() == []


def test_admins_are_staff_too(admin_client, signup_open):
    register(groups()[0], 1)
    assert admin_client.get(OVERVIEW).status_code == 200
    assert admin_client.get(CSV_URL).status_code == 200


def test_an_unknown_consultation_or_registration_is_404(moderator_client, signup_open):
    assert moderator_client.get("/zespol/konsultacje/nie-ma-takich/zapisy").status_code == 404
    assert moderator_client.get("/zespol/konsultacje/nie-ma-takich/zapisy.csv").status_code == 404
    assert post(moderator_client, "/zespol/zgloszenia/999999/anuluj", {"cancel_reason": "x"}).status_code == 404
    assert post(moderator_client, "/zespol/spotkania/999999/link",
                {"join_url": "https://a.example.org"}).status_code == 404


def test_personal_data_responses_are_never_cached(moderator_client, signup_open):
    registration = register(groups()[0], 1)
    for response in (moderator_client.get(OVERVIEW), moderator_client.get(CSV_URL), moderator_client.get(XLSX_URL),
                     post(moderator_client, action(registration, "anuluj"), {"cancel_reason": ""}),
                     post(moderator_client, action(registration, "potwierdz"), {})):
        assert response.headers["Cache-Control"] == "no-store"


# --- cost -------------------------------------------------------------------------------------

def test_the_overview_runs_the_same_few_queries_for_5_and_100_registrations(app, moderator, signup_open,
                                                                          count_queries):
    moderator_id = moderator.id

    def queries() -> int:
        client = app.test_client()
        login_as(client, db.session.get(type(moderator), moderator_id))
        with count_queries() as counted:
            response = client.get(OVERVIEW)
        assert response.status_code == 200
        return counted.count

    for n in range(5):
        register(groups()[n % 5], n)
    few = queries()

    for n in range(5, 100):  # seat holders, waiting lists (groups of 12 and 10) and ended ones
        registration = register(groups()[n % 5], n)
        if n % 7 == 0:
            services.withdraw(registration)
    meeting = db.session.scalar(select(Meeting))
    for n in range(20):
        services.register_for_meeting(meeting, services.Applicant(f"Gość {n}", f"gosc{n}@ngo.example", "Org", True))
    db.session.commit()
    assert db.session.scalar(select(db.func.count(GroupRegistration.id))) == 100
    assert db.session.scalar(select(db.func.count(MeetingRegistration.id))) == 20
    many = queries()
    assert few == many <= 8
