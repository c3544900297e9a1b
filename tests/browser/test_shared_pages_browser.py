"""A participant reads a thread from the page shared by participants (issue 20) and uses it as their own.

With page sharing on, the thread page Piotr opened first is the one Anna gets, filled in for
her: the "Edytuj" link on her comment, the follow button that follows, her drafts kept under her
id (the editor's local copy), her edit on the page at once — for her and for Piotr.
"""
import pytest

from portal.extensions import db
from portal.forum.models import Post
from tests.browser.conftest import log_in_with_the_form

SLUG = "program-wspolpracy-2021"


@pytest.fixture
def app_config():
    return {"SERVER_NAME": None, "PAGE_CACHE_SECONDS": 10}


def test_a_participant_uses_the_shared_thread_page_as_their_own(page, browser, live_server, commented, make_user,
                                                               frozen_clock, assert_accessible):
    from playwright.sync_api import expect

    frozen_clock.set_local("2020-09-20 12:00:00")  # commenting is open
    thread = commented.sections[2]
    url = f"/konsultacje/{SLUG}/forum/watek/{thread.id}"
    anna_id, own = commented.anna.id, db.session.get(Post, commented.comments[2].id)  # "Prosimy o dłuższe terminy"
    piotr = make_user("piotr@example.org", name="Piotr Zieliński")

    other = browser.new_context(locale="pl-PL", base_url=live_server).new_page()
    log_in_with_the_form(other, piotr.email)
    other.goto(url)  # the page is rendered for participants now, by Piotr's visit
    expect(other.locator(f"#{own.anchor}").get_by_role("link", name="Edytuj")).to_have_count(0)

    log_in_with_the_form(page, commented.anna.email)
    page.goto(url)
    mine = page.locator(f"#{own.anchor}")
    expect(mine.get_by_role("link", name="Edytuj")).to_be_visible()
    expect(mine.get_by_role("link", name="Zgłoś naruszenie", exact=False)).to_have_count(0)
    assert page.evaluate("document.body.dataset.draftOwner") == str(anna_id)
    expect(page.get_by_label("W imieniu mojej organizacji")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Obserwuj wątek").click()
    page.goto(url)  # read again: the shared page, with her follow state
    expect(page.get_by_role("button", name="Przestań obserwować wątek")).to_be_visible()

    mine.get_by_role("link", name="Edytuj").click()
    body = page.get_by_label("Treść uwagi")
    body.fill("Prosimy o 30-dniowe terminy składania ofert.")
    page.get_by_role("button", name="Zapisz zmiany").click()
    page.goto(url)
    expect(page.locator(f"#{own.anchor}")).to_contain_text("Prosimy o 30-dniowe terminy składania ofert.")
    other.goto(url)
    expect(other.locator(f"#{own.anchor}")).to_contain_text("Prosimy o 30-dniowe terminy składania ofert.")
    expect(other.get_by_role("button", name="Obserwuj wątek")).to_be_visible()  # Piotr follows nothing
