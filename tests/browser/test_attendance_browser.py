"""A moderator marks who came to a working group's and an online meeting's session, with the
keyboard only, then downloads the lists and finds attendance and accessibility needs in them.

The demo consultation (Toruń 2021, original 2020 dates): people sign up during the group sign-up
(24 August 2020) through the services, as the public forms would; their accessibility needs
and recording answers are set on the rows, as the sign-up forms store them. The clock then
moves past the sessions (groups 31 August and 1 September, the meeting 3 September). "Keyboard"
means only Tab, arrow keys, Space and Enter — never a click.
"""
import csv
import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import services
from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, WorkingGroup
from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
OVERVIEW = f"/zespol/konsultacje/{SLUG}/zapisy"
MAX_TABS = 400
LONG_URL = ("https://www.bip.torun.pl/dokumenty/programy/wspolpraca-z-organizacjami-pozarzadowymi/"
            "2021/projekt-programu-wspolpracy-miasta-torunia-z-organizacjami-pozarzadowymi.pdf")


# --- the data ---------------------------------------------------------------------------------

def _applicant(n: int, **fields) -> services.Applicant:
    """Long names and addresses, as real ones can be: the table must still fit."""
    return services.Applicant(
        full_name=fields.pop("full_name", f"Małgorzata Brzęczyszczykiewicz-Wiśniewska {n}"),
        email=f"malgorzata.brzeczyszczykiewicz.wisniewska.{n}@stowarzyszenie-przykladowe.example",
        organisation_name="Stowarzyszenie na rzecz Rozwoju Społeczeństwa Obywatelskiego „Przykład”",
        recording_consent=True, phone="+48 600 100 200",
        organisation_address="ul. Mikołaja Kopernika 123/45, 87-100 Toruń",
        organisation_contact="sekretariat@stowarzyszenie-przykladowe.example",
        prior_activity=f"Warsztaty dla seniorów, {LONG_URL}", **fields)


def _needs(registration, codes: str, details: str = "", consent: bool = True) -> None:
    registration.accessibility_needs = codes
    registration.accessibility_details = details
    registration.accessibility_consent_at = clock.now_utc() if codes else None
    registration.recording_basis = "consent"
    registration.recording_consent = consent


@pytest.fixture
def scene(app, torun, frozen_clock):
    """Group 1: three confirmed and a pending one; the meeting: two confirmed, one pending."""
    frozen_clock.set_local("2020-08-24 12:00:00")
    consultation = db.session.get(Consultation, torun.id)
    group = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).first()
    meeting = db.session.scalar(select(Meeting))
    with app.test_request_context():
        people = [services.take_seat(consultation, group, _applicant(n)) for n in range(4)]
        for person in people[:3]:
            services.confirm(person)
        _needs(people[0], "pjm,other", "Pętla indukcyjna")
        _needs(people[1], "captions", consent=False)
        guests = [services.register_for_meeting(meeting, _applicant(10 + n, full_name=name))
                  for n, name in enumerate(("Jan Kowalski-Zabłocki", "Ewa Wiśniewska", "Piotr Nowak"))]
        for guest in guests[:2]:
            services.confirm_meeting(guest)
        _needs(guests[0], "captions")
        db.session.commit()
    frozen_clock.set_local("2020-09-04 12:00:00")  # after both groups' sessions and the meeting
    return group, meeting, people, guests


# --- helpers ----------------------------------------------------------------------------------

def tab_to(page, locator, key: str = "Tab") -> None:
    """Press Tab until the element has the focus, as a keyboard user moves through the page."""
    handle = locator.element_handle()
    for _ in range(MAX_TABS):
        if page.evaluate("el => document.activeElement === el", handle):
            return
        page.keyboard.press(key)
    raise AssertionError(f"Tab never reached {locator}")


def download(page, link_name: str) -> bytes:
    link = page.get_by_role("link", name=link_name)
    tab_to(page, link)
    with page.expect_download() as downloaded:
        page.keyboard.press("Enter")
    with open(downloaded.value.path(), "rb") as file:
        return file.read()


def csv_rows(content: bytes) -> list[dict]:
    header, *body = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return [dict(zip(header, row)) for row in body]


def xlsx_rows(content: bytes) -> list[dict]:
    header, *body = load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    return [dict(zip(header, row)) for row in body]


def mark_with_the_keyboard(page, table_name: str, choices: list[str]) -> None:
    """In the table's radio pairs, in order: "present" (Space on the first radio) or "absent"
    (the arrow key moves to the second and selects it); then Tab to the button and Enter."""
    table = page.get_by_role("table", name=table_name)
    pairs = table.get_by_role("group")
    tab_to(page, pairs.nth(0).get_by_role("radio", name="obecność", exact=True))
    for index, choice in enumerate(choices):
        pair = pairs.nth(index)
        if index:
            page.keyboard.press("Tab")  # to the next pair (its first radio: none is checked yet)
        expect(pair.get_by_role("radio", name="obecność", exact=True)).to_be_focused()
        page.keyboard.press("Space" if choice == "present" else "ArrowRight")
        expect(pair.get_by_role("radio", name="obecność" if choice == "present" else "nieobecność",
                                exact=True)).to_be_checked()
    form = page.locator("form").filter(has=table)
    tab_to(page, form.get_by_role("button", name="Zapisz obecność"))
    page.keyboard.press("Enter")


def shoot(page, name: str) -> None:
    """Screenshots for a person to look at, when asked for: WSPOLNIE_SHOTS=<folder>."""
    folder = os.environ.get("WSPOLNIE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


# --- the story --------------------------------------------------------------------------------

@pytest.mark.browser
def test_a_moderator_marks_attendance_with_the_keyboard_and_downloads_it_with_the_needs(
        page, live_server, scene, moderator, assert_accessible):
    group, meeting, people, guests = scene
    log_in_with_the_form(page, moderator.email)
    page.goto(OVERVIEW)
    shoot(page, "overview-1280-before.png")

    group_table = f"Obecność na spotkaniu grupy „{group.name}”"
    mark_with_the_keyboard(page, group_table, ["present", "absent", "present"])
    expect(page.get_by_text("Zapisano obecność. Obecność: 2, nieobecność: 1, bez zaznaczenia: 0.")).to_be_visible()

    meeting_table = f"Obecność na spotkaniu „{meeting.title}”"
    mark_with_the_keyboard(page, meeting_table, ["absent", "present"])
    expect(page.get_by_text("Zapisano obecność. Obecność: 1, nieobecność: 1, bez zaznaczenia: 0.")).to_be_visible()

    db.session.expire_all()
    assert [db.session.get(GroupRegistration, p.id).attended for p in people] == [True, False, True, None]
    assert [db.session.get(MeetingRegistration, g.id).attended for g in guests] == [False, True, None]
    # The page shows what is stored: the radios as saved.
    expect(page.get_by_role("table", name=group_table).get_by_role("radio", name="nieobecność").nth(1)).to_be_checked()
    assert_accessible(page)
    shoot(page, "overview-1280-after.png")

    groups_csv = csv_rows(download(page, "Pobierz zgłoszenia do grup (CSV)"))
    by_name = {row["Imię i nazwisko"]: row for row in groups_csv}
    first, second, fourth = (by_name[people[n].full_name] for n in (0, 1, 3))
    assert (first["Obecność"], second["Obecność"], fourth["Obecność"]) == ("obecność", "nieobecność", "—")
    assert first["Potrzeby dostępności"] == "PJM, inne" and first["Potrzeby dostępności — opis"] == "Pętla indukcyjna"
    assert second["Potrzeby dostępności"] == "napisy na żywo" and second["Zgoda na nagrywanie"] == "nie"
    assert second["Podstawa nagrywania"] == "zgoda (art. 6 ust. 1 lit. a RODO)"

    meetings_xlsx = xlsx_rows(download(page, "Pobierz zgłoszenia na spotkania (Excel, XLSX)"))
    assert [(row["Imię i nazwisko"], row["Obecność"], row["Potrzeby dostępności"]) for row in meetings_xlsx] == [
        ("Jan Kowalski-Zabłocki", "nieobecność", "napisy na żywo"), ("Ewa Wiśniewska", "obecność", None),
        ("Piotr Nowak", "—", None)]
    assert meetings_xlsx[0]["Adres siedziby organizacji"] == "ul. Mikołaja Kopernika 123/45, 87-100 Toruń"


@pytest.mark.browser
def test_before_the_session_there_is_no_attendance_form(page, live_server, scene, moderator, frozen_clock):
    frozen_clock.set_local("2020-08-31 16:29:00")  # a minute before the groups' session
    log_in_with_the_form(page, moderator.email)
    page.goto(OVERVIEW)
    expect(page.get_by_role("button", name="Zapisz obecność")).to_have_count(0)
    expect(page.get_by_text("Obecność zaznaczysz po rozpoczęciu spotkania (31 sierpnia 2020 r., godz. 16:30).")
           .first).to_be_visible()


@pytest.mark.browser
def test_the_overview_fits_a_1280_px_screen_and_reflows_at_320(page, live_server, scene, moderator,
                                                              assert_accessible):
    """Long names, addresses and links: at 1280 px no table needs its scroll box; at 320 px
    the page does not scroll sideways (a table scrolls in its own box)."""
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in_with_the_form(page, moderator.email)
    page.goto(OVERVIEW)
    expect(page.get_by_role("table").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    boxes = page.locator(".table-scroll")
    assert boxes.count() >= 4
    for box in boxes.all():
        caption = box.locator("caption").inner_text()
        fits = box.evaluate("""el => ({box: el.getBoundingClientRect().width,
                                      container: el.parentElement.getBoundingClientRect().width,
                                      table: el.scrollWidth, visible: el.clientWidth})""")
        assert fits["box"] <= fits["container"], (caption, fits)
        assert fits["table"] <= fits["visible"], (caption, fits)  # nothing hidden to scroll to
    # A cancel form opened in a row stays inside the page.
    page.get_by_text("Anuluj: Piotr Nowak").click()
    expect(page.get_by_role("textbox", name="Powód anulowania").last).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    shoot(page, "overview-1280-cancel-open.png")
    assert_accessible(page)

    # Narrower, the widest table scrolls in its box, from the keyboard too.
    page.set_viewport_size({"width": 800, "height": 800})
    page.goto(OVERVIEW)
    box = page.locator(".table-scroll").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: nothing to scroll"
    tab_to(page, box)
    assert box.evaluate("el => getComputedStyle(el).outlineStyle") != "none", "no visible focus"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())

    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(OVERVIEW)
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{width} px wide at {viewport} px"
    shoot(page, "overview-320.png")
    assert_accessible(page)
