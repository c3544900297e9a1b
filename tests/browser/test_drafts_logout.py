"""A comment draft kept in the browser belongs to the person who typed it.

On a shared computer (a library, an NGO's office) the next person to sign in must find an empty
editor, and nothing of the last person's drafts in the browser's storage.
"""
import pytest

from tests.browser.conftest import log_in_with_the_form

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails on CI) with the reason
    expect = None

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"
DRAFT = "Szkic Anny: prosimy o dłuższe terminy."


@pytest.fixture
def in_window(frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    return frozen_clock


def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def editor(page):
    return page.locator("textarea[data-draft-key]")


def drafts_kept(page) -> list[str]:
    return page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('wspolnie-szkic:'))")


def anna_leaves_a_draft(page, thread, anna) -> None:
    log_in_with_the_form(page, anna.email)
    page.goto(thread_url(thread))
    editor(page).press_sequentially(DRAFT)
    assert drafts_kept(page) == [f"wspolnie-szkic:uwaga-{thread.id}-"]


def test_logging_out_forgets_the_draft_and_the_next_person_gets_an_empty_editor(
        page, section_thread, anna, jan, in_window):
    anna_leaves_a_draft(page, section_thread, anna)

    page.get_by_role("banner").get_by_role("button", name="Wyloguj").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Zaloguj się")).to_be_visible()
    assert drafts_kept(page) == []

    log_in_with_the_form(page, jan.email)
    page.goto(thread_url(section_thread))
    expect(editor(page)).to_have_value("")
    assert drafts_kept(page) == []


def test_a_session_that_ended_without_logout_leaves_the_draft_to_its_owner_only(
        page, section_thread, anna, jan, in_window):
    anna_leaves_a_draft(page, section_thread, anna)
    page.context.clear_cookies()  # the session ended on its own (or was logged out on every device)

    log_in_with_the_form(page, anna.email)  # Anna comes back: her draft waits for her
    page.goto(thread_url(section_thread))
    expect(editor(page)).to_have_value(DRAFT)

    page.context.clear_cookies()
    log_in_with_the_form(page, jan.email)  # someone else signs in at the same computer
    page.goto(thread_url(section_thread))
    expect(editor(page)).to_have_value("")
    assert drafts_kept(page) == []
