"""Staff download the online meeting's registrations (CSV and Excel), as they do the groups'.

The same writers and the same formula neutralisation as the groups' export: a name typed as
"=HYPERLINK(...)" must reach the spreadsheet as text. Registrations are made through the service
(as the public form would) during the demo consultation's sign-up; staff then drive the real pages.
"""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock, spreadsheets
from portal.audit import AuditLog
from portal.extensions import db
from portal.registrations import exports, retention, services
from portal.registrations.models import Meeting
from tests.conftest import login_as

SLUG = "program-wspolpracy-2021"
OVERVIEW = f"/zespol/konsultacje/{SLUG}/zapisy"
CSV_URL = f"/zespol/konsultacje/{SLUG}/zapisy-spotkania.csv"
XLSX_URL = f"/zespol/konsultacje/{SLUG}/zapisy-spotkania.xlsx"
EVIL = '=HYPERLINK("http://evil","Zażółć")'


@pytest.fixture
def registered(torun, frozen_clock):
    """Three people signed up for the demo meeting: a formula for a name (confirmed), one withdrawn,
    one whose data retention has erased."""
    frozen_clock.set_local("2020-08-24 12:00:00")
    meeting = db.session.scalar(select(Meeting))
    evil = services.register_for_meeting(meeting, services.Applicant(
        EVIL, "zazolc@ngo.example", "+Gęślą Jaźń", True, phone="-600 100 200"))
    frozen_clock.set_local("2020-08-24 12:30:00")
    services.confirm_meeting(evil)
    gone = services.register_for_meeting(meeting, services.Applicant(
        "Łukasz Wójcik", "lukasz@ngo.example", "Fundacja Ćma", True))
    services.withdraw_meeting(gone)
    erased = services.register_for_meeting(meeting, services.Applicant(
        "Ewa Nowak", "ewa@ngo.example", "Klub Sportowy", True))
    retention.erase_personal_data(erased, clock.now_utc())
    db.session.commit()
    return meeting


def csv_rows(client) -> list[dict]:
    response = client.get(CSV_URL)
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *body = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    return [dict(zip(header, row)) for row in body]


def log_rows() -> list[AuditLog]:
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()


def test_the_staff_page_links_to_both_meeting_exports(moderator_client, registered):
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    assert f'href="{CSV_URL}" download>Pobierz zgłoszenia na spotkania (CSV)' in html
    assert f'href="{XLSX_URL}" download>Pobierz zgłoszenia na spotkania (Excel, XLSX)' in html


def test_csv_export_of_meetings_neutralises_formulas_and_keeps_polish_letters(moderator_client, registered):
    response = moderator_client.get(CSV_URL)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="zapisy-spotkania-{SLUG}.csv"'
    rows = csv_rows(moderator_client)
    assert len(rows) == 3
    person = rows[0]
    assert person["Imię i nazwisko"] == "'" + EVIL
    assert person["Nazwa organizacji"] == "'+Gęślą Jaźń"
    assert person["Telefon"] == "'-600 100 200"
    assert person["Spotkanie"] == registered.title
    assert person["Termin spotkania (czas polski)"] == "2020-09-03 16:30"
    assert person["Stan"] == "potwierdzone"
    assert person["Zgłoszenie wysłano (czas polski)"] == "2020-08-24 12:00"
    assert person["Potwierdzono (czas polski)"] == "2020-08-24 12:30"
    assert person["Zgoda na nagrywanie"] == "tak"
    for row in rows:
        assert not any(value.startswith(spreadsheets.FORMULA_STARTS) for value in row.values())


def test_xlsx_export_of_meetings_has_no_formulas_and_keeps_polish_letters(moderator_client, registered):
    response = moderator_client.get(XLSX_URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="zapisy-spotkania-{SLUG}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.title == "Zapisy na spotkania"
    rows = list(sheet.iter_rows())
    assert len(rows) == 4
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            assert not (isinstance(cell.value, str) and cell.value.startswith(spreadsheets.FORMULA_STARTS))
    header = [cell.value for cell in rows[0]]
    person = {h: cell.value for h, cell in zip(header, rows[1])}
    assert person["Imię i nazwisko"] == "'" + EVIL
    assert person["Nazwa organizacji"] == "'+Gęślą Jaźń"
    assert person["Termin spotkania (czas polski)"].strftime("%Y-%m-%d %H:%M") == "2020-09-03 16:30"


def test_control_characters_cannot_uncover_a_formula_in_meeting_exports(moderator_client, torun, frozen_clock):
    frozen_clock.set_local("2020-08-24 12:00:00")
    services.register_for_meeting(db.session.scalar(select(Meeting)), services.Applicant(
        "\x01=cmd|' /C calc'!A0", "x@ngo.example", "Klub", True))
    db.session.commit()
    sheet = load_workbook(io.BytesIO(moderator_client.get(XLSX_URL).get_data())).active
    assert "'=cmd|' /C calc'!A0" in [cell.value for cell in sheet[2]]
    assert "'=cmd|' /C calc'!A0" in moderator_client.get(CSV_URL).get_data().decode("utf-8-sig")


def test_the_rows_match_what_the_staff_page_shows(moderator_client, registered):
    rows = csv_rows(moderator_client)
    html = moderator_client.get(OVERVIEW).get_data(as_text=True)
    meeting_part = html.split('id="spotkania"', 1)[1]
    page_rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", meeting_part, re.S)
    assert len(page_rows) == len(rows) == 3
    for row, page_row in zip(rows, page_rows):
        page_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_row)).replace("&#34;", '"')
        assert row["Stan"] in page_text
        assert row["Nazwa organizacji"].removeprefix("'") in page_text
    assert [row["Stan"] for row in rows] == ["potwierdzone", "wycofane", "czeka na potwierdzenie adresu e-mail"]
    assert rows[1]["Imię i nazwisko"] == "Łukasz Wójcik" and rows[1]["Wycofano (czas polski)"] == "2020-08-24 12:30"
    erased = rows[2]
    assert (erased["Imię i nazwisko"], erased["Adres e-mail"], erased["Telefon"]) == (
        "dane usunięte", "dane usunięte", "")
    assert "usunieto-" not in "".join(erased.values())


def test_meeting_exports_are_logged_as_personal_data_leaving_the_system(moderator_client, moderator, registered):
    moderator_client.get(CSV_URL)
    moderator_client.get(XLSX_URL)
    meetings = {"zapisy": "spotkania"}
    assert [(e.actor_id, e.action, e.target_type, e.after_data) for e in log_rows()] == [
        (moderator.id, "registrations_exported", "consultation", {"format": "csv", "rows": 3, "filter": meetings}),
        (moderator.id, "registrations_exported", "consultation", {"format": "xlsx", "rows": 3, "filter": meetings})]


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_participants_get_403_and_nothing_is_logged(client, jan, registered, url):
    login_as(client, jan)
    assert client.get(url).status_code == 403
    assert log_rows() == []


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_anonymous_visitors_are_sent_to_log_in(client, registered, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/logowanie")
    assert log_rows() == []


def test_an_unknown_consultation_is_404(moderator_client, registered):
    assert moderator_client.get("/zespol/konsultacje/nie-ma-takich/zapisy-spotkania.csv").status_code == 404


# --- the columns issue 15 added: applicant data, recording, accessibility needs, attendance ---

NEW_COLUMNS = ("Podstawa nagrywania", "Zgoda na nagrywanie", "Potrzeby dostępności", "Potrzeby dostępności — opis",
               "Zgoda na dane o potrzebach dostępności (czas polski)", "Powód zakończenia", "Obecność")
MEETING_ONLY = ("Adres siedziby organizacji", "Dane kontaktowe organizacji",
                "Dotychczasowe działania w organizacjach pozarządowych")


def _typed_as_formulas(registration) -> None:
    """What a person may type (or a forged form may send) in the fields the new columns show."""
    registration.organisation_address = "=HYPERLINK(\"http://evil\",\"Adres\")"
    registration.organisation_contact = "@SUM(1+1)"
    registration.prior_activity = "+48 600 100 200\nwiersz drugi"
    registration.accessibility_needs = "pjm,other,=cmd"
    registration.accessibility_details = "-2+3 pętla indukcyjna"
    registration.accessibility_consent_at = clock.now_utc()
    registration.recording_basis = "consent"
    registration.recording_consent = False
    registration.attended = True


def test_the_new_columns_of_both_exports_neutralise_formulas(moderator_client, torun, frozen_clock):
    from portal.consultations.models import Consultation
    from portal.registrations.models import WorkingGroup

    frozen_clock.set_local("2020-08-24 12:00:00")
    group = db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))
    seat = services.take_seat(db.session.get(Consultation, group.consultation_id), group, services.Applicant(
        "Anna Nowak", "anna@ngo.example", "Fundacja", True))
    guest = services.register_for_meeting(db.session.scalar(select(Meeting)), services.Applicant(
        "Jan Nowak", "jan@ngo.example", "Klub", True))
    for registration in (seat, guest):
        _typed_as_formulas(registration)
    db.session.commit()

    group_csv = f"/zespol/konsultacje/{SLUG}/zapisy.csv"
    group_xlsx = f"/zespol/konsultacje/{SLUG}/zapisy.xlsx"
    for url, columns in ((CSV_URL, NEW_COLUMNS + MEETING_ONLY), (group_csv, NEW_COLUMNS + MEETING_ONLY)):
        header, row = csv.reader(io.StringIO(moderator_client.get(url).get_data().decode("utf-8-sig"), newline=""))
        person = dict(zip(header, row))
        assert set(columns) <= set(header), url
        assert not any(value.startswith(spreadsheets.FORMULA_STARTS) for value in row), url
        assert person["Adres siedziby organizacji"] == "'=HYPERLINK(\"http://evil\",\"Adres\")"
        assert person["Dane kontaktowe organizacji"] == "'@SUM(1+1)"
        assert person["Dotychczasowe działania w organizacjach pozarządowych"] == "'+48 600 100 200\nwiersz drugi"
        assert person["Potrzeby dostępności"] == "PJM, inne, =cmd"  # inside the text: not a formula
        assert person["Potrzeby dostępności — opis"] == "'-2+3 pętla indukcyjna"
        assert (person["Podstawa nagrywania"], person["Zgoda na nagrywanie"]) == (
            "zgoda (art. 6 ust. 1 lit. a RODO)", "nie")
        assert person["Zgoda na dane o potrzebach dostępności (czas polski)"] == "2020-08-24 12:00"
        assert person["Obecność"] == "obecność"
    for url in (XLSX_URL, group_xlsx):
        rows = list(load_workbook(io.BytesIO(moderator_client.get(url).get_data())).active.iter_rows())
        header = [cell.value for cell in rows[0]]
        assert set(NEW_COLUMNS) <= set(header), url
        for cell in rows[1]:
            assert cell.data_type != "f", (url, cell.coordinate)
            assert not (isinstance(cell.value, str) and cell.value.startswith(spreadsheets.FORMULA_STARTS)), url
        person = {h: cell.value for h, cell in zip(header, rows[1])}
        assert person["Potrzeby dostępności — opis"] == "'-2+3 pętla indukcyjna" and person["Obecność"] == "obecność"
