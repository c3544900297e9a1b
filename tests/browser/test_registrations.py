"""Signing up for a working group or an online meeting in a real browser, and the private link.

Each test seeds the demo consultation (Toruń 2021, original 2020 dates) and freezes the one
clock *before* the page is opened; the server thread reads the same clock, so moving it
between two page loads is how a test crosses a deadline. E-mail goes through the real SMTP
sink; a link from a message is opened as its path on the live server. Where a story says
"keyboard", the test uses only Tab, arrow keys, typing, Space and Enter — never a click.
"""
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.consultations.models import Consultation
from portal.extensions import db
from portal.registrations import services
from portal.registrations.models import WorkingGroup

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None


SLUG = "program-wspolpracy-2021"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
GROUP_FORM = f"{ANNOUNCEMENT}/grupy-robocze/zapis"
DURING_SIGNUP = "2020-08-24 12:00:00"        # group sign-up is open 21–27 August 2020
LAST_MINUTE = "2020-08-27 23:59:00"
SIGNUP_CLOSED = "2020-08-28 00:00:00"
BEFORE_MEETING_DEADLINE = "2020-09-02 12:00:00"  # the online meeting takes sign-ups until 3 Sept 10:00

THIRD_GROUP = "Wspieranie i promocja wolontariatu"
FULL_GROUP = "Wspieranie działalności na rzecz osób niepełnosprawnych"
MEETING_TITLE = "Spotkanie online: omówienie propozycji do programu"

PERSON = {
    "full_name": "Anna Nowak",
    "email": "anna@fundacja.example",
    "phone": "600 100 200",
    "organisation_name": "Fundacja Rowerowa",
    "organisation_address": "ul. Szeroka 1, 87-100 Toruń",
    "organisation_contact": "biuro@fundacja.example",
    "prior_activity": "Od pięciu lat prowadzę warsztaty naprawy rowerów dla seniorów.",
}
GROUP_TEXT_FIELDS = ("full_name", "email", "phone", "organisation_name",
                     "organisation_address", "organisation_contact", "prior_activity")
MAX_TABS = 60


# --- helpers -------------------------------------------------------------------------------

def active_element(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute('type'),
                name: el.getAttribute('name'), checked: !!el.checked,
                text: (el.textContent || '').trim(), href: el.getAttribute('href'),
                inMain: !!el.closest('main')};
    }""")


class Keyboard:
    """Tab, type and press on one page, remembering every element Tab landed on."""

    def __init__(self, page):
        self.page = page
        self.visited: list[dict] = []

    def tab(self) -> dict:
        self.page.keyboard.press("Tab")
        focused = active_element(self.page)
        self.visited.append(focused)
        return focused

    def tab_to(self, wanted, description: str, max_presses: int = MAX_TABS) -> dict:
        """Press Tab until `wanted(active_element)` holds; fail (saying where focus ended) if never."""
        focused = None
        for _ in range(max_presses):
            focused = self.tab()
            if wanted(focused):
                return focused
        pytest.fail(f"{max_presses} presses of Tab never reached {description}; ended on {focused}")

    def tab_to_field(self, field_id: str) -> dict:
        return self.tab_to(lambda el: el["id"] == field_id, f"the field #{field_id}")

    def tab_to_link(self, text: str) -> dict:
        return self.tab_to(lambda el: el["inMain"] and el["tag"] == "a" and el["text"] == text,
                           f"the link {text!r}")

    def tab_to_button(self, text: str) -> dict:
        return self.tab_to(lambda el: el["inMain"] and el["tag"] == "button" and el["text"] == text,
                           f"the button {text!r}")

    def ids_visited(self) -> list[str]:
        return [el["id"] for el in self.visited]


def path_of(link: str) -> str:
    """The path and query of an e-mailed link, to open on the live server."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def heading(page):
    return page.get_by_role("heading", level=1)


def link_name(action: str, title: str) -> re.Pattern:
    """A link whose visually hidden part names the meeting ("Zapisz się na spotkanie: <title>").

    Chromium joins the hidden span with a space ("… spotkanie : …"): either spelling is fine.
    """
    return re.compile(rf"^{re.escape(action)}\s?: {re.escape(title)}$")


def registration_state(page):
    """The "Stan" value on the private page."""
    return page.locator("dl.facts dd").last


def group_named(name: str) -> WorkingGroup:
    return db.session.scalar(select(WorkingGroup).where(WorkingGroup.name == name))


def fill_group(app, base_url: str, group_id: int, count: int, start: int = 100) -> None:
    """`count` people take seats (or waiting places) through the service, as in tests/test_registrations.py.

    In a request context of its own: the e-mails queued for them carry a private link, and with
    SERVER_NAME unset (browser tests) only a request can say which host it points to.
    """
    with app.test_request_context("/", base_url=base_url):
        group = db.session.get(WorkingGroup, group_id)
        consultation = db.session.get(Consultation, group.consultation_id)
        for n in range(start, start + count):
            services.take_seat(consultation, group, services.Applicant(
                f"Osoba {n}", f"osoba{n}@ngo.example", f"Org {n}", True))
        db.session.commit()


def fill_group_form(page, group_name: str, person: dict = PERSON) -> None:
    """The whole sign-up form with fill/check (for the stories that are not about the keyboard)."""
    page.get_by_role("group", name="Grupa robocza").get_by_label(group_name, exact=True).check()
    for field_id in GROUP_TEXT_FIELDS:
        page.locator(f"#{field_id}").fill(person[field_id])
    page.locator("#recording_consent").check()
    page.locator("#privacy_notice").check()


# --- 1. the whole journey, keyboard only ----------------------------------------------------

def test_a_keyboard_user_signs_up_for_a_working_group_and_confirms_by_email(
        torun, frozen_clock, page, smtp_sink, assert_accessible):
    frozen_clock.set_local(DURING_SIGNUP)
    page.goto(ANNOUNCEMENT)

    keys = Keyboard(page)
    keys.tab_to_link("Zapisz się do grupy roboczej")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(GROUP_FORM) + "$"))
    expect(heading(page)).to_have_text("Zapis do grupy roboczej")
    assert_accessible(page)  # the empty form

    # Into the radio group with Tab, then the arrow keys pick the third group.
    keys = Keyboard(page)
    first = keys.tab_to(lambda el: el["tag"] == "input" and el["name"] == "group",
                        "the first working-group radio")
    radios = page.get_by_role("group", name="Grupa robocza").get_by_role("radio")
    expect(radios).to_have_count(5)
    assert first["id"] == radios.nth(0).get_attribute("id"), first
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    third = radios.nth(2)
    expect(third).to_be_focused()
    expect(third).to_be_checked()
    expect(page.get_by_label(THIRD_GROUP, exact=True)).to_be_checked()
    for other in (0, 1, 3, 4):
        expect(radios.nth(other)).not_to_be_checked()

    # Tab leaves the radio group for the text fields, which follow one another.
    for field_id in GROUP_TEXT_FIELDS:
        keys.tab()
        expect(page.locator(f"#{field_id}")).to_be_focused()
        page.keyboard.type(PERSON[field_id])

    keys.tab_to_field("recording_consent")
    page.keyboard.press("Space")
    expect(page.locator("#recording_consent")).to_be_checked()
    keys.tab_to_field("privacy_notice")
    page.keyboard.press("Space")
    expect(page.locator("#privacy_notice")).to_be_checked()

    # The honeypot sits between the last checkbox and the button: the next Tab skips it.
    after_checkbox = keys.tab()
    assert after_checkbox["tag"] == "button" and after_checkbox["text"] == "Wyślij zgłoszenie", after_checkbox
    assert "website" not in keys.ids_visited(), "Tab reached the hidden honeypot field #website"
    expect(page.locator("#website")).to_have_value("")
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Miejsce czeka na Ciebie")
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Zarezerwowaliśmy dla Ciebie miejsce w grupie „{THIRD_GROUP}”.")
    expect(main).to_contain_text(PERSON["email"])
    assert_accessible(page)  # the result page

    # The e-mail has arrived; its link opens the private page.
    [message] = smtp_sink.to(PERSON["email"])
    assert "Potwierdź zapis do grupy roboczej" in message["Subject"]
    page.goto(path_of(smtp_sink.last_link(PERSON["email"])))

    expect(heading(page)).to_have_text("Twoje zgłoszenie")
    expect(page.locator("dl.facts")).to_contain_text(THIRD_GROUP)
    expect(registration_state(page)).to_have_text(
        re.compile(r"^miejsce zarezerwowane — czeka na potwierdzenie do .*2020"))
    assert_accessible(page)  # the private page, seat held

    keys = Keyboard(page)
    keys.tab_to_button("Potwierdzam zgłoszenie")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Dziękujemy — zgłoszenie jest potwierdzone.")
    expect(registration_state(page)).to_have_text("potwierdzone")
    expect(page.get_by_role("button", name="Potwierdzam zgłoszenie")).to_have_count(0)
    assert_accessible(page)  # the private page, confirmed
    assert any("Zapis do grupy roboczej potwierdzony" in m["Subject"] for m in smtp_sink.to(PERSON["email"]))

    # Withdrawing asks first, then withdraws — all by keyboard.
    keys = Keyboard(page)
    keys.tab_to_link("Wycofaj zgłoszenie")
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Wycofanie zgłoszenia")
    expect(page.get_by_role("main")).to_contain_text("Czy na pewno chcesz wycofać zgłoszenie?")
    assert_accessible(page)  # the confirmation step

    keys = Keyboard(page)
    keys.tab_to_button("Tak, wycofuję zgłoszenie")
    page.keyboard.press("Enter")

    expect(heading(page)).to_have_text("Twoje zgłoszenie")
    expect(page.get_by_role("status")).to_contain_text("Zgłoszenie zostało wycofane.")
    expect(registration_state(page)).to_have_text("wycofane")
    expect(page.get_by_role("link", name="Wycofaj zgłoszenie")).to_have_count(0)


# --- 2. errors ------------------------------------------------------------------------------

def test_sign_up_errors_are_announced_and_keep_the_typed_text(
        torun, frozen_clock, page, smtp_sink, assert_accessible):
    frozen_clock.set_local(DURING_SIGNUP)
    page.goto(GROUP_FORM)
    typed = {**PERSON, "email": "anna.fundacja.example"}
    for field_id in GROUP_TEXT_FIELDS:
        page.locator(f"#{field_id}").fill(typed[field_id])
    page.locator("#recording_consent").check()
    page.locator("#privacy_notice").check()

    page.get_by_role("main").get_by_role("button", name="Wyślij zgłoszenie").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Popraw błędy w formularzu")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    first_radio = page.locator("input[name=group]").first.get_attribute("id")
    hrefs = sorted(links.nth(i).get_attribute("href") for i in range(2))
    assert hrefs == ["#email", f"#{first_radio}"], hrefs  # a radio group is reached at its first option
    group_link = summary.locator(f'a[href="#{first_radio}"]')
    expect(group_link).to_contain_text("Wybierz jedną grupę roboczą.")
    group_link.click()
    expect(page.locator(f"#{first_radio}")).to_be_focused()
    expect(summary.locator('a[href="#email"]')).to_contain_text("Podaj adres e-mail")

    # Each error is also next to its field, and tied to it.
    expect(page.locator("#group-error")).to_contain_text("Wybierz jedną grupę roboczą.")
    expect(page.locator("fieldset#group")).to_have_attribute("aria-describedby", "group-error")
    email = page.locator("#email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email-error")).to_contain_text("Podaj adres e-mail")
    expect(email).to_have_accessible_description(re.compile("Podaj adres e-mail"))

    # Nothing typed is lost.
    for field_id in GROUP_TEXT_FIELDS:
        expect(page.locator(f"#{field_id}")).to_have_value(typed[field_id])
    expect(page.locator("#recording_consent")).to_be_checked()
    expect(page.locator("#privacy_notice")).to_be_checked()
    expect(page.get_by_role("group", name="Grupa robocza").get_by_role("radio", checked=True)).to_have_count(0)
    assert_accessible(page)
    assert smtp_sink.to(typed["email"]) == []


# --- 3. the waiting list --------------------------------------------------------------------

def test_a_full_group_puts_the_person_on_the_waiting_list(
        app, live_server, torun, frozen_clock, page, smtp_sink, assert_accessible):
    frozen_clock.set_local(DURING_SIGNUP)
    group_id = group_named(FULL_GROUP).id
    fill_group(app, live_server, group_id, 10)

    page.goto(GROUP_FORM)

    expect(page.locator(f"#group-{group_id}-places")).to_contain_text(
        "brak wolnych miejsc — zapiszemy Cię na listę oczekujących")
    full = page.get_by_label(FULL_GROUP, exact=True)
    expect(full).to_have_accessible_description(re.compile("brak wolnych miejsc"))
    expect(page.get_by_text("brak wolnych miejsc")).to_have_count(1)  # the other groups still have room
    assert_accessible(page)

    fill_group_form(page, FULL_GROUP)
    page.get_by_role("main").get_by_role("button", name="Wyślij zgłoszenie").click()

    expect(heading(page)).to_have_text("Jesteś na liście oczekujących")
    expect(page.get_by_role("main")).to_contain_text(f"Grupa „{FULL_GROUP}” jest pełna.")
    expect(page.get_by_role("main")).to_contain_text("osoba nr 1")
    assert_accessible(page)
    [message] = smtp_sink.to(PERSON["email"])
    assert "osoba nr 1" in message.get_content()


# --- 4. the deadline passes while the form is open ------------------------------------------

def test_after_the_deadline_the_form_keeps_what_was_typed(
        torun, frozen_clock, page, smtp_sink, assert_accessible):
    frozen_clock.set_local(LAST_MINUTE)
    page.goto(GROUP_FORM)
    expect(page.get_by_role("main").get_by_role("button", name="Wyślij zgłoszenie")).to_be_visible()
    fill_group_form(page, THIRD_GROUP)

    frozen_clock.set_local(SIGNUP_CLOSED)
    page.get_by_role("main").get_by_role("button", name="Wyślij zgłoszenie").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Zapisy do grup roboczych są zamknięte")
    expect(alert).to_be_focused()
    expect(page.get_by_role("main")).to_contain_text("Zapisy do grup roboczych są teraz zamknięte.")
    for field_id in GROUP_TEXT_FIELDS:
        expect(page.locator(f"#{field_id}")).to_have_value(PERSON[field_id])
    expect(page.get_by_label(THIRD_GROUP, exact=True)).to_be_checked()
    expect(page.get_by_role("main").get_by_role("button", name="Wyślij zgłoszenie")).to_have_count(0)
    assert_accessible(page)
    assert smtp_sink.to(PERSON["email"]) == []


# --- 5. the online meeting ------------------------------------------------------------------

def test_a_meeting_registration_confirms_by_email_and_offers_an_ics(
        torun, frozen_clock, page, smtp_sink, assert_accessible):
    frozen_clock.set_local(BEFORE_MEETING_DEADLINE)
    page.goto(ANNOUNCEMENT)

    meetings = page.get_by_role("region", name="Spotkania online")
    meetings.get_by_role("link", name=link_name("Zapisz się na spotkanie", MEETING_TITLE)).click()

    expect(heading(page)).to_have_text("Zapis na spotkanie online")
    expect(page.get_by_role("heading", level=2, name=MEETING_TITLE)).to_be_visible()
    assert_accessible(page)  # the empty form

    for field_id in GROUP_TEXT_FIELDS:  # a meeting asks what a working group asks
        page.locator(f"#{field_id}").fill(PERSON[field_id])
    page.get_by_label("Zgadzam się na nagrywanie mojego głosu i wizerunku").check()
    page.get_by_label("Przyjmuję do wiadomości informację").check()
    page.get_by_role("main").get_by_role("button", name="Zapisz mnie na spotkanie").click()

    expect(heading(page)).to_have_text("Sprawdź skrzynkę e-mail")
    expect(page.get_by_role("main")).to_contain_text(PERSON["email"])
    assert_accessible(page)

    [message] = smtp_sink.to(PERSON["email"])
    assert "Potwierdź zapis na spotkanie online" in message["Subject"]
    page.goto(path_of(smtp_sink.last_link(PERSON["email"])))

    expect(heading(page)).to_have_text("Twoje zgłoszenie")
    expect(page.locator("dl.facts")).to_contain_text(MEETING_TITLE)
    expect(registration_state(page)).to_have_text("czeka na potwierdzenie adresu e-mail")
    assert_accessible(page)

    page.get_by_role("button", name="Potwierdzam zgłoszenie").click()

    expect(page.get_by_role("status")).to_contain_text("Dziękujemy — zgłoszenie jest potwierdzone.")
    expect(registration_state(page)).to_have_text("potwierdzone")
    assert_accessible(page)

    # The calendar file, from the meeting on the announcement.
    page.goto(ANNOUNCEMENT)
    ics_link = page.get_by_role("region", name="Spotkania online").get_by_role(
        "link", name=link_name("Dodaj do kalendarza (.ics)", MEETING_TITLE))
    with page.expect_download() as downloaded:
        ics_link.click()
    download = downloaded.value
    assert download.suggested_filename.endswith(".ics"), download.suggested_filename
    with open(download.path(), encoding="utf-8") as ics:
        text = ics.read()
    assert "TZID=Europe/Warsaw" in text, text
    assert "DTSTART;TZID=Europe/Warsaw:20200903T163000" in text, text
    assert "BEGIN:VTIMEZONE" in text, text
