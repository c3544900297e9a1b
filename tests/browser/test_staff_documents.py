"""The back office in a real browser: an admin puts a PDF on the consultation's page, adds a
working group (first with an impossible number of seats), and every page passes axe, also
while it shows an error.

The demo consultation (Toruń 2021, original 2020 dates) is seeded and the clock frozen in its
group sign-up before the first page is opened; the admin logs in through the login form.
"""
import pytest

from tests.browser.conftest import log_in_with_the_form
from tests.factories import pdf_bytes

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
DOCUMENTS = f"/zespol/konsultacje/{SLUG}/dokumenty"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
MEETINGS = f"/zespol/konsultacje/{SLUG}/spotkania"


@pytest.fixture
def during_group_signup(frozen_clock):
    """24 August 2020, in the demo's group sign-up; set before the admin is made."""
    frozen_clock.set_local("2020-08-24 12:00:00")
    return frozen_clock


@pytest.fixture
def admin_page(page, torun, during_group_signup, admin):
    """The page, signed in as `admin` through the login form."""
    log_in_with_the_form(page, admin.email)
    return page


def test_an_admin_uploads_a_pdf_that_appears_in_the_list_and_on_the_public_page(admin_page, assert_accessible):
    page = admin_page
    page.goto(DOCUMENTS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dokumenty konsultacji")
    expect(page.get_by_role("navigation", name="Zarządzanie konsultacją")
           .get_by_role("link", name="Dokumenty")).to_have_attribute("aria-current", "page")
    assert_accessible(page)

    # An HTML page renamed to .pdf: refused next to the field, the title stays.
    page.get_by_label("Tytuł dokumentu").first.fill("Projekt programu na 2021 r.")
    page.get_by_label("Rodzaj dokumentu").first.select_option(label="Projekt poddany konsultacjom")
    page.get_by_label("Plik (PDF, DOCX albo ODT)").set_input_files(
        files=[{"name": "projekt.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>x()</script>"}])
    page.get_by_role("button", name="Dodaj plik").click()
    expect(page.locator("#file-error")).to_contain_text("nie jest dokumentem PDF, DOCX ani ODT")
    expect(page.get_by_label("Tytuł dokumentu").first).to_have_value("Projekt programu na 2021 r.")
    expect(page.get_by_role("alert")).to_be_focused()  # the error summary takes focus (site.js)
    assert_accessible(page)

    # The real PDF.
    page.get_by_label("Plik (PDF, DOCX albo ODT)").set_input_files(
        files=[{"name": "projekt-programu.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}])
    page.get_by_role("button", name="Dodaj plik").click()
    expect(page.get_by_role("status")).to_contain_text("Dodano dokument „Projekt programu na 2021 r.”.")
    row = page.get_by_role("row").filter(has_text="Projekt programu na 2021 r.")
    expect(row).to_contain_text("Projekt poddany konsultacjom")
    expect(row.get_by_role("link", name="projekt-programu.pdf")).to_be_visible()
    assert_accessible(page)

    # Moved to the top of the list.
    for _ in range(2):
        row.get_by_role("button", name="W górę").click()
    expect(page.get_by_role("row").nth(1)).to_contain_text("Projekt programu na 2021 r.")

    page.get_by_role("link", name="Strona publiczna").click()
    documents = page.locator("ul.documents li")
    expect(documents.first).to_contain_text("Projekt programu na 2021 r. (PDF, 1 kB)")
    href = documents.first.get_by_role("link").get_attribute("href")
    file = page.request.get(href)
    assert file.body() == pdf_bytes()
    assert file.headers["content-type"] == "application/pdf"


def test_a_group_with_an_impossible_capacity_is_fixed_and_added(admin_page, assert_accessible):
    page = admin_page
    page.goto(GROUPS)
    assert_accessible(page)
    page.get_by_label("Nazwa grupy").fill("Kultura i sztuka")
    page.get_by_label("Liczba miejsc").fill("0")
    page.get_by_label("Dzień spotkania grupy").fill("2020-09-02")
    page.get_by_label("Godzina spotkania grupy").fill("16:30")
    page.get_by_role("button", name="Dodaj grupę").click()

    capacity = page.get_by_label("Liczba miejsc")
    expect(page.locator("#capacity-error")).to_contain_text("Podaj liczbę miejsc od 1 do 200.")
    expect(capacity).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Nazwa grupy")).to_have_value("Kultura i sztuka")
    assert_accessible(page)

    page.get_by_role("alert").get_by_role("link").click()  # the summary leads to the field
    expect(capacity).to_be_focused()
    capacity.fill("15")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Dodano grupę „Kultura i sztuka”.")
    group = page.locator("li.group").filter(has_text="Kultura i sztuka")
    expect(group).to_contain_text("zajęte 0 z 15")
    expect(group).to_contain_text("2 września 2020 r., godz. 16:30")

    group.get_by_role("link", name="Zmień").click()
    expect(page.get_by_label("Liczba miejsc")).to_have_value("15")
    assert_accessible(page)


def test_the_meetings_page_and_its_errors_pass_axe(admin_page, assert_accessible):
    page = admin_page
    page.goto(MEETINGS)
    assert_accessible(page)
    page.get_by_label("Tytuł spotkania").fill("Spotkanie o finansowaniu")
    page.get_by_label("Dzień spotkania").fill("2020-09-10")
    page.get_by_label("Godzina rozpoczęcia").fill("17:00")
    page.get_by_label("Zgłoszenia przyjmujemy do dnia").fill("2020-09-11")
    page.get_by_label("do godziny").fill("12:00")
    page.get_by_role("button", name="Dodaj spotkanie").click()
    expect(page.locator("#deadline_time-error")).to_contain_text("przed rozpoczęciem spotkania")
    assert_accessible(page)

    page.get_by_label("Zgłoszenia przyjmujemy do dnia").fill("2020-09-09")
    page.get_by_role("button", name="Dodaj spotkanie").click()
    expect(page.locator("li.meeting").filter(has_text="Spotkanie o finansowaniu")).to_contain_text(
        "10 września 2020 r., godz. 17:00")
    page.locator("li.meeting").first.get_by_role("link", name="Zmień").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zmiana spotkania")
    assert_accessible(page)
