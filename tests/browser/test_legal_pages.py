"""The legal pages in a real browser: an admin edits and publishes them through the back office;
the published pages pass axe and reflow at 320 px; a sign-up afterwards keeps the new version."""
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}


def check_both_widths(page, assert_accessible):
    """axe finds nothing and nothing scrolls sideways, wide and at 320 CSS px."""
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        assert_accessible(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
            f"{page.url} scrolls sideways at {viewport['width']} px"
    page.set_viewport_size(WIDE)


def open_editor(page, name):
    page.goto("/zespol/strony-prawne")
    page.get_by_role("link", name=f"Edytuj: {name}").click()


def publish(page):
    page.get_by_role("button", name="Opublikuj nową wersję").click()
    expect(page.get_by_text("Opublikowano wersję 2.")).to_be_visible()


def test_admin_publishes_a_new_privacy_notice_and_a_new_sign_up_keeps_that_version(
        admin, frozen_clock, page, assert_accessible):
    frozen_clock.set_local("2026-12-06 10:00:00")
    log_in_with_the_form(page, admin.email)

    open_editor(page, "Ochrona danych osobowych")
    expect(page.get_by_text("Aktualna wersja: 1 z 6 grudnia 2026 r.")).to_be_visible()
    body = page.get_by_label("Treść (Markdown)")
    body.fill(body.input_value().replace("[adres siedziby urzędu]", "ul. Wały gen. Sikorskiego 8, Toruń"))
    page.get_by_role("button", name="Podgląd").click()
    expect(page.get_by_role("region", name="Podgląd")).to_contain_text("ul. Wały gen. Sikorskiego 8")
    check_both_widths(page, assert_accessible)
    publish(page)

    expect(page.get_by_text("Wersja 2 z 6 grudnia 2026 r.")).to_be_visible()
    check_both_widths(page, assert_accessible)
    page.get_by_role("link", name="Wcześniejsze wersje").click()
    page.get_by_role("link", name="Wersja 1 z 6 grudnia 2026 r.").click()
    expect(page.get_by_text("To jest wersja archiwalna.")).to_be_visible()

    page.get_by_role("button", name="Wyloguj").click()
    page.goto("/rejestracja")
    expect(page.get_by_text("(wersja 2 (2026-12-06))")).to_be_visible()
    page.get_by_label("Adres e-mail").fill("ola@fundacja.example")
    page.get_by_label("Imię i nazwisko lub podpis").fill("Ola Kowalska")
    page.get_by_label("Hasło", exact=True).fill("zielony rower nad Wisłą")
    page.get_by_label("Przyjmuję do wiadomości informację o przetwarzaniu danych osobowych").check()
    page.get_by_role("button", name="Załóż konto").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == "ola@fundacja.example"))
    assert user.privacy_notice_version == "2 (2026-12-06)" and user.privacy_notice_accepted_at is not None


def test_the_accessibility_statement_easy_read_and_sign_language_pages_are_edited_and_accessible(
        admin, frozen_clock, page, assert_accessible):
    frozen_clock.set_local("2026-12-06 10:00:00")
    log_in_with_the_form(page, admin.email)

    open_editor(page, "Deklaracja dostępności")
    page.get_by_label("Data publikacji strony internetowej").fill("2021-06-01")
    page.get_by_label("Data ostatniej istotnej aktualizacji strony").fill("2026-11-30")
    page.get_by_label("Data sporządzenia deklaracji").fill("2026-12-05")
    check_both_widths(page, assert_accessible)
    publish(page)
    expect(page.locator("#a11y-data-publikacja")).to_have_text("2021-06-01")
    expect(page.locator("#a11y-data-sporzadzenie")).to_have_text("2026-12-05")
    check_both_widths(page, assert_accessible)

    open_editor(page, "Tekst łatwy do czytania")
    page.get_by_label("Treść (Markdown)").fill("## Kim jesteśmy\n\nJesteśmy urzędem miasta. Pytamy Cię o zdanie.")
    publish(page)
    expect(page.get_by_text("Jesteśmy urzędem miasta.")).to_be_visible()
    check_both_widths(page, assert_accessible)

    open_editor(page, "Polski język migowy")
    page.get_by_label("Adres nagrania w PJM").fill("https://wideo.example/pjm")
    page.get_by_label("Treść (Markdown)").fill("Tekst nagrania: jak wziąć udział w konsultacjach.")
    publish(page)
    expect(page.get_by_role("link", name="Obejrzyj nagranie w polskim języku migowym")).to_be_visible()
    check_both_widths(page, assert_accessible)

    page.goto("/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Tekst łatwy do czytania").click()
    expect(page.get_by_text("Pytamy Cię o zdanie.")).to_be_visible()
    page.get_by_role("contentinfo").get_by_role("link", name="Polski język migowy").click()
    expect(page.get_by_text("Tekst nagrania: jak wziąć udział")).to_be_visible()
