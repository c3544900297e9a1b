""""Wyślij link ponownie" in a real browser: from the group sign-up's refusal to the e-mailed link."""
import re
from urllib.parse import urlsplit

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
GROUP_FORM = f"/konsultacje/{SLUG}/grupy-robocze/zapis"
DURING_SIGNUP = "2020-08-24 12:00:00"
FIRST_GROUP = "Wspieranie i promocja wolontariatu"
SECOND_GROUP = "Wspieranie działalności na rzecz osób niepełnosprawnych"
EMAIL = "anna@fundacja.example"
PERSON = {
    "full_name": "Anna Nowak", "email": EMAIL, "phone": "600 100 200", "organisation_name": "Fundacja Rowerowa",
    "organisation_address": "ul. Szeroka 1, 87-100 Toruń", "organisation_contact": "biuro@fundacja.example",
    "prior_activity": "Od pięciu lat prowadzę warsztaty naprawy rowerów dla seniorów.",
}


def _already_registered(app, base_url):
    with app.test_request_context("/", base_url=base_url):
        group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.name == FIRST_GROUP))
        services.take_seat(db.session.get(Consultation, group.consultation_id), group,
                           services.Applicant("Anna Nowak", EMAIL, "Fundacja Rowerowa", True))
        db.session.commit()


def _no_sideways_scroll(page):
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{page.url} is {width} px wide at {viewport} px"


def test_a_person_who_lost_the_e_mail_gets_the_link_again_from_the_refusal(
        app, torun, frozen_clock, live_server, page, smtp_sink, assert_accessible):
    frozen_clock.set_local(DURING_SIGNUP)
    _already_registered(app, live_server)
    smtp_sink.clear()

    page.goto(GROUP_FORM)
    page.get_by_role("group", name="Grupa robocza").get_by_label(SECOND_GROUP, exact=True).check()
    for name, value in PERSON.items():
        page.locator(f"#{name}").fill(value)
    page.locator("#recording_consent").check()
    page.locator("#privacy_notice").check()
    page.get_by_role("button", name="Wyślij zgłoszenie").click()
    expect(page.get_by_role("alert")).to_contain_text("sprawdź wiadomość z linkiem do zgłoszenia")

    page.get_by_role("link", name="Wyślij link ponownie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wyślij link do zgłoszenia ponownie")
    assert_accessible(page)
    page.set_viewport_size({"width": 320, "height": 640})
    _no_sideways_scroll(page)

    page.get_by_label("Adres e-mail").fill(EMAIL)
    page.get_by_role("main").get_by_role("button", name="Wyślij link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprawdź skrzynkę e-mail")
    expect(page.get_by_role("main")).to_contain_text(EMAIL)
    assert_accessible(page)
    _no_sideways_scroll(page)

    [message] = smtp_sink.to(EMAIL)
    [link] = re.findall(r"https?://\S+", message.get_content())
    page.goto(urlsplit(link).path + "?" + urlsplit(link).query)
    expect(page.get_by_role("heading", level=1)).to_have_text("Twoje zgłoszenie")
    expect(page.get_by_role("main")).to_contain_text(FIRST_GROUP)
