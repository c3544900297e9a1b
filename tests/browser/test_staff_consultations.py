"""The back office in a real browser: an admin creates a consultation with phases and publishes it.

The clock stands at 20 August 2020 (before the new timeline), the admin logs in through the
login form, and every back-office page is checked with axe — the phases page also while it
shows an error.
"""
import re

import pytest

from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

TITLE = "Budżet obywatelski Torunia 2021"


@pytest.fixture
def before_the_new_timeline(frozen_clock):
    """20 August 2020, before the phases the admin adds; set before the admin is made."""
    frozen_clock.set_local("2020-08-20 12:00:00")
    return frozen_clock


def add_phase(page, kind: str, title: str, first_day: str, last_day: str) -> None:
    main = page.get_by_role("main")
    main.get_by_label("Rodzaj etapu").select_option(kind)
    main.get_by_label("Nazwa etapu").fill(title)
    main.get_by_label("Data rozpoczęcia").fill(first_day)
    main.get_by_label("Data zakończenia").fill(last_day)
    main.get_by_role("button", name="Dodaj etap").click()


def test_an_admin_creates_a_consultation_with_phases_and_publishes_it(page, browser, live_server,
                                                                      before_the_new_timeline, admin,
                                                                      assert_accessible):
    log_in_with_the_form(page, admin.email)
    page.get_by_role("banner").get_by_role("link", name="Zarządzanie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zarządzanie konsultacjami")
    assert_accessible(page)

    page.get_by_role("link", name="Nowa konsultacja").click()
    assert_accessible(page)
    main = page.get_by_role("main")
    main.get_by_label("Tytuł", exact=True).fill(TITLE)
    main.get_by_label("Wstęp").fill("Zdecyduj, na co miasto wyda 8 mln zł.")
    main.get_by_label("Treść ogłoszenia").fill("## Jak to działa\n\nZgłaszasz pomysł, **mieszkańcy** głosują.")
    main.get_by_role("button", name="Utwórz szkic konsultacji").click()
    expect(page.get_by_text("Utworzono szkic konsultacji.")).to_be_visible()
    expect(main.get_by_label("Adres strony")).to_have_value("budzet-obywatelski-torunia-2021")
    assert_accessible(page)

    page.get_by_role("navigation", name="Zarządzanie konsultacją").get_by_role("link", name="Etapy").click()
    expect(page.get_by_text("Ta konsultacja nie ma jeszcze etapów.")).to_be_visible()
    assert_accessible(page)
    add_phase(page, "announcement", "Ogłoszenie naboru pomysłów", "2020-09-01", "2020-09-14")
    expect(page.get_by_text("Dodano etap „Ogłoszenie naboru pomysłów”.")).to_be_visible()

    add_phase(page, "e_consultation", "Uwagi do listy projektów", "2020-09-17", "2020-09-10")
    expect(page.locator("#end_day-error")).to_contain_text("Etap musi skończyć się później, niż się zaczyna.")
    expect(page.get_by_label("Nazwa etapu")).to_have_value("Uwagi do listy projektów")
    assert_accessible(page)
    page.get_by_label("Data zakończenia").fill("2020-09-30")
    page.get_by_role("main").get_by_role("button", name="Dodaj etap").click()
    expect(page.get_by_text("Dodano etap „Uwagi do listy projektów”.")).to_be_visible()
    rows = page.get_by_role("main").get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("17–30 września 2020 r.")
    assert_accessible(page)

    page.get_by_role("navigation", name="Zarządzanie konsultacją").get_by_role("link", name="Ogłoszenie").click()
    page.get_by_role("button", name="Opublikuj konsultację").click()
    expect(page.get_by_text("Konsultacja jest opublikowana")).to_be_visible()
    expect(page.get_by_role("heading", name="Status: Opublikowana")).to_be_visible()
    assert_accessible(page)

    visitor = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", base_url=live_server).new_page()
    try:
        visitor.goto("/")
        visitor.get_by_role("link", name=TITLE).click()
        expect(visitor.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(visitor.get_by_text("Podgląd:")).to_have_count(0)
    finally:
        visitor.context.close()


def test_an_admin_moves_and_deletes_a_phase_after_confirming(page, torun, before_the_new_timeline, admin,
                                                            assert_accessible):
    log_in_with_the_form(page, admin.email)
    page.goto("/zespol/konsultacje/program-wspolpracy-2021/etapy")
    table = page.get_by_role("main").get_by_role("table")
    drafting = table.get_by_role("row").filter(has_text="Prace nad projektem programu")
    drafting.get_by_role("link", name=re.compile("^Edytuj")).click()
    expect(page.get_by_role("heading", name="Edytuj etap „Prace nad projektem programu”")).to_be_visible()
    expect(page.get_by_label("Data zakończenia")).to_have_value("2020-09-10")
    expect(page.get_by_label("Godzina zakończenia")).to_have_value("")
    assert_accessible(page)
    page.get_by_label("Data zakończenia").fill("2020-09-15")
    page.get_by_role("button", name="Zapisz etap").click()
    expect(page.get_by_text("Zapisano etap „Prace nad projektem programu”.")).to_be_visible()
    expect(drafting).to_contain_text("2–15 września 2020 r.")

    council = table.get_by_role("row").filter(has_text="Projekt uchwały na sesji Rady Miasta")
    council.locator("summary").click()
    council.get_by_role("button", name=re.compile("^Tak, usuń etap")).click()
    expect(page.get_by_text("Usunięto etap „Projekt uchwały na sesji Rady Miasta”.")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(7)
    assert_accessible(page)
