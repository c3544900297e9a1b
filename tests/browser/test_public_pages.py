"""What a person sees of the public site in a real browser: Polish first, English second.

Each test seeds the demo consultation (Toruń 2021, original 2020 dates) and freezes the one
clock *before* the page is opened; the server thread reads the same clock.
"""
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
ANNOUNCEMENT = f"/konsultacje/{SLUG}"
PRINT_VIEW = f"/konsultacje/{SLUG}/druk"
TITLE = "Program współpracy z organizacjami pozarządowymi na 2021 rok"
CURRENT_PHASE = "Konsultacje elektroniczne projektu programu"

IN_E_CONSULTATION = "2020-09-20 12:00:00"  # 17–30 September 2020: the e-consultation phase
AFTER_THE_END = "2020-10-23 12:00:00"      # the last phase (council session) was 22 October


def current_phase(page):
    return page.locator("ol.timeline > li[aria-current='step']")


def active_element(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim(),
                href: el.getAttribute('href')};
    }""")


def has_visible_focus_indicator(locator) -> bool:
    style = locator.evaluate("""el => {
        const s = getComputedStyle(el);
        return {outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), shadow: s.boxShadow};
    }""")
    outline = style["outline"] != "none" and style["outlineWidth"] > 0
    return outline or style["shadow"] != "none"


# --- home page -----------------------------------------------------------------------------

def test_visitor_sees_the_running_consultation_on_the_polish_home_page(
        torun, frozen_clock, page, assert_accessible):
    frozen_clock.set_local(IN_E_CONSULTATION)

    page.goto("/")

    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Konsultacje społeczne")
    current = page.get_by_role("region", name="Trwające i zapowiedziane")
    expect(current.get_by_role("link", name=TITLE)).to_be_visible()
    expect(current).to_contain_text(f"Trwa teraz: {CURRENT_PHASE}")
    archive = page.get_by_role("region", name="Archiwum")
    expect(archive.get_by_role("link", name=TITLE)).to_have_count(0)
    expect(archive).to_contain_text("Archiwum jest puste.")
    assert_accessible(page)


def test_finished_consultation_moves_to_the_archive_and_still_opens(
        torun, frozen_clock, page, assert_accessible):
    frozen_clock.set_local(AFTER_THE_END)

    page.goto("/")

    current = page.get_by_role("region", name="Trwające i zapowiedziane")
    expect(current).to_contain_text("W tej chwili nie trwają żadne konsultacje.")
    archive = page.get_by_role("region", name="Archiwum")
    expect(archive).to_contain_text("Konsultacje zakończyły się: 22 października 2020 r.")
    assert_accessible(page)

    archive.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(re.escape(ANNOUNCEMENT) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(current_phase(page)).to_have_count(0)


# --- announcement --------------------------------------------------------------------------

def test_announcement_shows_exactly_one_phase_running_now_with_polish_dates(
        torun, frozen_clock, page, assert_accessible):
    frozen_clock.set_local(IN_E_CONSULTATION)

    page.goto(ANNOUNCEMENT)

    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    timeline = page.locator("ol.timeline")
    expect(timeline.get_by_text("trwa teraz", exact=True)).to_have_count(1)
    expect(current_phase(page)).to_have_count(1)
    expect(current_phase(page).get_by_role("heading")).to_have_text(CURRENT_PHASE)
    expect(current_phase(page)).to_contain_text("trwa teraz")
    expect(current_phase(page).locator("time")).to_have_text("17–30 września 2020 r.")
    expect(current_phase(page).locator("time")).to_have_attribute("datetime", "2020-09-17T00:00+02:00")
    expect(timeline.get_by_text("zakończony", exact=True)).to_have_count(5)
    expect(timeline.get_by_text("zaplanowany", exact=True)).to_have_count(2)
    expect(page.locator(".status-box")).to_contain_text(
        f"Trwa teraz: {CURRENT_PHASE} (17–30 września 2020 r.).")
    assert_accessible(page)


def test_announcement_is_sent_with_a_strict_content_security_policy(torun, page):
    response = page.goto(ANNOUNCEMENT)

    assert response is not None and response.status == 200
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy, policy
    assert "script-src 'self'" in policy, policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy


# --- language ------------------------------------------------------------------------------

def test_visitor_switches_to_english_on_the_same_page_and_back_to_polish(
        torun, frozen_clock, page, assert_accessible):
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.goto(ANNOUNCEMENT)
    expect(page.get_by_role("heading", name="Harmonogram", level=2)).to_be_visible()

    page.get_by_role("banner").get_by_role("button", name="English").click()

    expect(page).to_have_url(re.compile(re.escape(ANNOUNCEMENT) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Timeline", level=2)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("button", name="Polski").click()

    expect(page).to_have_url(re.compile(re.escape(ANNOUNCEMENT) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", name="Harmonogram", level=2)).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("button", name="English")).to_be_visible()


def test_english_timeline_spells_dates_out_in_full_like_the_polish_one(torun, frozen_clock, page):
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.goto(ANNOUNCEMENT)

    page.get_by_role("banner").get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    days = page.locator("ol.timeline time")
    expect(days.first).to_have_text("21 August 2020")  # a one-day phase
    when = current_phase(page).locator("time")
    expect(when).to_contain_text("September")  # a range of days: the month in full, not "Sep"
    expect(when).not_to_contain_text(re.compile(r"\br\.$"))  # no Polish "r." (rok) in English


# --- print ---------------------------------------------------------------------------------

def test_print_view_has_no_site_navigation_and_shows_the_timeline_as_a_table(
        torun, frozen_clock, page, assert_accessible):
    frozen_clock.set_local(IN_E_CONSULTATION)

    page.goto(PRINT_VIEW)

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".site-header")).to_have_count(0)
    expect(page.get_by_role("navigation")).to_have_count(0)
    table = page.get_by_role("table", name="Harmonogram")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(8)
    running = table.locator("tbody tr").filter(has_text="trwa teraz")
    expect(running).to_have_count(1)
    expect(running.get_by_role("rowheader")).to_contain_text(CURRENT_PHASE)
    expect(running.get_by_role("cell").first).to_have_text("17–30 września 2020 r.")
    expect(page.locator("ol.timeline")).to_have_count(0)
    assert_accessible(page)

    page.emulate_media(media="print")

    expect(table).to_be_visible()
    expect(page.get_by_role("link", name="Wróć do strony konsultacji")).to_be_hidden()
    assert_accessible(page)


def test_print_view_offers_a_way_back_on_screen(torun, frozen_clock, page):
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.goto(PRINT_VIEW)

    back = page.get_by_role("link", name="Wróć do strony konsultacji")
    expect(back).to_be_visible()
    expect(page.get_by_role("link", name="Pobierz PDF")).to_be_visible()

    back.click()

    expect(page).to_have_url(re.compile(re.escape(ANNOUNCEMENT) + "$"))


def test_printing_the_announcement_page_leaves_out_the_header_and_navigation(
        torun, frozen_clock, page):
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.goto(ANNOUNCEMENT)
    expect(page.get_by_role("banner")).to_be_visible()

    page.emulate_media(media="print")

    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".language-switch")).to_be_hidden()
    expect(page.locator(".skip-link")).to_be_hidden()
    for nav in page.locator("nav").all():
        expect(nav).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(current_phase(page)).to_be_visible()


# --- keyboard ------------------------------------------------------------------------------

def test_keyboard_user_reaches_the_timeline_from_the_top_of_the_page(
        torun, frozen_clock, page):
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.goto(ANNOUNCEMENT)

    page.keyboard.press("Tab")

    skip_link = page.get_by_role("link", name="Przejdź do treści")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    assert has_visible_focus_indicator(skip_link)

    page.keyboard.press("Enter")

    expect(page.locator("main#tresc")).to_be_focused()

    toc_link = page.get_by_role("navigation", name="Na tej stronie").get_by_role(
        "link", name="Harmonogram")
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = active_element(page)
        if focused["tag"] == "a" and focused["href"] == "#harmonogram":
            break
    else:
        pytest.fail(f"30 presses of Tab never reached the 'Harmonogram' link; ended on {focused}")
    expect(toc_link).to_be_focused()
    assert has_visible_focus_indicator(toc_link), "the focused link shows no focus indicator"

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(re.escape(ANNOUNCEMENT) + "#harmonogram$"))
    heading = page.get_by_role("heading", name="Harmonogram", level=2)
    expect(heading).to_be_focused()
    assert has_visible_focus_indicator(heading), "the focused heading shows no focus indicator"
    expect(current_phase(page)).to_be_in_viewport()


# --- site information pages ----------------------------------------------------------------

@pytest.mark.parametrize(("link", "path"), [
    ("Deklaracja dostępności", "/deklaracja-dostepnosci"),
    ("Ochrona danych osobowych", "/ochrona-danych-osobowych"),
])
def test_site_information_pages_open_from_the_footer(
        torun, frozen_clock, page, assert_accessible, link, path):
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.goto("/")
    footer_nav = page.get_by_role("contentinfo").get_by_role(
        "navigation", name="Informacje o serwisie")

    with page.expect_response(lambda response: response.url.endswith(path)) as opened:
        footer_nav.get_by_role("link", name=link).click()

    assert opened.value.status == 200, f"{path} answered {opened.value.status}"
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("contentinfo").get_by_role("link", name=link)).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("width", [1280, 320])
def test_the_page_heading_stands_apart_from_the_header_and_the_text_from_the_footer(
        torun, frozen_clock, page, width):
    """The content's own spacing holds (a `.wrap` rule once set main's top and bottom padding to 0:
    every page's heading touched the dark header band)."""
    frozen_clock.set_local(IN_E_CONSULTATION)
    page.set_viewport_size({"width": width, "height": 800})
    for url in ("/", ANNOUNCEMENT, "/logowanie"):
        page.goto(url)
        header = page.get_by_role("banner").bounding_box()
        heading = page.get_by_role("heading", level=1).bounding_box()
        last = page.locator("main > *:last-child").bounding_box()
        footer = page.get_by_role("contentinfo").bounding_box()
        assert heading["y"] - (header["y"] + header["height"]) >= 16, f"{url} at {width} px: heading at the header"
        assert footer["y"] - (last["y"] + last["height"]) >= 16, f"{url} at {width} px: text at the footer"
