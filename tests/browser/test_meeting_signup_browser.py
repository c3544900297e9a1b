"""Signing up for the online meeting in a real browser (issue 15): every field the seed asks,
accessibility needs with their consent, and a refusal of recording that still registers."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.pages.legal import LegalDocument, LegalKind
from portal.registrations.models import Meeting, MeetingRegistration
from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
BEFORE_THE_DEADLINE = "2020-09-02 12:00:00"
EDIT_PRIVACY = "/zespol/strony-prawne/ochrona-danych-osobowych"
PERSON = {
    "full_name": "Anna Nowak",
    "email": "anna@fundacja.example",
    "phone": "600 100 200",
    "organisation_name": "Fundacja Rowerowa",
    "organisation_address": "ul. Szeroka 1, 87-100 Toruń",
    "organisation_contact": "biuro@fundacja.example",
    "prior_activity": "Od pięciu lat prowadzę warsztaty naprawy rowerów dla seniorów.",
}


@pytest.fixture
def meeting_open(torun, frozen_clock):
    frozen_clock.set_local(BEFORE_THE_DEADLINE)
    return torun


def meeting_form() -> str:
    return f"/konsultacje/{SLUG}/spotkania/{db.session.scalar(select(Meeting.id))}/zapis"


def check_both_widths(page, assert_accessible) -> None:
    """axe finds nothing and nothing scrolls sideways, wide and at 320 CSS px."""
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        assert_accessible(page)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
            f"{page.url} scrolls sideways at {width} px"
    page.set_viewport_size({"width": 1280, "height": 800})


def fill_person(page) -> None:
    for field_id, value in PERSON.items():
        page.locator(f"#{field_id}").fill(value)


def stored() -> MeetingRegistration:
    db.session.expire_all()
    [registration] = db.session.scalars(select(MeetingRegistration)).all()
    return registration


def test_a_person_signs_up_with_every_seed_field_and_accessibility_needs(
        meeting_open, page, smtp_sink, assert_accessible):
    page.goto(meeting_form())
    check_both_widths(page, assert_accessible)

    fill_person(page)
    needs = page.get_by_role("group", name="Potrzeby związane z dostępnością")
    needs.get_by_label("Tłumaczenie na polski język migowy (PJM)").check()
    needs.get_by_label("Napisy na żywo").check()
    page.get_by_label("Opisz swoje potrzeby").fill("Tłumacz PJM widoczny przez całe spotkanie.")
    page.locator("#recording_consent").check()
    page.locator("#privacy_notice").check()
    page.get_by_role("button", name="Zapisz mnie na spotkanie").click()

    # Needs without the consent: the error stands next to the box, nothing typed is lost.
    expect(page.locator("#accessibility_consent-error")).to_be_visible()
    expect(page.get_by_label("Opisz swoje potrzeby")).to_have_value("Tłumacz PJM widoczny przez całe spotkanie.")
    expect(needs.get_by_label("Napisy na żywo")).to_be_checked()
    expect(page.locator("#prior_activity")).to_have_value(PERSON["prior_activity"])
    check_both_widths(page, assert_accessible)

    page.locator("#accessibility_consent").check()
    page.locator("#recording_consent").check()  # consents are given anew after an error
    page.locator("#privacy_notice").check()
    page.get_by_role("button", name="Zapisz mnie na spotkanie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprawdź skrzynkę e-mail")
    check_both_widths(page, assert_accessible)

    registration = stored()
    assert {field: getattr(registration, field) for field in PERSON} == PERSON
    assert registration.accessibility_needs == "pjm,captions" and registration.accessibility_consent_at
    assert registration.recording_consent and registration.recording_basis == "consent"
    [message] = smtp_sink.to(PERSON["email"])
    assert message["Subject"] == "Potwierdź zapis na spotkanie online"


def test_refusing_recording_under_the_consent_basis_still_registers(
        meeting_open, admin, page, smtp_sink, assert_accessible):
    # The admin names consent, and "listener" for those who refuse, in a new privacy notice version.
    log_in_with_the_form(page, admin.email)
    page.goto(EDIT_PRIVACY)
    page.get_by_label("Podstawa prawna nagrywania spotkań").select_option("consent")
    page.get_by_label("Udział osoby, która nie zgadza się na nagrywanie").select_option("listener")
    check_both_widths(page, assert_accessible)
    page.get_by_role("button", name="Opublikuj nową wersję").click()
    expect(page.get_by_text("Opublikowano wersję 2.")).to_be_visible()
    expect(page.locator("#nagrywanie-spotkan")).to_contain_text("jako osoba słuchająca")
    page.get_by_role("button", name="Wyloguj").click()

    page.goto(meeting_form())
    recording = page.get_by_role("group", name="Nagrywanie spotkania")
    expect(recording).to_contain_text("art. 6 ust. 1 lit. a RODO")
    expect(recording).to_contain_text("jako osoba słuchająca")
    fill_person(page)
    expect(page.locator("#recording_consent")).not_to_be_checked()
    page.locator("#privacy_notice").check()
    page.get_by_role("button", name="Zapisz mnie na spotkanie").click()

    main = page.get_by_role("main")
    expect(main).to_contain_text("Sprawdź skrzynkę e-mail")
    expect(main).to_contain_text("weźmiesz udział w spotkaniu jako osoba słuchająca")
    check_both_widths(page, assert_accessible)

    registration = stored()
    version = db.session.scalar(select(LegalDocument).where(LegalDocument.kind == LegalKind.PRIVACY,
                                                            LegalDocument.version == 2))
    assert (registration.recording_consent, registration.recording_basis) == (False, "consent")
    assert registration.privacy_notice_version == version.label
    [message] = smtp_sink.to(PERSON["email"])
    assert "jako osoba słuchająca" in message.get_content()
