"""A signed-in participant opens the working-group sign-up in a real browser and finds it filled in."""
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

from tests.browser.conftest import log_in_with_the_form

SLUG = "program-wspolpracy-2021"
GROUP_FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
DURING_SIGNUP = "2020-08-24 12:00:00"
GROUP = "Wspieranie i promocja wolontariatu"
HINT = "Wypełniliśmy pola danymi z Twojego konta — sprawdź je i popraw, jeśli trzeba."


@pytest.fixture
def signup_open(torun, frozen_clock):
    frozen_clock.set_local(DURING_SIGNUP)
    return torun


def no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
        f"{page.url} scrolls sideways at {width} px"


def test_a_signed_in_participant_signs_up_with_the_prefilled_form(
        signup_open, anna, page, smtp_sink, assert_accessible):
    log_in_with_the_form(page, "anna@ngo.example")
    page.goto(GROUP_FORM)

    expect(page.get_by_role("main").get_by_text(HINT)).to_be_visible()
    expect(page.get_by_label("Imię i nazwisko")).to_have_value("Anna Nowak")
    expect(page.locator("#email")).to_have_value("anna@ngo.example")
    expect(page.get_by_label("Nazwa organizacji")).to_have_value("Fundacja Rowerowa „Łańcuch”")
    expect(page.locator("#recording_consent")).not_to_be_checked()
    expect(page.locator("#privacy_notice")).not_to_be_checked()

    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        assert_accessible(page)
        no_sideways_scroll(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("group", name="Grupa robocza").get_by_label(GROUP, exact=True).check()
    page.locator("#organisation_address").fill("ul. Szeroka 1, 87-100 Toruń")
    page.locator("#organisation_contact").fill("biuro@lancuch.example")
    page.locator("#prior_activity").fill("Od pięciu lat prowadzę warsztaty naprawy rowerów.")
    page.locator("#recording_consent").check()
    page.locator("#privacy_notice").check()
    page.get_by_role("button", name="Wyślij zgłoszenie").click()

    expect(page.get_by_role("main")).to_contain_text("Miejsce czeka na Ciebie")
    expect(page.get_by_role("main")).not_to_contain_text(HINT)
    assert_accessible(page)
    [message] = smtp_sink.to("anna@ngo.example")
    assert message["Subject"] == "Potwierdź zapis do grupy roboczej"
