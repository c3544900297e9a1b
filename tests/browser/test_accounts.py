"""Accounts in a real browser: sign up, confirm by e-mail, log in and out, reset, profile, limits.

E-mail goes through the real SMTP sink (`smtp_sink`); a link from a message is opened the way a
person would: its path on the live server (SERVER_NAME is None here, so links carry the live
server's host anyway). Where a story says "keyboard", the test uses only Tab, typing, Space and
Enter — never a click.
"""
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import log_in_with_the_form
from tests.conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None


# The person who signs up in stories 1 and 2; the other stories use the shared `anna`.
NEWCOMER_EMAIL = "anna@fundacja.example"
NEWCOMER_NAME = "Anna Nowak"
NEWCOMER_PASSWORD = "zielony rower nad Wisłą"
NEW_PASSWORD = "czerwony tramwaj na Mokotowie"
ORGANISATION = "Fundacja Rowerowa"
WARSAW = ZoneInfo("Europe/Warsaw")
MAX_TABS = 40


# --- helpers -------------------------------------------------------------------------------

def active_element(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute('type'),
                text: (el.textContent || '').trim(), href: el.getAttribute('href'),
                inBanner: !!el.closest('header.site-header'), inMain: !!el.closest('main')};
    }""")


def tab_to(page, wanted, description: str, max_presses: int = MAX_TABS) -> dict:
    """Press Tab until `wanted(active_element)` holds; fail (saying where focus ended) if never."""
    focused = None
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        focused = active_element(page)
        if wanted(focused):
            return focused
    pytest.fail(f"{max_presses} presses of Tab never reached {description}; ended on {focused}")


def tab_to_field(page, field_id: str) -> dict:
    return tab_to(page, lambda el: el["id"] == field_id, f"the field #{field_id}")


def tab_to_header_link(page, text: str) -> dict:
    return tab_to(page, lambda el: el["inBanner"] and el["tag"] == "a" and el["text"] == text,
                  f"the header link {text!r}")


def tab_to_header_button(page, text: str) -> dict:
    return tab_to(page, lambda el: el["inBanner"] and el["tag"] == "button" and el["text"] == text,
                  f"the header button {text!r}")


def tab_to_submit(page, text: str) -> dict:
    return tab_to(page, lambda el: el["inMain"] and el["tag"] == "button" and el["text"] == text,
                  f"the form's button {text!r}")


def has_visible_focus_indicator(locator) -> bool:
    style = locator.evaluate("""el => {
        const s = getComputedStyle(el);
        return {outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), shadow: s.boxShadow};
    }""")
    outline = style["outline"] != "none" and style["outlineWidth"] > 0
    return outline or style["shadow"] != "none"


def path_of(link: str) -> str:
    """The path and query of an e-mailed link, to open on the live server."""
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def banner(page):
    return page.get_by_role("banner")


def error_summary(page):
    return page.get_by_role("alert")


# --- 1. the whole journey, keyboard only ----------------------------------------------------

def test_a_new_participant_signs_up_verifies_by_email_logs_in_and_out(
        page, smtp_sink, assert_accessible):
    page.goto("/")

    # The header's "Załóż konto", reached with Tab alone.
    tab_to_header_link(page, "Załóż konto")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/rejestracja$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Załóż konto")
    assert_accessible(page)  # the empty sign-up form

    # Sent empty: the errors come first, and focus is on them.
    tab_to_submit(page, "Załóż konto")
    page.keyboard.press("Enter")

    summary = error_summary(page)
    expect(summary).to_contain_text("Popraw błędy w formularzu")
    expect(summary).to_be_focused()
    assert_accessible(page)  # the sign-up form with errors

    # From the summary's first link straight to the e-mail field, then Tab from field to field.
    page.keyboard.press("Tab")
    assert active_element(page)["href"] == "#email", active_element(page)
    page.keyboard.press("Enter")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(NEWCOMER_EMAIL)
    page.keyboard.press("Tab")
    expect(page.locator("#display_name")).to_be_focused()
    page.keyboard.type(NEWCOMER_NAME)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(NEWCOMER_PASSWORD)
    page.keyboard.press("Tab")
    expect(page.locator("#organisation_name")).to_be_focused()
    page.keyboard.type(ORGANISATION)
    tab_to_field(page, "accept_privacy")
    page.keyboard.press("Space")
    expect(page.locator("#accept_privacy")).to_be_checked()
    tab_to_submit(page, "Załóż konto")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sprawdź skrzynkę e-mail")
    expect(page.get_by_role("main")).to_contain_text(f"Wysłaliśmy wiadomość na adres {NEWCOMER_EMAIL}.")
    assert_accessible(page)  # the check-your-inbox page

    # The e-mail has arrived; its link confirms the address.
    [message] = smtp_sink.to(NEWCOMER_EMAIL)
    assert "Potwierdź adres e-mail" in message["Subject"]
    page.goto(path_of(smtp_sink.last_link(NEWCOMER_EMAIL)))

    expect(page).to_have_url(re.compile(r"/konto$"))
    expect(page.get_by_role("status")).to_contain_text("Adres e-mail został potwierdzony.")
    address = page.locator("dl.facts dd").first
    expect(address).to_contain_text(NEWCOMER_EMAIL)
    expect(address.get_by_text("potwierdzony", exact=True)).to_be_visible()

    # Log out with the header's button, by keyboard.
    tab_to_header_button(page, "Wyloguj")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("Wylogowano.")
    expect(banner(page).get_by_role("link", name="Moje konto")).to_have_count(0)

    # Log in again through the login page, by keyboard.
    tab_to_header_link(page, "Zaloguj się")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaloguj się")
    tab_to_field(page, "email")
    page.keyboard.type(NEWCOMER_EMAIL)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(NEWCOMER_PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(banner(page).get_by_role("link", name="Moje konto")).to_be_visible()
    expect(banner(page).get_by_role("link", name="Zaloguj się")).to_have_count(0)

    # And out again.
    tab_to_header_button(page, "Wyloguj")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Wylogowano.")
    expect(banner(page).get_by_role("link", name="Zaloguj się")).to_be_visible()
    expect(banner(page).get_by_role("link", name="Moje konto")).to_have_count(0)


# --- 2. errors next to their fields ---------------------------------------------------------

def test_sign_up_errors_are_announced_next_to_their_fields_and_keep_the_typed_values(
        page, smtp_sink, assert_accessible):
    page.goto("/rejestracja")
    page.get_by_label("Adres e-mail").fill("anna.fundacja.example")
    page.get_by_label("Imię i nazwisko lub podpis").fill(NEWCOMER_NAME)
    page.get_by_label("Hasło", exact=True).fill("krótkie")
    page.get_by_label("Nazwa organizacji").fill(ORGANISATION)
    page.get_by_label("Przyjmuję do wiadomości informację").check()

    page.get_by_role("main").get_by_role("button", name="Załóż konto").click()

    summary = error_summary(page)
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("Popraw błędy w formularzu")
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "#email")
    expect(links.nth(0)).to_contain_text("Podaj adres e-mail w formacie nazwa@domena.pl.")
    expect(links.nth(1)).to_have_attribute("href", "#password")
    expect(links.nth(1)).to_contain_text("Hasło musi mieć co najmniej 12 znaków.")

    for field_id, message in [("email", "Podaj adres e-mail w formacie nazwa@domena.pl."),
                              ("password", "Hasło musi mieć co najmniej 12 znaków.")]:
        field = page.locator(f"#{field_id}")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"(^|\s){field_id}-error(\s|$)"))
        expect(page.locator(f"#{field_id}-error")).to_contain_text(message)
        expect(field).to_have_accessible_description(re.compile(re.escape(message)))
    for field_id in ("display_name", "organisation_name", "accept_privacy"):
        expect(page.locator(f"#{field_id}")).not_to_have_attribute("aria-invalid", "true")

    expect(page.get_by_label("Adres e-mail")).to_have_value("anna.fundacja.example")
    expect(page.get_by_label("Imię i nazwisko lub podpis")).to_have_value(NEWCOMER_NAME)
    expect(page.get_by_label("Nazwa organizacji")).to_have_value(ORGANISATION)
    expect(page.get_by_label("Hasło", exact=True)).to_have_value("")
    assert_accessible(page)

    # A summary link takes the person to the field to correct.
    links.nth(1).click()
    expect(page.locator("#password")).to_be_focused()
    assert smtp_sink.to("anna.fundacja.example") == []


# --- 3. forgotten password ------------------------------------------------------------------

def test_forgot_password_link_sets_a_new_password(page, anna, smtp_sink, assert_accessible):
    page.goto("/logowanie")
    page.get_by_role("main").get_by_role("link", name="Nie pamiętam hasła").click()

    expect(page).to_have_url(re.compile(r"/nie-pamietam-hasla$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nie pamiętam hasła")
    assert_accessible(page)
    page.get_by_label("Adres e-mail").fill(anna.email)
    page.get_by_role("button", name="Wyślij link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sprawdź skrzynkę e-mail")
    expect(page.get_by_role("main")).to_contain_text(f"Jeśli adres {anna.email} należy do konta")
    [message] = smtp_sink.to(anna.email)
    assert "Ustaw nowe hasło" in message["Subject"]

    page.goto(path_of(smtp_sink.last_link(anna.email)))

    expect(page.get_by_role("heading", level=1)).to_have_text("Ustaw nowe hasło")
    assert_accessible(page)
    page.get_by_label("Nowe hasło").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Zapisz nowe hasło").click()

    expect(page).to_have_url(re.compile(r"/logowanie$"))
    expect(page.get_by_role("status")).to_contain_text("Hasło zostało zmienione. Zaloguj się nowym hasłem.")
    assert_accessible(page)

    # The old password no longer opens the account; the new one does.
    page.get_by_label("Adres e-mail").fill(anna.email)
    page.get_by_label("Hasło", exact=True).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    expect(error_summary(page)).to_contain_text("Nieprawidłowy adres e-mail lub hasło.")

    page.get_by_label("Hasło", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(banner(page).get_by_role("link", name="Moje konto")).to_be_visible()


# --- 4. the account's own pages -------------------------------------------------------------

@pytest.mark.parametrize(("path", "heading", "first_field"), [
    ("/konto", "Moje konto", "display_name"),
    ("/konto/haslo", "Zmień hasło", "current_password"),
    ("/konto/email", "Zmień adres e-mail", "email"),
    ("/konto/usun", "Usuń konto", "current_password"),
])
def test_profile_pages_pass_axe(page, anna, assert_accessible, path, heading, first_field):
    log_in_with_the_form(page, anna.email)
    expect(banner(page).get_by_role("link", name="Moje konto")).to_be_visible()

    page.goto(path)

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)

    tab_to_field(page, first_field)
    field = page.locator(f"#{first_field}")
    expect(field).to_be_focused()
    assert has_visible_focus_indicator(field), f"#{first_field} on {path} shows no focus indicator"


# --- 5. too many wrong passwords ------------------------------------------------------------

def test_login_rate_limit_says_when_to_try_again(page, anna, assert_accessible, expect_console_error):
    expect_console_error("status of 429")
    page.goto("/logowanie")
    first_attempt = datetime.now(timezone.utc)

    for attempt in range(1, 6):
        page.get_by_label("Adres e-mail").fill(anna.email)
        page.get_by_label("Hasło", exact=True).fill(f"to nie jest moje hasło {attempt}")
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
        expect(error_summary(page)).to_contain_text("Nieprawidłowy adres e-mail lub hasło.")

    page.get_by_label("Adres e-mail").fill(anna.email)
    page.get_by_label("Hasło", exact=True).fill("to nie jest moje hasło 6")
    with page.expect_response(lambda r: r.request.method == "POST" and "/logowanie" in r.url) as sixth:
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
    last_attempt = datetime.now(timezone.utc)

    assert sixth.value.status == 429, f"the 6th attempt answered {sixth.value.status}"
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaloguj się")
    alert = error_summary(page)
    expect(alert).to_contain_text("Zbyt wiele prób")
    expect(alert).to_contain_text(re.compile(r"Spróbuj ponownie o \d{2}:\d{2}\."))
    expect(alert).to_be_focused()
    shown = re.search(r"Spróbuj ponownie o (\d{2}:\d{2})", alert.inner_text()).group(1)
    # The window of 15 minutes opened with the first failed attempt (Warsaw wall-clock time).
    earliest = (first_attempt + timedelta(minutes=15)).astimezone(WARSAW).replace(second=0, microsecond=0)
    latest = (last_attempt + timedelta(minutes=15, seconds=59)).astimezone(WARSAW)
    allowed, minute = set(), earliest
    while minute <= latest:
        allowed.add(minute.strftime("%H:%M"))
        minute += timedelta(minutes=1)
    assert shown in allowed, f"retry time {shown} is not 15 minutes after the first attempt ({sorted(allowed)})"

    expect(page.get_by_label("Adres e-mail")).to_have_value(anna.email)
    expect(page.get_by_label("Hasło", exact=True)).to_have_value("")
    assert_accessible(page)
