"""Working groups' online meetings in a real browser.

An admin gives a group its join link and the end of its meeting; the sweep (called here as
`registrations-sweep` calls it) e-mails the link over SMTP to the confirmed members only, once;
the announcement's calendar file is in Warsaw time. After the meeting the admin publishes the
minutes (a real PDF), a summary and a recording link, and an anonymous visitor finds them on the
announcement and in the report: axe finds nothing, and nothing scrolls sideways at 320 px.

The demo consultation (Toruń 2021, original 2020 dates), its groups and meeting without the
demo's own links and materials; the admin signs in through the login form.
"""
import math
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal import clock, mail
from portal.consultations.models import Consultation, Document
from portal.extensions import db
from portal.registrations import links, services
from portal.registrations.models import Meeting, WorkingGroup
from portal.reports.models import Report
from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
REPORT = f"/konsultacje/{SLUG}/raport"
GROUPS = f"/zespol/konsultacje/{SLUG}/grupy"
MEETINGS = f"/zespol/konsultacje/{SLUG}/spotkania"
JOIN_URL = "https://spotkania.example.org/grupa-ekonomia-spoleczna"
RECORDING = "https://nagrania.example.org/grupa-ekonomia-spoleczna"
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
SHOTS = Path("/work/notes/shots/group-meetings-materials")


@pytest.fixture(autouse=True)
def as_staff_first_made_them(torun):
    """The demo's groups and meeting without links, end times or materials."""
    for group in db.session.scalars(select(WorkingGroup)):
        group.join_url, group.meeting_ends_at = "", None
    for model in (WorkingGroup, Meeting):
        for item in db.session.scalars(select(model)):
            item.summary, item.recording_url, item.materials_updated_at = "", "", None
    db.session.commit()


def first_group() -> WorkingGroup:
    db.session.expire_all()
    return db.session.scalar(select(WorkingGroup).order_by(WorkingGroup.position))


def member(group, n: int, confirmed: bool = True) -> None:
    consultation = db.session.get(Consultation, group.consultation_id)
    registration = services.take_seat(consultation, group, services.Applicant(
        full_name=f"Osoba {n}", email=f"osoba{n}@ngo.example", organisation_name=f"Stowarzyszenie {n}",
        recording_consent=True))
    if confirmed:
        services.confirm(registration)
    db.session.commit()


def link_mails(sink, address):
    return [m for m in sink.to(address) if m["Subject"].startswith("Link do spotkania grupy roboczej")]


def sweep(app, base_url: str) -> int:
    """What `flask registrations-sweep` does with the group links: send, commit, deliver.

    (The command builds its links from SERVER_NAME; the live server has none, so its address here.)
    """
    with app.test_request_context(base_url=base_url):
        sent = links.send_group_meeting_links()
        db.session.commit()
        mail.deliver()
    return sent


def shoot(page, name: str) -> None:
    """Screenshots at 1280 and 320 px for a person to look at (the test does not judge them)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("1280", WIDE), ("320", NARROW)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(WIDE)


# Elements sticking out past the right edge of the viewport, for the failure message.
OVERFLOWING = """() => [...document.body.querySelectorAll('*')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-3).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + el.className)"""


def reflows_and_passes_axe(page, assert_accessible) -> None:
    for size in (WIDE, NARROW):
        page.set_viewport_size(size)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
            f"{page.url} scrolls sideways at {size['width']} px: {page.evaluate(OVERFLOWING)}"
        assert_accessible(page)
    page.set_viewport_size(WIDE)


def real_pdf() -> bytes:
    """A real one-page PDF with text, made now."""
    from weasyprint import HTML

    return HTML(string="<h1>Protokół ze spotkania grupy roboczej</h1><p>Ustalenia: więcej grantów.</p>").write_pdf()


def test_the_group_link_goes_to_confirmed_members_once_and_the_calendar_is_in_warsaw_time(
        app, torun, frozen_clock, page, live_server, admin, smtp_sink, assert_accessible):
    frozen_clock.set_local("2020-08-24 12:00:00")  # the group sign-up
    group = first_group()
    with app.test_request_context(base_url=live_server):  # the e-mails' links need an address
        member(group, 1)
        member(group, 2)
        member(group, 3, confirmed=False)

    log_in_with_the_form(page, admin.email)
    page.goto(GROUPS)
    page.locator(f"#grupa-{group.id}").get_by_role("link", name="Zmień").click()
    page.get_by_label("Godzina zakończenia spotkania grupy").fill("18:30")
    page.get_by_label("Link do spotkania online").fill("http://spotkania.example.org/x")
    page.get_by_role("button", name="Zapisz zmiany").click()
    expect(page.locator("#join_url-error")).to_contain_text("https://")
    expect(page.get_by_label("Godzina zakończenia spotkania grupy")).to_have_value("18:30")
    assert_accessible(page)
    page.get_by_label("Link do spotkania online").fill(JOIN_URL)
    page.get_by_role("button", name="Zapisz zmiany").click()
    expect(page.get_by_role("status")).to_contain_text("Zapisano zmiany w grupie")
    item = page.locator(f"#grupa-{group.id}")
    expect(item).to_contain_text("31 sierpnia 2020 r., godz. 16:30 – 18:30")
    expect(item).to_contain_text("Link do spotkania online")
    expect(item).to_contain_text("ustawiony")
    reflows_and_passes_axe(page, assert_accessible)
    page.locator(f"#grupa-{group.id}").get_by_role("link", name="Zmień").click()
    expect(page.get_by_label("Link do spotkania online")).to_have_value(JOIN_URL)
    shoot(page, "staff-group-form")

    frozen_clock.set_local("2020-08-30 12:00:00")  # more than a day before
    assert sweep(app, live_server) == 0
    frozen_clock.set_local("2020-08-30 16:30:00")  # 24 hours before
    assert sweep(app, live_server) == 2
    frozen_clock.set_local("2020-08-31 10:00:00")
    assert sweep(app, live_server) == 0
    assert [len(link_mails(smtp_sink, f"osoba{n}@ngo.example")) for n in (1, 2, 3)] == [1, 1, 0]
    body = link_mails(smtp_sink, "osoba1@ngo.example")[0].get_content()
    assert JOIN_URL in body and "31 sierpnia 2020 r., godz. 16:30" in body
    assert f"/konsultacje/{SLUG}/grupy-robocze/{group.id}.ics" in body and "/zgloszenie?t=" in body

    # An anonymous visitor: the calendar file, never the link.
    visitor = page.context.browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw",
                                               base_url=live_server)
    try:
        public = visitor.new_page()
        public.goto(ANNOUNCEMENT)
        calendar_link = public.locator(f"#grupa-{group.id}").get_by_role("link", name="Dodaj do kalendarza (.ics)")
        expect(calendar_link).to_be_visible()
        assert JOIN_URL not in public.content()
        response = public.request.get(calendar_link.get_attribute("href"))
        assert response.ok and response.headers["content-type"].startswith("text/calendar")
        [event] = Calendar.from_ical(response.body()).walk("VEVENT")
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert str(start.tzinfo) == "Europe/Warsaw"
        assert (start.strftime("%Y-%m-%d %H:%M"), end.strftime("%H:%M")) == ("2020-08-31 16:30", "18:30")
        assert JOIN_URL not in response.text()
    finally:
        visitor.close()


def test_minutes_summary_and_recording_reach_the_announcement_and_the_report(
        torun, frozen_clock, page, live_server, admin, smtp_sink, assert_accessible):
    frozen_clock.set_local("2020-09-04 12:00:00")  # after the groups and the meeting met
    group = first_group()
    group.meeting_ends_at = group.meeting_starts_at + timedelta(hours=2)
    db.session.add(Report(consultation_id=torun.id, summary="Konsultacje przebiegły zdalnie.",
                          published_at=clock.now_utc()))
    db.session.commit()
    pdf = real_pdf()
    facts = f"Protokół (PDF, {math.ceil(len(pdf) / 1024)} kB)"

    log_in_with_the_form(page, admin.email)
    page.goto(GROUPS)
    page.locator(f"#grupa-{group.id}").get_by_role("link", name="Materiały ze spotkania").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Materiały ze spotkania")
    reflows_and_passes_axe(page, assert_accessible)
    page.get_by_label("Link do nagrania").fill(RECORDING)
    page.get_by_label("Podsumowanie").fill("Grupa proponuje:\n\n- **więcej** małych grantów,\n- prostsze sprawozdania.")
    page.get_by_label("Protokół (PDF, DOCX albo ODT)").set_input_files(
        files=[{"name": "protokol-grupa-1.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.get_by_role("button", name="Zapisz materiały").click()
    expect(page.get_by_role("status")).to_contain_text("Zapisano materiały ze spotkania")
    expect(page.locator(f"#grupa-{group.id}")).to_contain_text("opublikowane")
    page.locator(f"#grupa-{group.id}").get_by_role("link", name="Materiały ze spotkania").click()
    expect(page.get_by_role("link", name="protokol-grupa-1.pdf")).to_be_visible()
    expect(page.get_by_label("Link do nagrania")).to_have_value(RECORDING)
    reflows_and_passes_axe(page, assert_accessible)
    shoot(page, "staff-materials")

    page.goto(MEETINGS)
    page.get_by_role("link", name="Materiały ze spotkania").first.click()
    page.get_by_label("Podsumowanie").fill("Uczestnicy poparli propozycje grup.")
    page.get_by_role("button", name="Zapisz materiały").click()
    expect(page.get_by_role("status")).to_contain_text("Zapisano materiały ze spotkania")
    shoot(page, "staff-meetings")

    visitor = page.context.browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw",
                                               base_url=live_server)
    try:
        public = visitor.new_page()
        public.goto(ANNOUNCEMENT)
        materials = public.locator(f"#grupa-{group.id} .session-materials")
        expect(materials.get_by_role("heading", name="Materiały ze spotkania")).to_be_visible()
        expect(materials.get_by_role("link", name="Nagranie ze spotkania")).to_have_attribute("href", RECORDING)
        expect(materials).to_contain_text(facts)
        expect(materials.locator("strong")).to_have_text("więcej")
        minutes = public.request.get(materials.get_by_role("link", name="Protokół").get_attribute("href"))
        assert minutes.ok and minutes.body() == pdf
        meeting = db.session.scalar(select(Meeting))
        expect(public.locator(f"#spotkanie-{meeting.id} .session-materials")).to_contain_text(
            "Uczestnicy poparli propozycje grup.")
        reflows_and_passes_axe(public, assert_accessible)
        public.locator(f"#grupa-{group.id}").scroll_into_view_if_needed()
        shoot(public, "announcement")

        public.goto(REPORT)
        section = public.locator("section", has=public.get_by_role("heading", name="Spotkania i grupy robocze"))
        expect(section.get_by_role("heading", name="Grupy robocze", exact=True)).to_be_visible()
        expect(section).to_contain_text("brak potwierdzonych zgłoszeń")
        expect(section.get_by_role("link", name="Nagranie ze spotkania")).to_have_attribute("href", RECORDING)
        expect(section).to_contain_text(facts)
        expect(section).to_contain_text("Uczestnicy poparli propozycje grup.")
        reflows_and_passes_axe(public, assert_accessible)
        shoot(public, "report")
    finally:
        visitor.close()
    assert db.session.scalar(select(Document).where(Document.original_name == "protokol-grupa-1.pdf")) is not None
