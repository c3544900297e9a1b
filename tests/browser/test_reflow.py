"""Every page reflows at 320 CSS px (WCAG 2.1 1.4.10: 1280 px at 400 % zoom) and passes axe.

A crawler signs in as each kind of person (anonymous, participant, moderator, admin), in the
electronic consultation and in the analysis phase (report published), opens "/" in a 320×640
viewport and follows every same-origin link it finds (GET only). Logout and the language switch
are forms, not links; downloads (CSV, XLSX, JSON, PDF, iCalendar, Atom, uploaded files) and
external links are left out. Pages of one route are alike, so at most two are visited per route
pattern (numbers in the path replaced by a placeholder, query values ignored).

On every page: the page itself never scrolls sideways (`scrollWidth <= innerWidth`; a data table
may scroll inside its own box), every data table sits in a labelled, keyboard-focusable scroll
region, and axe finds nothing. Every offending page is reported, not just the first.

The data: the `commented` consultation (Toruń 2020, a small draft, five comments, one waiting
for moderation, one reply) plus a reported comment, a comment with a long unbroken URL, and
registrations for working groups and the online meeting (holders, a waiting list, an ended one).
"""
from __future__ import annotations

import re
from collections import Counter, deque
from datetime import datetime
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from flask import current_app

from portal import clock
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.moderation import flags
from portal.moderation.models import FlagReason
from portal.registrations import services
from portal.registrations.models import Meeting, WorkingGroup
from portal.reports.models import Decision, Report
from tests.browser.conftest import log_in_with_the_form
from tests.factories import add_comment, answer, answer_all

ROLES = ("anonymous", "participant", "moderator", "admin")
PHASES = ("e_consultation", "analysis")
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1280, "height": 800}
PER_PATTERN = 2          # pages visited per route pattern
MAX_PAGES = 120          # a runaway crawl fails instead of running for minutes
SLUG = "program-wspolpracy-2021"
OVERVIEW = f"/zespol/konsultacje/{SLUG}/zapisy"

LONG_URL = ("https://www.bip.torun.pl/dokumenty/programy/wspolpraca-z-organizacjami-pozarzadowymi/"
            "2021/projekt-programu-wspolpracy-miasta-torunia-z-organizacjami-pozarzadowymi.pdf")
LONG_WORD = "Konstantynopolitańczykowianeczka" * 3

# Not pages: files to download, feeds, the print-ready PDF, uploaded documents.
DOWNLOAD = re.compile(r"\.(csv|xlsx|json|pdf|ics|docx|xml|atom)$|/atom|/feed|/pdf$|/dokumenty/\d+$", re.I)
NOT_A_PAGE = re.compile(r"^/(wyloguj|jezyk|static/|healthz)")

# Elements sticking out past the right edge of the viewport (the deepest ones: the culprits).
OVERFLOWING = """() => {
    const limit = window.innerWidth + 1;
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.right <= limit) continue;
        if (el.closest('.table-scroll') && !el.matches('.table-scroll')) continue;
        if ([...el.children].some(child => child.getBoundingClientRect().right > limit)) continue;
        const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
        out.push(`${name} (right edge ${Math.round(box.right)} px): ${(el.textContent || '').trim().slice(0, 40)}`);
        if (out.length >= 3) break;
    }
    return out;
}"""

# Data tables outside a labelled, focusable scroll region.
UNWRAPPED_TABLES = """() => [...document.querySelectorAll('main table')].filter(table => {
    if (table.closest('.user-content')) return false;  // tables written in Markdown wrap their words
    const region = table.parentElement.closest('.table-scroll');
    if (!region || region.getAttribute('role') !== 'region' || region.getAttribute('tabindex') !== '0') return true;
    const label = document.getElementById(region.getAttribute('aria-labelledby') || '');
    return !label || !label.textContent.trim();
}).map(table => (table.caption ? table.caption.textContent : table.outerHTML).trim().slice(0, 60))"""


# --- the data ---------------------------------------------------------------------------------

def _register_people(consultation: Consultation) -> None:
    """Registrations made through the service, as the public forms would, while they were open.

    In a request context: the e-mails they send carry links, built from the request's host.
    """
    with current_app.test_request_context():
        _registrations(consultation)


def _registrations(consultation: Consultation) -> None:
    groups = db.session.query(WorkingGroup).filter_by(consultation_id=consultation.id).order_by(WorkingGroup.position).all()
    signup = clock.from_local(datetime(2020, 8, 24, 12, 0), consultation.timezone)
    first = groups[0]
    people = []
    for n in range(first.capacity + 3):  # every seat taken, three on the waiting list
        people.append(services.take_seat(consultation, first, services.Applicant(
            full_name=f"Małgorzata Brzęczyszczykiewicz-Wiśniewska {n}",
            email=f"malgorzata.brzeczyszczykiewicz.wisniewska.{n}@stowarzyszenie-przykladowe.example",
            organisation_name="Stowarzyszenie na rzecz Rozwoju Społeczeństwa Obywatelskiego „Przykład”",
            recording_consent=True, phone="+48 600 100 200",
            organisation_address="ul. Mikołaja Kopernika 123/45, 87-100 Toruń",
            organisation_contact="sekretariat@stowarzyszenie-przykladowe.example",
            prior_activity=f"Warsztaty dla seniorów, {LONG_URL}"), now=signup))
    for person in people[:first.capacity]:
        services.confirm(person, now=signup)
    services.withdraw(people[1], now=signup)  # an ended registration; the first waiting moves up
    meeting = db.session.query(Meeting).filter_by(consultation_id=consultation.id).first()
    services.register_for_meeting(meeting, services.Applicant(
        full_name="Jan Kowalski-Zabłocki", email="jan.kowalski-zablocki@fundacja-przykladowa.example",
        organisation_name="Fundacja Przykładowa", recording_consent=True, phone="+48 600 100 201"),
        now=clock.from_local(datetime(2020, 9, 2, 12, 0), consultation.timezone))
    db.session.commit()


def _set_the_scene(commented, phase: str, frozen_clock) -> None:
    """The data of the module docstring, in the phase; the clock inside that phase."""
    consultation = commented.consultation
    _register_people(consultation)
    frozen_clock.set_local("2020-09-25 12:00:00")  # during the electronic consultation
    long_one = add_comment(commented.sections[1], commented.jan,
                           f"Zob. {LONG_URL} oraz {LONG_WORD}.", paragraph=1)
    flags.report(commented.anna, commented.comments[0], FlagReason.OFF_TOPIC, note=LONG_WORD)
    db.session.commit()
    if phase == "analysis":  # 5 October 2020, the window closed, every comment answered, the report out
        frozen_clock.set_local("2020-10-05 12:00:00")
        answer_all(commented)
        answer(consultation, [long_one], Decision.EXPLANATION, f"Adres {LONG_URL} jest nieaktualny.")
        db.session.add(Report(consultation_id=consultation.id, published_at=clock.now_utc(),
                              summary=f"Przebieg konsultacji: {LONG_URL}"))
        db.session.commit()


# --- the crawler ------------------------------------------------------------------------------

def _pattern(path: str, query: str) -> str:
    """Pages of one route are alike: numbers become {n}, query values are ignored."""
    names = sorted({name for name, _value in parse_qsl(query, keep_blank_values=True)})
    return re.sub(r"/\d+(?=/|\.|$)", "/{n}", path) + ("?" + "&".join(names) if names else "")


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue  # external, mailto:, tel:
        if DOWNLOAD.search(parts.path) or NOT_A_PAGE.match(parts.path):
            continue
        found.append(url)
    return found


def crawl(page, origin: str, assert_accessible) -> tuple[list[str], list[str], list[str], list[str]]:
    """Visit every reachable page (two per route pattern); return visited, too wide, unwrapped, axe."""
    queue = deque([f"{origin}/"])
    seen = {f"{origin}/"}
    per_pattern = Counter({_pattern("/", ""): 1})
    visited, too_wide, unwrapped, inaccessible = [], [], [], []
    while queue:
        url = queue.popleft()
        if url in visited:  # reached before through a redirect
            continue
        assert len(visited) < MAX_PAGES, f"more than {MAX_PAGES} pages: is the crawl looping? {visited[-10:]}"
        response = page.goto(url)
        assert response is not None and response.ok, f"{url}: HTTP {response.status if response else '?'}"
        landed = urldefrag(page.url)[0]  # a permalink redirects to its thread
        if landed in visited:
            continue
        seen.add(landed)
        visited.append(landed)
        where = landed.removeprefix(origin)
        width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > viewport:
            culprits = "; ".join(page.evaluate(OVERFLOWING))
            too_wide.append(f"{where}: {width} px wide at {viewport} px ({culprits})")
        tables = page.evaluate(UNWRAPPED_TABLES)
        if tables:
            unwrapped.append(f"{where}: {tables}")
        try:
            assert_accessible(page)
        except AssertionError as error:
            inaccessible.append(str(error))
        for link in _links(page, origin):
            if link in seen:
                continue
            seen.add(link)
            parts = urlsplit(link)
            pattern = _pattern(parts.path, parts.query)
            if per_pattern[pattern] >= PER_PATTERN:
                continue
            per_pattern[pattern] += 1
            queue.append(link)
    return visited, too_wide, unwrapped, inaccessible


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_reflows_at_320_px_and_passes_axe(role, phase, page, live_server, commented,
                                                              frozen_clock, assert_accessible):
    _set_the_scene(commented, phase, frozen_clock)
    page.set_viewport_size(NARROW)
    from axe_playwright_python.sync_playwright import Axe

    # axe is on every page the crawl opens: given to the browser once, not sent with each page
    # (~70 ms less a page; 70 pages for an admin).
    page.context.add_init_script(Axe().axe_script)
    person = {"participant": commented.anna, "moderator": commented.moderator, "admin": commented.admin}.get(role)
    if person is not None:
        log_in_with_the_form(page, person.email)

    visited, too_wide, unwrapped, inaccessible = crawl(page, live_server, assert_accessible)

    print(f"{role} / {phase}: {len(visited)} pages")
    paths = {url.removeprefix(live_server) for url in visited}
    must_see = {"/", f"/konsultacje/{SLUG}", f"/konsultacje/{SLUG}/forum"}
    if phase == "analysis":
        must_see.add(f"/konsultacje/{SLUG}/raport")
    if role in ("moderator", "admin"):
        must_see |= {"/moderacja/kolejka", OVERVIEW}
    if role == "admin":
        must_see.add("/admin/uzytkownicy")
    assert must_see <= paths, f"the crawl never reached {sorted(must_see - paths)}; it saw {sorted(paths)}"
    problems = []
    if too_wide:
        problems.append(f"{len(too_wide)} page(s) scroll sideways at {NARROW['width']} px:\n  "
                        + "\n  ".join(too_wide))
    if unwrapped:
        problems.append("tables outside a labelled, focusable scroll region:\n  " + "\n  ".join(unwrapped))
    problems.extend(inaccessible)
    assert not problems, f"{role} / {phase}, {len(visited)} pages:\n" + "\n".join(problems)


def test_the_staff_registration_list_fits_a_1280_px_screen(page, live_server, commented, frozen_clock):
    """Long names, addresses and e-mails stay inside the page; a table too wide scrolls in its box."""
    from playwright.sync_api import expect

    _set_the_scene(commented, "e_consultation", frozen_clock)
    page.set_viewport_size(WIDE)
    log_in_with_the_form(page, commented.moderator.email)
    page.goto(OVERVIEW)
    expect(page.get_by_role("table").first).to_be_visible()

    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"{OVERVIEW} is {width} px wide at {viewport} px: {page.evaluate(OVERFLOWING)}"

    # Seat holders, their attendance, the waiting list, ended registrations, the meeting: each
    # table in its box, a region named by the table's caption; at 1280 px every one fits.
    boxes = page.locator(".table-scroll")
    expect(boxes).to_have_count(5)
    for box in boxes.all():
        expect(box).to_have_attribute("role", "region")
        expect(box).to_have_accessible_name(box.locator("caption").inner_text())
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth"), "a table is wider than its box at 1280 px"
    # On a narrower screen the holders' table is wider than its box: the box scrolls, from the
    # keyboard too, and shows where the focus is.
    page.set_viewport_size({"width": 800, "height": 800})
    page.goto(OVERVIEW)
    box = page.locator(".table-scroll").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: nothing to scroll"
    box.focus()
    expect(box).to_be_focused()
    assert box.evaluate("el => getComputedStyle(el).outlineStyle") != "none", "no visible focus"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())
