"""The answer workspace in a real browser: a moderator answers comments for the report.

The `commented` consultation (five approved comments, the window closed on 30 September 2020)
is answered by a moderator who logs in through the form: comment 1 by keyboard only (Tab to
the radio, Space, type, Tab to the button, Enter), then comments 3 and 4 together with the
checkboxes and the mouse. axe checks the workspace as first shown and with an error shown.
"""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.reports.models import AnsweredComment
from tests.browser.conftest import log_in_with_the_form as log_in

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
WORKSPACE = f"/zespol/konsultacje/{SLUG}/odpowiedzi"
MAX_TABS = 80


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement.id")


def tab_to(page, element_id: str) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    pytest.fail(f"{MAX_TABS} presses of Tab never reached #{element_id}; ended on #{focused_id(page)}")


def progress(page):
    return page.locator("#postep")


def test_a_moderator_answers_comments(page, commented, assert_accessible):
    first, third, fourth = commented.comments[0], commented.comments[2], commented.comments[3]
    log_in(page, commented.moderator.email)
    page.goto(WORKSPACE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Odpowiedzi na uwagi")
    expect(progress(page)).to_have_text("Odpowiedziano na 0 z 5 uwag")
    assert_accessible(page)

    # Comment 1 by keyboard: Tab to the first decision, Space, type, Tab to the button, Enter.
    page.locator(f"#uwaga-{first.id}-tytul").click()
    tab_to(page, f"decision-{first.id}-accepted")
    page.keyboard.press("Space")
    expect(page.locator(f"#decision-{first.id}-accepted")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused_id(page) == f"justification-{first.id}"
    page.keyboard.type("Dodamy do programu rozdział o wolontariacie.")
    page.keyboard.press("Tab")
    expect(page.locator(f"#uwaga-{first.id}").get_by_role("button", name="Zapisz odpowiedź")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".flashes")).to_contain_text("Zapisano odpowiedź na uwagę nr 1.")
    expect(progress(page)).to_have_text("Odpowiedziano na 1 z 5 uwag")
    answered = page.locator(f"#uwaga-{first.id}-odpowiedz").locator("..")
    expect(answered).to_contain_text("uwzględniona")
    expect(answered).to_contain_text("Dodamy do programu rozdział o wolontariacie.")

    # Comments 3 and 4 together: tick them, choose the decision, write once, send.
    page.get_by_label("Zaznacz do wspólnej odpowiedzi — uwaga nr 3").check()
    page.get_by_label("Zaznacz do wspólnej odpowiedzi — uwaga nr 4").check()
    joint = page.locator("#wspolna")
    joint.get_by_label("częściowo uwzględniona").check()
    joint.get_by_label("Uzasadnienie").fill("Wydłużymy terminy; spotkania na żywo zostaną w programie.")
    joint.get_by_role("button", name="Odpowiedz na zaznaczone uwagi").click()

    expect(page.locator(".flashes")).to_contain_text("Zapisano wspólną odpowiedź na uwagi nr 3, 4.")
    expect(progress(page)).to_have_text("Odpowiedziano na 3 z 5 uwag")
    expect(page.locator(f"#uwaga-{fourth.id}")).to_contain_text("jak w uwadze 3")
    expect(page.locator(f"#uwaga-{third.id}")).to_contain_text("Wydłużymy terminy")
    assert_accessible(page)

    db.session.expire_all()
    shared = dict(db.session.execute(select(AnsweredComment.post_id, AnsweredComment.answer_id)).all())
    assert shared[third.id] == shared[fourth.id] != shared[first.id]


def test_an_error_is_shown_by_the_field_and_the_page_stays_accessible(page, commented, assert_accessible):
    second = commented.comments[1]
    log_in(page, commented.moderator.email)
    page.goto(WORKSPACE)
    article = page.locator(f"#uwaga-{second.id}")
    article.get_by_label("Uzasadnienie").fill("Definicja pochodzi z ustawy.")
    article.get_by_role("button", name="Zapisz odpowiedź").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Wybierz rozstrzygnięcie.")
    article = page.locator(f"#uwaga-{second.id}")
    expect(article.locator(f"#decision-{second.id}-error")).to_have_text("Błąd: Wybierz rozstrzygnięcie.")
    expect(article.get_by_label("Uzasadnienie")).to_have_value("Definicja pochodzi z ustawy.")
    assert_accessible(page)

    # The summary's link leads to the radio group; the person chooses and sends again.
    summary.get_by_role("link").click()
    expect(page.locator(f"#decision-{second.id}-accepted")).to_be_focused()
    page.keyboard.press("Space")
    article.get_by_role("button", name="Zapisz odpowiedź").click()
    expect(page.locator(".flashes")).to_contain_text("Zapisano odpowiedź na uwagę nr 2.")
