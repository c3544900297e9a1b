"""The final document in a real browser: a participant finds the office's answer at their comment,
and staff upload the final version, preview it, save it and link a change to comments.

Data comes from the `commented` fixture (Toruń 2020 after its comment window, clock at
5 October 2020); people log in through the login form.
"""
import re

import pytest

from portal import clock
from portal.extensions import db
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision, Report
from tests.browser.conftest import log_in_with_the_form as log_in
from tests.factories import FINAL_DRAFT

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"


@pytest.fixture
def answered_and_published(commented):
    """Anna's comment on § 2 (report number 3): accepted, § 2 changed because of it; report published."""
    consultation_id, post = commented.consultation.id, commented.comments[2]
    answer = Answer(consultation_id=consultation_id, decision=Decision.ACCEPTED,
                    justification="Wydłużamy termin składania ofert do 21 dni.")
    db.session.add(answer)
    db.session.flush()
    db.session.add_all([
        AnsweredComment(post_id=post.id, answer_id=answer.id, consultation_id=consultation_id),
        ChangeLink(post_id=post.id, section_number=2, consultation_id=consultation_id),
        Report(consultation_id=consultation_id, published_at=clock.now_utc()),
    ])
    db.session.commit()
    return commented


def test_a_participant_sees_the_answer_at_their_comments_permalink(page, answered_and_published,
                                                                   assert_accessible):
    post_id = answered_and_published.comments[2].id
    log_in(page, answered_and_published.anna.email)
    page.goto(f"/forum/uwagi/{post_id}")
    expect(page).to_have_url(re.compile(rf"/konsultacje/{SLUG}/forum/watek/\d+#k-{post_id}$"))
    comment = page.locator(f"#k-{post_id}")
    answer = comment.get_by_role("region", name="Odpowiedź urzędu: uwzględniona")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("Wydłużamy termin składania ofert do 21 dni.")
    expect(answer.get_by_role("link", name="Ta uwaga w raporcie")).to_be_visible()
    assert_accessible(page)

    answer.get_by_role("link", name="wprowadzono zmianę: § 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zmiany w dokumencie po konsultacjach")
    expect(page.get_by_text("Urząd nie opublikował jeszcze wersji końcowej dokumentu.")).to_be_visible()
    assert_accessible(page)


def test_staff_upload_the_final_version_and_link_a_change_to_comments(page, answered_and_published,
                                                                      assert_accessible):
    log_in(page, answered_and_published.moderator.email)
    page.goto(f"/zespol/konsultacje/{SLUG}/wersja-koncowa")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wersja końcowa dokumentu")
    assert_accessible(page)

    # The box starts from the draft's text (nothing has to be pasted again) ...
    box = page.get_by_role("textbox", name=re.compile("Treść wersji końcowej"))
    expect(box).not_to_have_value("")
    # ... an empty text is refused next to the field, and the page stays accessible with the error.
    box.fill("")
    page.get_by_role("button", name="Podgląd").click()
    expect(page.get_by_role("alert")).to_contain_text("Projekt jest pusty")
    assert_accessible(page)

    page.get_by_label("Treść wersji końcowej w formacie Markdown").fill(FINAL_DRAFT)
    page.get_by_role("button", name="Podgląd").click()
    preview = page.get_by_role("region", name="Podgląd: projekt a wersja końcowa")
    expect(preview).to_contain_text("Nic nie zostało jeszcze zapisane")
    expect(preview.locator("ins").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Zapisz wersję końcową").click()
    expect(page.get_by_role("status")).to_contain_text("Zapisano wersję końcową dokumentu")

    # § 2 changed: tick the comments that caused it (its own comments are listed first), by keyboard.
    section = page.locator("#zmiana-2")
    expect(section.locator("del, ins").first).to_be_visible()
    checkbox = section.get_by_role("checkbox", name="Uwaga nr 4")
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    expect(section.get_by_role("checkbox", name="Uwaga nr 3")).to_be_checked()  # linked in the fixture
    section.get_by_role("button", name="Zapisz uwagi do zmiany").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("wprowadzono zmianę: § 2")
    expect(page.locator("#zmiana-2").get_by_role("checkbox", name="Uwaga nr 4")).to_be_checked()
    assert_accessible(page)

    page.goto(f"/konsultacje/{SLUG}/zmiany")
    changed = page.locator("#zmiana-2")
    expect(changed).to_contain_text("Wprowadzono w odpowiedzi na uwagi nr 3, 4")
    expect(page.locator("#zmiana-1")).to_contain_text("bez zmian")
    assert_accessible(page)
