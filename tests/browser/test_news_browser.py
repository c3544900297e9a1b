"""News of consultations in a real browser: subscribe from the home page, confirm with the link
from the e-mail, hear of a publication, leave in one click as a mail provider would, hear no more."""
import re
import urllib.request
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from portal.consultations.models import Consultation, Phase, PhaseKind, Status
from portal.extensions import db
from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

EMAIL = "ola@ngo.example"
NOW = datetime(2021, 3, 1, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def now(frozen_clock):
    frozen_clock.set(NOW)
    return NOW


def _draft(slug: str, title: str) -> Consultation:
    consultation = Consultation(slug=slug, title=title, lead="Zdecyduj, na co miasto wyda 8 mln zł.",
                                status=Status.DRAFT)
    consultation.phases.append(Phase(position=0, kind=PhaseKind.ANNOUNCEMENT, title="Ogłoszenie",
                                     starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=15)))
    db.session.add(consultation)
    db.session.commit()
    return consultation


def _no_sideways_scroll(page):
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{page.url} is {width} px wide at {viewport} px"


def _checked_at_both_widths(page, assert_accessible):
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})


def _local(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _publish(browser, live_server, admin, slug: str) -> None:
    staff = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", base_url=live_server).new_page()
    try:
        log_in_with_the_form(staff, admin.email)
        staff.goto(f"/zespol/konsultacje/{slug}/edycja")
        staff.get_by_role("button", name="Opublikuj konsultację").click()
        expect(staff.get_by_text("Konsultacja jest opublikowana")).to_be_visible()
    finally:
        staff.context.close()


def _one_click(url: str) -> int:
    """What Gmail or Outlook does with List-Unsubscribe-Post: a bare POST, no cookies, no CSRF token."""
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_subscribe_confirm_hear_of_a_publication_and_leave_in_one_click(
        app, now, admin, browser, live_server, page, smtp_sink, assert_accessible):
    first = _draft("budzet-2021", "Budżet obywatelski 2021")
    second = _draft("program-2022", "Program współpracy 2022")
    smtp_sink.clear()

    page.goto("/")
    expect(page.locator('link[rel="alternate"][type="application/atom+xml"]')).to_have_attribute(
        "href", "/konsultacje.atom")
    page.get_by_role("heading", name="Powiadom mnie o nowych konsultacjach").scroll_into_view_if_needed()
    page.get_by_role("link", name="Zapisz się na powiadomienia e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Powiadomienia e-mail o konsultacjach")
    _checked_at_both_widths(page, assert_accessible)

    page.get_by_label("Adres e-mail").fill(EMAIL)
    page.get_by_role("main").get_by_role("button", name="Zapisz mnie na powiadomienia").click()
    expect(page.locator("#consent-error")).to_contain_text("Zaznacz zgodę")
    expect(page.get_by_label("Adres e-mail")).to_have_value(EMAIL)
    assert_accessible(page)
    page.get_by_label("Zgadzam się na otrzymywanie e-mailem powiadomień").check()
    page.get_by_role("main").get_by_role("button", name="Zapisz mnie na powiadomienia").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprawdź skrzynkę e-mail")
    expect(page.get_by_role("main")).to_contain_text(f"Jeśli adres {EMAIL} jest poprawny")
    _checked_at_both_widths(page, assert_accessible)

    [confirmation] = smtp_sink.to(EMAIL)
    page.goto(_local(smtp_sink.last_link(EMAIL)))
    expect(page.get_by_role("heading", level=1)).to_have_text("Potwierdzenie zapisu na powiadomienia")
    _checked_at_both_widths(page, assert_accessible)
    page.get_by_role("button", name="Tak, potwierdzam zapis").click()
    expect(page.get_by_text("Gotowe — będziemy wysyłać powiadomienia o konsultacjach.")).to_be_visible()
    assert_accessible(page)

    _publish(browser, live_server, admin, first.slug)
    news = smtp_sink.to(EMAIL)[-1]
    assert news is not confirmation and news["Subject"] == "Nowe konsultacje społeczne: Budżet obywatelski 2021"
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [unsubscribe] = re.findall(r"<(https?://[^>]+)>", news["List-Unsubscribe"])
    assert unsubscribe in news.get_content()  # the body carries the same link for people

    page.goto(_local(unsubscribe))  # opening the link only asks
    expect(page.get_by_role("button", name="Tak, wypisz mnie")).to_be_visible()
    _checked_at_both_widths(page, assert_accessible)

    assert _one_click(unsubscribe) == 200
    page.reload()
    expect(page.get_by_role("main")).to_contain_text(f"Adres {EMAIL} nie otrzymuje powiadomień")
    assert_accessible(page)

    _publish(browser, live_server, admin, second.slug)
    assert len(smtp_sink.to(EMAIL)) == 2  # the confirmation and the first news only


LONG_EMAIL = "sekretariat.zarzadu.stowarzyszenia@organizacja-pozarzadowa-z-torunia.example"


def test_the_button_unsubscribes_a_person_and_a_broken_link_is_explained(
        app, now, page, smtp_sink, assert_accessible, expect_console_error):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/powiadomienia")
    page.get_by_label("Adres e-mail").fill(LONG_EMAIL)
    page.get_by_label("Zgadzam się na otrzymywanie e-mailem powiadomień").check()
    page.get_by_role("main").get_by_role("button", name="Zapisz mnie na powiadomienia").click()
    expect(page.get_by_role("main")).to_contain_text(LONG_EMAIL)
    _no_sideways_scroll(page)  # a long address wraps
    page.goto(_local(smtp_sink.last_link(LONG_EMAIL)))
    _no_sideways_scroll(page)
    page.get_by_role("button", name="Tak, potwierdzam zapis").click()
    page.get_by_role("link", name="Wypisz się z powiadomień").click()
    page.get_by_role("button", name="Tak, wypisz mnie").click()
    expect(page.get_by_text("Wypisaliśmy adres z powiadomień.")).to_be_visible()
    expect(page.get_by_role("link", name="Zapisz się ponownie")).to_be_visible()
    assert_accessible(page)

    expect_console_error("status of 404")
    page.goto("/powiadomienia/potwierdz/zepsuty-link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Link nie działa")
    _checked_at_both_widths(page, assert_accessible)
