"""The whole draft in a real browser: a participant reads it, sees what others said where, and
comments on one paragraph from it; axe finds nothing, and a 320 px screen needs no sideways scrolling.

The clock stands inside the e-consultation of the Toruń fixture (17–30 September 2020).
"""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.forum.models import Post, PostState
from tests.browser.conftest import log_in_with_the_form
from tests.factories import SLUG, add_comment

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

PAGE = f"/konsultacje/{SLUG}/projekt-dokumentu"


@pytest.fixture
def others_have_commented(section_thread, jan, frozen_clock):
    """§ 6 ust. 2 has two published comments and one waiting for a moderator (not counted)."""
    frozen_clock.set_local("2020-09-20 12:00:00")
    add_comment(section_thread, jan, "Doprecyzujcie formy współpracy.", paragraph=2)
    add_comment(section_thread, jan, "I jeszcze jedno do ust. 2.", paragraph=2)
    add_comment(section_thread, jan, "Czeka na moderację.", paragraph=2, state=PostState.PENDING)
    db.session.commit()
    return section_thread


def paragraph(page, number: int):
    return page.locator(f"#par-6-{number}")


def test_a_participant_comments_on_a_paragraph_from_the_whole_draft(
        page, others_have_commented, anna, assert_accessible):
    thread = others_have_commented
    log_in_with_the_form(page, anna.email)

    page.goto(PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Projekt dokumentu")
    expect(page.get_by_role("heading", level=2, name="§ 6. Formy współpracy")).to_be_visible()
    expect(page.get_by_role("link", name="Uwagi do: § 6 (2)")).to_be_visible()
    expect(paragraph(page, 2).get_by_role("link", name="2 uwagi (§ 6 ust. 2)")).to_be_visible()
    expect(paragraph(page, 3)).to_contain_text("0 uwag")
    assert_accessible(page)

    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.set_viewport_size({"width": 1280, "height": 800})

    paragraph(page, 3).get_by_role("link", name="Skomentuj ten ustęp (§ 6 ust. 3)").click()
    expect(page).to_have_url(re.compile(rf"/forum/watek/{thread.id}\?ustep=3#formularz$"))
    expect(page.get_by_label("Dotyczy ustępu")).to_have_value("3")  # the paragraph is chosen already
    page.locator("textarea[data-draft-key]").fill("Proszę dopisać wolontariat do ust. 3.")
    page.get_by_role("button", name="Wyślij uwagę").click()

    expect(page).to_have_url(re.compile(r"#k-\d+$"))
    db.session.expire_all()
    mine = db.session.scalars(select(Post).where(Post.author_id == anna.id)).one()
    assert mine.paragraph_number == 3 and mine.state == PostState.APPROVED
    expect(page.locator(f"#k-{mine.id}")).to_contain_text("Uwaga do: § 6 ust. 3")
    expect(page.locator(f"#k-{mine.id}")).to_contain_text("Proszę dopisać wolontariat do ust. 3.")

    page.goto(PAGE)
    expect(page.get_by_role("link", name="Uwagi do: § 6 (3)")).to_be_visible()
    expect(paragraph(page, 3).get_by_role("link", name="1 uwaga (§ 6 ust. 3)")).to_be_visible()
