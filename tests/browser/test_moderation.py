"""Moderation in a real browser: the queue by keyboard, hiding, locking, two moderators on one
item, and axe on every moderation page.

Each test seeds the demo consultation (Toruń 2021, original 2020 dates), freezes the one clock
inside the comment window (20 September 2020, 12:00 Warsaw) before the first page is opened,
and logs a moderator in through the login form. Where a story says "keyboard", the test uses
only Tab, typing, arrow keys and Enter — never a click.
"""
import re
import time
from datetime import timedelta

import pytest
from flask import current_app

from portal import clock
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post, PostState, Thread
from portal.moderation import flags, thread_tools
from portal.moderation import services as moderation
from portal.moderation.models import FlagReason
from tests.browser.conftest import log_in_with_the_form
from tests.conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None


SLUG = "program-wspolpracy-2021"
FORUM = f"/konsultacje/{SLUG}/forum"
QUEUE = "/moderacja/kolejka"
IN_WINDOW = "2020-09-20 12:00:00"
MAX_TABS = 120


# --- data ----------------------------------------------------------------------------------

@pytest.fixture
def in_window(frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    return frozen_clock


def next_minute() -> None:
    clock.set(clock.now_utc() + timedelta(minutes=1))


def comment(author, thread, body, parent=None) -> Post:
    """Written through the service (e-mails need a request for their links)."""
    next_minute()
    with current_app.test_request_context():
        post = services.post_comment(author, thread, body, parent=parent)
        db.session.commit()
    return post


def in_request(action, *args, **kwargs):
    """A moderation service call as a request would make it (mail needs the request), committed."""
    with current_app.test_request_context():
        result = action(*args, **kwargs)
        db.session.commit()
    return result


def pre_moderation(consultation) -> None:
    consultation.moderation_mode = ModerationMode.ALL
    db.session.commit()


def fresh(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


def thread_url(thread) -> str:
    return f"{FORUM}/watek/{thread.id}"


# --- pages ---------------------------------------------------------------------------------

def other_page(browser, live_server, request, problems_from=None):
    """A page in a context of its own (another person); its console errors fail the test too."""
    from tests.browser.conftest import PAGE_PROBLEMS

    context = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", base_url=live_server,
                                  viewport={"width": 1280, "height": 800})
    request.addfinalizer(context.close)
    page = context.new_page()
    problems = request.node.stash.get(PAGE_PROBLEMS, None)
    if problems is not None:
        page.on("console", lambda m: m.type == "error" and problems.append(
            f"console error ({m.location.get('url') or page.url}): {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught error on {page.url}: {e}"))
    return page


def log_in_with_the_keyboard(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/logowanie")
    tab_to(page, lambda el: el["id"] == "email", "the e-mail field")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("banner").get_by_role("link", name="Moje konto")).to_be_visible()


# --- keyboard helpers ----------------------------------------------------------------------

def active_element(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const article = el.closest('article');
        return {tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute('type'),
                text: (el.textContent || '').replace(/\\s+/g, ' ').trim(),
                article: article ? article.id : null, value: el.value === undefined ? null : el.value,
                inMain: !!el.closest('main')};
    }""")


def press_until(page, key: str, wanted, description: str, max_presses: int = MAX_TABS) -> dict:
    focused = None
    for _ in range(max_presses):
        page.keyboard.press(key)
        focused = active_element(page)
        if wanted(focused):
            return focused
    pytest.fail(f"{max_presses} presses of {key} never reached {description}; ended on {focused}")


def tab_to(page, wanted, description: str) -> dict:
    return press_until(page, "Tab", wanted, description)


def tab_to_control(page, tag: str, text: str, article: str | None = None) -> dict:
    """Tab to a <button>/<summary> whose text starts with `text` (in `article`, if given)."""
    return tab_to(page, lambda el: el["inMain"] and el["tag"] == tag and el["text"].startswith(text)
                  and (article is None or el["article"] == article),
                  f"the {tag} {text!r}" + (f" in #{article}" if article else ""))


def mail_to(smtp_sink, address: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = smtp_sink.to(address)
        if messages:
            return messages
        time.sleep(0.1)
    return []


# --- 1. the queue by keyboard --------------------------------------------------------------

def test_a_moderator_approves_and_rejects_from_the_queue_by_keyboard(
        page, browser, live_server, request, torun, section_thread, anna, jan, moderator,
        in_window, smtp_sink):
    pre_moderation(torun)
    first = comment(anna, section_thread, "Proszę o dłuższy termin na składanie wniosków.")
    second = comment(jan, section_thread, "Reklama: najtańsze okna w Toruniu, dzwoń teraz.\n\nDrugi akapit uwagi.")
    assert (fresh(first).state, fresh(second).state) == (PostState.PENDING, PostState.PENDING)
    smtp_sink.clear()

    log_in_with_the_keyboard(page, moderator.email)
    page.goto(QUEUE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kolejka moderacji")
    expect(page.locator("article.comment")).to_have_count(2)

    # Approve the first (the longest waiting) with Tab and Enter.
    tab_to_control(page, "button", "Zatwierdź", article=f"pozycja-{first.id}")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text(f"Uwaga #{first.id} została zatwierdzona i opublikowana.")
    expect(page.locator(f"#pozycja-{first.id}")).to_have_count(0)
    expect(page.locator(f"#pozycja-{second.id}")).to_be_visible()
    assert fresh(first).state == PostState.APPROVED

    # Anyone can now read it on the thread page.
    reader = other_page(browser, live_server, request)
    reader.goto(thread_url(section_thread))
    expect(reader.locator(f"#k-{first.id}")).to_contain_text("Proszę o dłuższy termin na składanie wniosków.")
    expect(reader.locator(f"#k-{second.id}")).to_have_count(0)

    # Reject the second: open "Odrzuć", choose the reason with the arrow key, send with Enter.
    page.locator("body").focus()
    tab_to_control(page, "summary", "Odrzuć", article=f"pozycja-{second.id}")
    page.keyboard.press("Enter")
    reason = page.locator(f"#q-powod-{second.id}")
    expect(reason).to_be_visible()
    tab_to(page, lambda el: el["id"] == f"q-powod-{second.id}", "the reason select")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(reason).to_have_value("spam")
    tab_to_control(page, "button", "Odrzuć uwagę", article=f"pozycja-{second.id}")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text(f"Uwaga #{second.id} została odrzucona")
    expect(page.locator(f"#pozycja-{second.id}")).to_have_count(0)
    expect(page.get_by_text("Kolejka jest pusta: nic nie czeka na decyzję.")).to_be_visible()
    assert fresh(second).state == PostState.REJECTED

    # Jan got an e-mail with the reason and his full text.
    # (Jan also follows the thread since he wrote in it: Anna's approved comment was sent to him.)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not [m for m in smtp_sink.to(jan.email) if "nie została" in m["Subject"]]:
        time.sleep(0.1)
    messages = [m for m in smtp_sink.to(jan.email) if "nie została opublikowana" in m["Subject"]]
    assert len(messages) == 1, [m["Subject"] for m in smtp_sink.messages]
    body = messages[0].get_body(("plain",)).get_content()
    assert "spam lub reklama" in body
    assert "Reklama: najtańsze okna w Toruniu, dzwoń teraz." in body
    assert "Drugi akapit uwagi." in body
    assert not [m for m in smtp_sink.to(anna.email) if "nie została opublikowana" in m["Subject"]]


# --- 2. hiding a comment; its replies stay --------------------------------------------------

def test_a_moderator_hides_a_comment_and_its_replies_stay(
        page, browser, live_server, request, section_thread, anna, jan, moderator, in_window):
    parent = comment(anna, section_thread, "Urzędnicy to banda nierobów, wstyd!")
    reply = comment(jan, section_thread, "Proszę o rzeczowe uwagi do paragrafu.", parent=parent)

    log_in_with_the_form(page, moderator.email)
    page.goto(thread_url(section_thread))
    tab_to_control(page, "summary", "Ukryj", article=f"k-{parent.id}")
    page.keyboard.press("Enter")
    field = page.locator(f"#w-ukryj-{parent.id}")
    expect(field).to_be_visible()
    page.keyboard.press("Tab")
    expect(field).to_be_focused()
    page.keyboard.type("obraźliwe określenia")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text(f"Uwaga #{parent.id} została ukryta.")
    assert fresh(parent).state == PostState.HIDDEN

    reader = other_page(browser, live_server, request)
    reader.goto(thread_url(section_thread))
    hidden = reader.locator(f"#k-{parent.id}")
    expect(hidden.locator(".comment__placeholder")).to_have_text(
        "Uwaga ukryta przez moderatora: obraźliwe określenia")
    expect(hidden).not_to_contain_text("banda nierobów")
    expect(reader.locator(f"#k-{reply.id}")).to_contain_text("Proszę o rzeczowe uwagi do paragrafu.")
    expect(reader.locator(f"#k-{reply.id}")).to_be_visible()


# --- 3. locking a thread --------------------------------------------------------------------

def test_a_moderator_locks_a_thread_by_keyboard(
        page, browser, live_server, request, section_thread, anna, moderator, in_window):
    log_in_with_the_keyboard(page, moderator.email)
    page.goto(thread_url(section_thread))
    expect(page.get_by_role("heading", name="Narzędzia moderatora")).to_be_visible()
    tab_to_control(page, "button", "Zamknij wątek dla nowych uwag")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(thread_url(section_thread)) + "$"))
    expect(page.locator(".flashes")).to_contain_text("Wątek jest zamknięty dla nowych uwag.")
    expect(page.get_by_role("button", name="Otwórz wątek dla uwag")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Thread, section_thread.id).is_locked

    participant = other_page(browser, live_server, request)
    log_in_with_the_form(participant, anna.email)
    participant.goto(thread_url(section_thread))
    expect(participant.locator("p.notice", has_text="Ten wątek jest zamknięty dla nowych uwag.")).to_be_visible()
    expect(participant.get_by_role("button", name="Wyślij uwagę")).to_have_count(0)
    expect(participant.get_by_role("heading", name="Narzędzia moderatora")).to_have_count(0)


# --- 4. two moderators, one item -------------------------------------------------------------

def test_two_moderators_on_one_item(
        page, browser, live_server, request, torun, section_thread, anna, moderator, second_moderator,
        in_window):
    pre_moderation(torun)
    post = comment(anna, section_thread, "Uwaga, którą zobaczą dwie osoby naraz.")

    log_in_with_the_form(page, moderator.email)
    page.goto(QUEUE)
    other = other_page(browser, live_server, request)
    log_in_with_the_form(other, second_moderator.email)
    other.goto(QUEUE)
    expect(page.locator(f"#pozycja-{post.id}")).to_be_visible()
    expect(other.locator(f"#pozycja-{post.id}")).to_be_visible()

    page.locator(f"#pozycja-{post.id}").get_by_role("button", name=re.compile("^Zatwierdź — ")).click()
    expect(page.locator(".flashes")).to_contain_text(f"Uwaga #{post.id} została zatwierdzona i opublikowana.")

    other.locator(f"#pozycja-{post.id}").get_by_role("button", name=re.compile("^Zatwierdź — ")).click()
    expect(other.locator(".flashes")).to_contain_text(f"już obsłużona przez: {moderator.display_name}")
    expect(other.locator(".flashes")).not_to_contain_text("została zatwierdzona")
    expect(other.locator(f"#pozycja-{post.id}")).to_have_count(0)
    assert fresh(post).state == PostState.APPROVED


# --- 5. axe on every moderation page -----------------------------------------------------------

def _flagged_and_pending(torun, thread, anna, jan, moderator):
    """An approved comment reported by Jan, one hidden with a reason (with a reply), one pending."""
    reported = comment(anna, thread, "Ta uwaga została zgłoszona przez innego uczestnika.")
    hidden = comment(anna, thread, "Ta uwaga zostanie ukryta przez moderatora.")
    reply = comment(jan, thread, "Odpowiedź na ukrytą uwagę zostaje widoczna.", parent=hidden)
    in_request(flags.report, jan, fresh(reported), FlagReason(list(FlagReason)[0].value), "Proszę sprawdzić.")
    post = fresh(hidden)
    in_request(moderation.hide, moderator, post, post.version, "naruszenie regulaminu")
    pre_moderation(torun)
    pending = comment(jan, thread, "Nowa uwaga czekająca na zatwierdzenie.")
    return reported, hidden, reply, pending


SCENES = ["queue-with-items", "queue-empty", "thread-tools", "user-tools", "report-form-error",
          "log-with-filter-error", "transparency", "thread-as-moderator"]


@pytest.mark.parametrize("scene", SCENES)
def test_moderation_pages_pass_axe(scene, page, torun, section_thread, general, anna, jan, moderator,
                                   in_window, assert_accessible):
    """The general thread is there too, as in a real consultation (the transparency page counts both)."""
    if scene != "queue-empty":
        reported, hidden, _reply, pending = _flagged_and_pending(torun, section_thread, anna, jan, moderator)

    if scene == "report-form-error":
        log_in_with_the_form(page, jan.email)
        approved = comment(anna, section_thread, "Uwaga, którą Jan chce zgłosić.")
        in_request(moderation.approve, moderator, fresh(approved), fresh(approved).version)
        page.goto(f"/forum/uwagi/{approved.id}/zglos")
        page.get_by_role("button", name="Wyślij zgłoszenie").click()
        expect(page.locator(".error-summary")).to_contain_text("Wybierz powód zgłoszenia.")
        assert_accessible(page)
        return
    if scene == "transparency":
        page.goto(f"/konsultacje/{SLUG}/moderacja")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
        return

    log_in_with_the_form(page, moderator.email)
    if scene == "queue-with-items":
        page.goto(QUEUE)
        expect(page.locator(f"#pozycja-{pending.id}")).to_be_visible()
        expect(page.locator(f"#pozycja-{reported.id}")).to_be_visible()
        # Open every disclosure so that axe sees the forms inside them too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    elif scene == "queue-empty":
        page.goto(QUEUE)
        expect(page.get_by_text("Kolejka jest pusta: nic nie czeka na decyzję.")).to_be_visible()
    elif scene == "thread-tools":
        page.goto(f"/moderacja/watki/{section_thread.id}/narzedzia")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    elif scene == "user-tools":
        page.goto(f"/moderacja/uzytkownicy/{anna.id}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    elif scene == "log-with-filter-error":
        in_request(thread_tools.lock, moderator, db.session.get(Thread, section_thread.id))
        page.goto("/moderacja/dziennik?od=wczoraj")
        expect(page.get_by_text("Wpisz datę w postaci RRRR-MM-DD, np. 2020-09-30.").first).to_be_visible()
        expect(page.locator("table tbody tr").first).to_be_visible()
    elif scene == "thread-as-moderator":
        page.goto(thread_url(section_thread))
        expect(page.get_by_role("heading", name="Narzędzia moderatora")).to_be_visible()
        expect(page.locator(f"#k-{pending.id}")).to_be_visible()
        expect(page.locator(f"#k-{hidden.id} .comment__placeholder")).to_be_visible()
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_accessible(page)


def test_the_moderation_settings_page_passes_axe_and_saves(page, torun, admin, assert_accessible):
    log_in_with_the_form(page, admin.email)
    page.goto("/zespol/konsultacje/program-wspolpracy-2021/moderacja")
    assert_accessible(page)
    page.get_by_label("Wszystkie uwagi uczestników czekają na zatwierdzenie").check()
    page.get_by_label("Po ilu zgłoszeniach").fill("0")
    page.get_by_role("main").get_by_role("button", name="Zapisz ustawienia").click()
    expect(page.locator("#flag_threshold-error")).to_contain_text("Podaj liczbę od 1 do 50.")
    assert_accessible(page)
    page.get_by_label("Po ilu zgłoszeniach").fill("4")
    page.get_by_role("main").get_by_role("button", name="Zapisz ustawienia").click()
    expect(page.get_by_text("Zapisano ustawienia moderacji.")).to_be_visible()


# --- 5. an author's edit under pre-moderation ----------------------------------------------

def test_an_authors_edit_waits_and_a_moderator_approves_it_by_keyboard(
        page, browser, live_server, request, torun, general, anna, moderator, in_window, assert_accessible):
    published = comment(anna, general, "Program pomija seniorów.")
    pre_moderation(torun)
    next_minute()
    log_in_with_the_form(page, anna.email)
    page.goto(f"/forum/uwagi/{published.id}/edycja")
    expect(page.get_by_text("Zmiany opublikowanej uwagi sprawdza moderator.")).to_be_visible()
    page.get_by_label("Treść uwagi").fill("Program pomija seniorów i osoby z niepełnosprawnościami.")
    page.get_by_role("button", name="Zapisz zmiany").click()
    expect(page.get_by_text("Zmiany czekają na zatwierdzenie przez moderatora.")).to_be_visible()
    expect(page.locator(f"#k-{published.id} .comment__body").first).to_have_text("Program pomija seniorów.")
    assert_accessible(page)

    staff = other_page(browser, live_server, request)
    log_in_with_the_form(staff, moderator.email)
    staff.goto(QUEUE)
    item = staff.locator(f"#pozycja-{published.id}")
    expect(item).to_contain_text("zmiana opublikowanej uwagi — czeka na zatwierdzenie")
    expect(item).to_contain_text("Program pomija seniorów i osoby z niepełnosprawnościami.")
    staff.set_viewport_size({"width": 320, "height": 800})
    assert staff.evaluate("() => document.documentElement.scrollWidth") <= 320
    staff.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    assert_accessible(staff)
    staff.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = false)")
    staff.set_viewport_size({"width": 1280, "height": 800})

    tab_to_control(staff, "button", "Zatwierdź zmianę", f"pozycja-{published.id}")
    staff.keyboard.press("Enter")
    expect(staff.get_by_text(f"Nowa treść uwagi #{published.id} została opublikowana.")).to_be_visible()
    page.goto(thread_url(general))
    expect(page.locator(f"#k-{published.id} .comment__body").first).to_have_text(
        "Program pomija seniorów i osoby z niepełnosprawnościami.")
    expect(page.locator(f"#k-{published.id}")).to_contain_text("edytowano")
