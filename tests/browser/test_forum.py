"""The forum in a real browser: writing a comment and a reply by keyboard, the draft kept in this
browser, the live preview, hostile text that must never run, and axe on every forum page.

Each test seeds the demo consultation (Toruń 2021, original 2020 dates: comments are taken
17–30 September 2020) and freezes the one clock at 20 September 12:00 Warsaw time *before*
the first page is opened; the server thread reads the same clock. One person may post once
every 30 seconds, so a test moves the clock on a minute before each further comment.
Where a story says "keyboard", the test uses only Tab, Shift+Tab, typing and Enter — never a click.
"""
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post
from tests.browser.conftest import log_in_with_the_form
from tests.conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None


SLUG = "program-wspolpracy-2021"
FORUM = f"/konsultacje/{SLUG}/forum"
IN_WINDOW = "2020-09-20 12:00:00"
MAX_TABS = 80

# Ten of the worst vectors from tests/security/test_xss.py (kept in step with its NASTIEST).
NASTIEST = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "[a](javascript:alert(1))",
    "[a](javas&#99;ript:alert(1))",
    "<javascript:alert(1)>",
    "[a][r]\n\n[r]: javascript:alert(1)",
    "[<img src=x onerror=alert(1)>](http://x)",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


# --- data ----------------------------------------------------------------------------------

@pytest.fixture
def in_window(frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    return frozen_clock


def next_minute() -> None:
    """One person may post once every 30 seconds: move the one clock (the server's too) on."""
    clock.set(clock.now_utc() + timedelta(minutes=1))


def comment(author, thread, body, parent=None, paragraph=None) -> Post:
    """Written through the service (e-mails to followers need a request for their links)."""
    next_minute()
    with current_app.test_request_context():
        post = services.post_comment(author, thread, body, parent=parent, paragraph=paragraph)
        db.session.commit()
    return post


def thread_url(thread) -> str:
    return f"{FORUM}/watek/{thread.id}"


def posts() -> list[Post]:
    db.session.expire_all()
    return db.session.scalars(select(Post).order_by(Post.id)).all()


# --- keyboard helpers (as in test_accounts.py) ---------------------------------------------

def active_element(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const article = el.closest('article.comment');
        const item = el.closest('li.comment-item');
        return {tag: el.tagName.toLowerCase(), id: el.id, type: el.getAttribute('type'),
                text: (el.textContent || '').trim(), href: el.getAttribute('href'),
                comment: article ? article.id : null,
                item: item ? (item.querySelector(':scope > article') || {}).id : null,
                inBanner: !!el.closest('header.site-header'), inMain: !!el.closest('main')};
    }""")


def press_until(page, key: str, wanted, description: str, max_presses: int = MAX_TABS) -> dict:
    """Press Tab (or Shift+Tab) until `wanted(active_element)` holds; fail saying where focus ended."""
    focused = None
    for _ in range(max_presses):
        page.keyboard.press(key)
        focused = active_element(page)
        if wanted(focused):
            return focused
    pytest.fail(f"{max_presses} presses of {key} never reached {description}; ended on {focused}")


def tab_to(page, wanted, description: str) -> dict:
    return press_until(page, "Tab", wanted, description)


def tab_to_field(page, field_id: str) -> dict:
    return tab_to(page, lambda el: el["id"] == field_id, f"the field #{field_id}")


def tab_to_button(page, text: str) -> dict:
    return tab_to(page, lambda el: el["inMain"] and el["tag"] == "button" and el["text"] == text,
                  f"the button {text!r}")


def log_in_with_the_keyboard(page, thread, person) -> None:
    """Open the thread, follow its "Zaloguj się" link, log in as the person: back on the thread."""
    page.goto(thread_url(thread))
    tab_to(page, lambda el: el["inMain"] and el["tag"] == "a" and el["text"] == "Zaloguj się",
           "the thread's own 'Zaloguj się' link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zaloguj się")
    tab_to_field(page, "email")
    page.keyboard.type(person.email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(thread_url(thread)) + "$"))
    expect(page.get_by_role("banner").get_by_role("link", name="Moje konto")).to_be_visible()


def editor(page):
    return page.locator("textarea[data-draft-key]")


def flash_message(page):
    """The page's flashed message (a status; the editor's preview has a status of its own)."""
    return page.locator(".flashes[role=status]")


def replies_of(page, post: Post):
    """The <details> holding the replies to a comment."""
    return page.locator(f"li.comment-item:has(> #k-{post.id}) > details.replies")


# --- 1. a comment and a reply, keyboard only -----------------------------------------------

def test_a_participant_comments_and_replies_by_keyboard_and_collapses_the_replies(
        page, section_thread, anna, jan, in_window):
    # Others have written first: the page is long enough that a permalink has to scroll.
    for n in range(1, 7):
        comment(jan, section_thread, f"Wcześniejsza uwaga nr {n} do paragrafu.\n\n" + "Uzasadnienie. " * 40,
                paragraph=n % 3 + 1)
    next_minute()

    log_in_with_the_keyboard(page, section_thread, anna)

    # Tab to the editor, write Markdown, preview it with the "Podgląd" button.
    tab_to_field(page, "body")
    page.keyboard.type("Proponuję **konsultacje on-line** dla seniorów.")
    tab_to_button(page, "Podgląd")
    page.keyboard.press("Enter")

    preview = page.locator("section.preview .user-content")
    expect(preview.locator("strong")).to_have_text("konsultacje on-line")
    expect(editor(page)).to_have_value("Proponuję **konsultacje on-line** dla seniorów.")
    assert posts()[-1].author_id == jan.id  # a preview writes nothing

    # Send it: the person lands on their comment.
    tab_to_button(page, "Wyślij uwagę")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"#k-\d+$"))
    mine = posts()[-1]
    assert mine.author_id == anna.id and mine.body == "Proponuję **konsultacje on-line** dla seniorów."
    assert page.url.endswith(f"{thread_url(section_thread)}#k-{mine.id}")
    expect(flash_message(page)).to_contain_text("Dziękujemy, uwaga została dodana.")
    own = page.locator(f"#k-{mine.id}")
    expect(own).to_be_visible()
    expect(own).to_be_in_viewport()
    expect(own.locator(".comment__body strong")).to_have_text("konsultacje on-line")

    # Reply to it: from the comment, Tab to its own "Odpowiedz" link.
    tab_to(page, lambda el: el["tag"] == "a" and el["comment"] == f"k-{mine.id}"
           and el["text"].startswith("Odpowiedz"), "the comment's 'Odpowiedz' link")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"\?odpowiedz={mine.id}#formularz$"))
    form = page.locator("#formularz")
    expect(form).to_contain_text("Odpowiadasz na uwagę")
    expect(form.get_by_role("link", name=f"#{mine.id}")).to_be_visible()
    tab_to_field(page, "body")
    page.keyboard.type("Dodam jeszcze: *spotkania w bibliotekach*.")
    next_minute()
    tab_to_button(page, "Wyślij uwagę")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"#k-\d+$"))
    reply = posts()[-1]
    assert reply.parent_id == mine.id and reply.depth == 1
    assert page.url.endswith(f"#k-{reply.id}")
    replies = replies_of(page, mine)
    nested = replies.locator(f"#k-{reply.id}")
    expect(nested).to_be_visible()
    expect(nested.locator(".comment__body em")).to_have_text("spotkania w bibliotekach")

    # Collapse the replies with the keyboard: back from the reply to its list's <summary>, Enter.
    summary = replies.locator("> summary")
    press_until(page, "Shift+Tab", lambda el: el["tag"] == "summary" and el["item"] == f"k-{mine.id}",
                "the <summary> of the replies")
    expect(summary).to_be_focused()
    expect(summary).to_have_text("1 odpowiedź")
    page.keyboard.press("Enter")
    expect(replies).not_to_have_attribute("open", re.compile(".*"))
    expect(nested).to_be_hidden()
    page.keyboard.press("Enter")
    expect(replies).to_have_attribute("open", "")
    expect(nested).to_be_visible()

    # The reply's permalink, opened in a new page, scrolls to it.
    other = page.context.new_page()
    problems = []
    other.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    other.on("pageerror", lambda e: problems.append(str(e)))
    other.goto(f"/forum/uwagi/{reply.id}")
    expect(other).to_have_url(re.compile(rf"{re.escape(thread_url(section_thread))}#k-{reply.id}$"))
    target = other.locator(f"#k-{reply.id}")
    expect(target).to_be_in_viewport()
    assert other.evaluate("window.scrollY") > 0, "the page did not scroll to the reply"
    assert problems == []
    other.close()


# --- 2. the draft kept in this browser -----------------------------------------------------

def test_the_draft_survives_a_reload_and_is_gone_once_the_comment_is_sent(page, section_thread, anna, in_window):
    log_in_with_the_form(page, anna.email)
    page.goto(thread_url(section_thread))
    text = "Szkic: warto dodać **konsultacje on-line**."
    editor(page).press_sequentially(text)
    key = f"wspolnie-szkic:uwaga-{section_thread.id}-"
    assert page.evaluate("k => localStorage.getItem(k)", key) == text

    page.reload()
    expect(editor(page)).to_have_value(text)

    page.get_by_role("button", name="Wyślij uwagę").click()
    expect(page).to_have_url(re.compile(r"#k-\d+$"))
    expect(flash_message(page)).to_contain_text("Dziękujemy, uwaga została dodana.")
    [sent] = posts()
    assert sent.body == text
    assert page.evaluate("k => localStorage.getItem(k)", key) is None

    page.reload()
    expect(editor(page)).to_have_value("")


def test_the_page_after_sending_does_not_offer_the_sent_text_again(page, section_thread, anna, in_window):
    """The thread page the person lands on shows the comment once: above, not again in the editor."""
    log_in_with_the_form(page, anna.email)
    page.goto(thread_url(section_thread))
    editor(page).press_sequentially("Uwaga wysłana raz.")
    page.get_by_role("button", name="Wyślij uwagę").click()
    expect(flash_message(page)).to_contain_text("Dziękujemy, uwaga została dodana.")
    expect(editor(page)).to_have_value("")


def test_a_refused_comment_keeps_its_draft(page, section_thread, anna, in_window):
    """An eleventh comment within a minute: refused, and the draft is still there after a reload."""
    log_in_with_the_form(page, anna.email)
    next_minute()
    with current_app.test_request_context():
        for number in range(10):  # an organisation's ten prepared comments, one after another
            services.post_comment(anna, section_thread, f"Przygotowana uwaga {number + 1}.")
        db.session.commit()
    clock.set(clock.now_utc() + timedelta(seconds=5))
    page.goto(thread_url(section_thread))
    editor(page).press_sequentially("Druga, zbyt szybko.")
    page.get_by_role("button", name="Wyślij uwagę").click()
    expect(page.get_by_role("alert")).to_contain_text("Odczekaj jeszcze")
    expect(editor(page)).to_have_value("Druga, zbyt szybko.")
    page.goto(thread_url(section_thread))
    expect(editor(page)).to_have_value("Druga, zbyt szybko.")
    assert len(posts()) == 10


# --- 3. the live preview -------------------------------------------------------------------

def preview_region(page):
    """The preview: a region labelled "Podgląd" (templates/forum/_editor.html)."""
    return page.get_by_role("region", name="Podgląd", exact=True)


def live_preview(page):
    """What the preview shows of the comment (the region also holds a hint and a status)."""
    return preview_region(page).locator("[data-live-preview-for]")


def test_the_live_preview_shows_sanitised_html_as_the_person_types(page, section_thread, anna, in_window,
                                                                   assert_accessible):
    log_in_with_the_form(page, anna.email)
    page.goto(thread_url(section_thread))
    # A labelled region from the start, saying how to fill it; no aria-live on what it shows.
    region = preview_region(page)
    expect(region).to_be_visible()
    expect(region).to_contain_text("Wybierz „Podgląd”")
    live, status = live_preview(page), region.get_by_role("status")
    expect(status).to_have_text("")
    assert page.locator("#podglad [aria-live], #podglad[aria-live]").count() == 0
    assert_accessible(page)

    editor(page).press_sequentially("**pogrubienie** i [link](https://bip.torun.pl) <img src=x onerror=alert(1)>")

    expect(live.locator("strong")).to_have_text("pogrubienie")
    expect(live.get_by_role("link", name="link")).to_have_attribute("href", "https://bip.torun.pl")
    expect(live).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text
    expect(live.locator("img, script, [onerror]")).to_have_count(0)
    expect(region.locator("[data-preview-empty]")).to_be_hidden()
    # A screen reader hears a short polite status, not the whole preview again.
    expect(status).to_have_text(re.compile(r"^Podgląd zaktualizowany\s*$"))
    assert_accessible(page)

    # A dangerous link never becomes a link, even for a moment.
    editor(page).fill("")
    editor(page).press_sequentially("[kliknij](javascript:alert(1)) *kursywa*")
    expect(live.locator("em")).to_have_text("kursywa")
    expect(live.locator("a")).to_have_count(0)

    # Emptied: the region stays, with its hint again.
    editor(page).fill("")
    editor(page).press_sequentially(" ")
    expect(live).to_be_empty()
    expect(region).to_be_visible()
    expect(region.locator("[data-preview-empty]")).to_be_visible()
    assert posts() == []


def test_the_preview_button_works_without_javascript(browser, live_server, section_thread, anna, in_window):
    """The no-JS path: "Podgląd" sends the form and the page comes back at the filled region."""
    context = browser.new_context(java_script_enabled=False, locale="pl-PL", base_url=live_server)
    try:
        page = context.new_page()
        page.goto("/logowanie")
        page.get_by_label("Adres e-mail").fill(anna.email)
        page.get_by_label("Hasło", exact=True).fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Zaloguj się").click()
        page.goto(thread_url(section_thread))
        editor(page).fill("Proponuję **dyżury** w soboty.")
        page.get_by_role("button", name="Podgląd").click()
        expect(page).to_have_url(re.compile(r"#podglad$"))
        expect(live_preview(page).locator("strong")).to_have_text("dyżury")
        expect(editor(page)).to_have_value("Proponuję **dyżury** w soboty.")
        assert posts() == []
    finally:
        context.close()


# --- 4. hostile text never runs ------------------------------------------------------------

def test_the_nastiest_vectors_never_open_a_dialog_anywhere(page, section_thread, anna, jan, in_window):
    assert len(NASTIEST) == 10
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message} on {page.url}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    written = [comment(anna if n % 2 else jan, section_thread, source) for n, source in enumerate(NASTIEST)]
    comment(jan, section_thread, NASTIEST[0] + "\n\nodpowiedź", parent=written[1])

    log_in_with_the_form(page, anna.email)
    page.goto(thread_url(section_thread))
    expect(page.locator("article.comment")).to_have_count(11)
    # Every link the browser parsed inside user text goes somewhere harmless.
    protocols = page.eval_on_selector_all(".comment__body a[href]", "links => links.map(a => a.protocol)")
    assert set(protocols) <= {"http:", "https:", "mailto:"}, protocols
    assert page.locator(".comment__body :is(script, img, svg, iframe, math, style, [onerror], [onload])").count() == 0

    # The preview button and the live preview, with all ten at once.
    everything = "\n\n".join(NASTIEST)
    editor(page).fill(everything)
    editor(page).press("End")
    editor(page).press_sequentially(" ")
    expect(live_preview(page)).to_contain_text("<script>alert(1)</script>")
    page.get_by_role("button", name="Podgląd").click()
    expect(page.locator("section.preview .user-content")).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator(".user-content :is(script, img, svg, iframe, math, style, [onerror], [onload])").count() == 0

    # The edit page of one of Anna's comments, and its preview.
    own = written[1]
    page.goto(f"/forum/uwagi/{own.id}/edycja")
    expect(editor(page)).to_have_value(own.body)
    page.get_by_role("button", name="Podgląd").click()
    expect(live_preview(page)).to_contain_text("<img src=x onerror=alert(1)>")
    editor(page).press_sequentially(" ")
    expect(preview_region(page).get_by_role("status")).to_contain_text("Podgląd zaktualizowany")
    expect(live_preview(page)).to_contain_text("<img src=x onerror=alert(1)>")

    page.wait_for_load_state("networkidle")
    assert dialogs == [], dialogs


# --- 5. a refusal is where the keyboard is -------------------------------------------------

@pytest.mark.parametrize("where", ["thread", "new-thread"])
def test_an_empty_comment_is_refused_and_focus_moves_to_the_message(page, section_thread, anna, in_window, where):
    """As on every other form of the site, the error message takes the focus (site.js)."""
    log_in_with_the_form(page, anna.email)
    if where == "thread":
        page.goto(thread_url(section_thread))
        page.get_by_role("button", name="Wyślij uwagę").click()
    else:
        page.goto(f"{FORUM}/nowy-watek")
        page.get_by_label("Tytuł wątku").fill("Wolontariat seniorów")
        page.get_by_role("button", name="Otwórz wątek").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Wpisz treść uwagi.")
    expect(alert).to_be_focused()
    assert posts() == []


# --- 6. axe on every forum page ------------------------------------------------------------

def _thread_with_replies(section_thread, anna, jan):
    root = comment(jan, section_thread, "Proponuję **konsultacje on-line**.", paragraph=2)
    reply = comment(anna, section_thread, "Zgadzam się — [zob. program](https://bip.torun.pl).", parent=root)
    comment(jan, section_thread, "- po pierwsze\n- po drugie\n\n> cytat", parent=reply)
    comment(anna, section_thread, "Druga uwaga, bez odpowiedzi.")
    return root


def _forum_index(page, section_thread, anna, jan):
    _thread_with_replies(section_thread, anna, jan)
    page.goto(FORUM)
    expect(page.get_by_role("heading", level=1)).to_have_text("Forum konsultacji")
    expect(page.get_by_role("table")).to_contain_text("Formy współpracy")


def _thread_with_comments(page, section_thread, anna, jan):
    root = _thread_with_replies(section_thread, anna, jan)
    page.goto(thread_url(section_thread))
    expect(replies_of(page, root)).to_be_visible()
    expect(page.locator("details.replies")).to_have_count(2)


def _empty_comment_sent(page, section_thread, anna, jan):
    _thread_with_replies(section_thread, anna, jan)
    page.goto(thread_url(section_thread))
    page.get_by_role("button", name="Wyślij uwagę").click()
    expect(page.get_by_role("alert")).to_contain_text("Wpisz treść uwagi.")
    expect(editor(page)).to_have_value("")


def _with_a_preview(page, section_thread, anna, jan):
    page.goto(thread_url(section_thread))
    editor(page).fill("## Nagłówek\n\n**Pogrubienie**, [link](https://bip.torun.pl)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    page.get_by_role("button", name="Podgląd").click()
    expect(page.locator("section.preview table")).to_be_visible()
    editor(page).press("End")
    editor(page).press_sequentially(" ")
    expect(live_preview(page).locator("table")).to_be_visible()


def _new_thread(page, section_thread, anna, jan):
    page.goto(f"{FORUM}/nowy-watek")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nowy wątek")


def _edit_page(page, section_thread, anna, jan):
    own = comment(anna, section_thread, "Moja uwaga do poprawienia.")
    page.goto(f"/forum/uwagi/{own.id}/edycja")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edycja uwagi")
    expect(editor(page)).to_have_value("Moja uwaga do poprawienia.")


def _search_results(page, thread, anna, jan) -> None:
    comment(anna, thread, "Współpraca z biznesem wymaga jasnych zasad.")
    comment(jan, thread, "Zgadzam się: współpraca i wolontariat.")
    page.goto(f"{FORUM}/szukaj")
    page.get_by_role("searchbox").fill("współpraca")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"Wyniki: 2"))).to_be_visible()
    expect(page.locator("mark").first).to_be_visible()


@pytest.mark.parametrize("open_the_page", [
    _forum_index, _thread_with_comments, _empty_comment_sent, _with_a_preview, _new_thread, _edit_page,
    _search_results,
], ids=["forum-index", "thread-with-nested-replies", "editor-with-an-error", "editor-with-a-preview",
        "new-thread", "edit", "search-results"])
def test_forum_pages_pass_axe(page, section_thread, general, anna, jan, in_window, assert_accessible,
                              open_the_page):
    """The general thread too, so that the index lists more than one thread."""
    log_in_with_the_form(page, anna.email)
    open_the_page(page, section_thread, anna, jan)
    assert_accessible(page)
