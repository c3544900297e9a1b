"""The end of a consultation in a real browser, as an admin runs it and a reader follows it.

An admin answers the last comment, tries to publish while comments are still taken (refused,
the summary kept), publishes once the window has closed, and corrects an answer later: the
report says when it was updated and keeps the version before. The numbers e-mailed at
publication still point at the same comments after a late approval and the correction.
"""
import time

from flask import current_app

from portal.extensions import db
from portal.forum.models import Post
from portal.moderation import services as moderation
from portal.reports import publishing
from portal.reports.models import Decision
from tests.browser.conftest import log_in_with_the_form as log_in
from tests.factories import answer, answer_all

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
REPORT = f"/konsultacje/{SLUG}/raport"
MANAGE = f"/zespol/konsultacje/{SLUG}/raport"
WORKSPACE = f"/zespol/konsultacje/{SLUG}/odpowiedzi"
SUMMARY = "Konsultacje trwały od 17 do 30 września 2020 r. Wpłynęło pięć uwag."


def mail_to(smtp_sink, address: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not smtp_sink.to(address):
        time.sleep(0.1)
    return smtp_sink.to(address)


def answer_in_the_workspace(page, post: Post, decision: str, justification: str) -> None:
    page.goto(WORKSPACE)
    row = page.locator(f"#uwaga-{post.id}")
    change = row.locator("summary", has_text="Zmień odpowiedź")
    if change.count():  # an answered comment keeps its form folded
        change.click()
    row.get_by_label(decision, exact=True).check()
    row.get_by_label("Uzasadnienie").fill(justification)
    row.get_by_role("button", name="Zapisz odpowiedź").click()
    expect(page.locator(".flashes")).to_contain_text("Zapisano odpowiedź")


def test_an_admin_publishes_after_the_end_and_corrects_in_the_open(
        page, commented, frozen_clock, smtp_sink, assert_accessible):
    c, (first, second, third, fourth, fifth) = commented.consultation, commented.comments
    answer(c, [second], Decision.ACCEPTED, "Definicja zostanie rozszerzona.")
    answer(c, [third, fourth], Decision.PARTLY_ACCEPTED, "Terminy wydłużono do 30 dni.")
    answer(c, [fifth], Decision.NOT_ACCEPTED, "Budżet gminy na to nie pozwala.")
    db.session.commit()

    frozen_clock.set_local("2020-09-30 22:00:00")  # the last evening of the e-consultation
    log_in(page, commented.admin.email)
    answer_in_the_workspace(page, first, "wyjaśnienie", "Wolontariat opisuje § 4 programu.")
    page.goto(MANAGE)
    page.get_by_label("Przebieg konsultacji").fill(SUMMARY)
    page.get_by_role("button", name="Opublikuj raport").click()
    alert = page.locator(".error-summary")
    expect(alert).to_contain_text("Zgłaszanie uwag trwa do 1 października 2020 r., godz. 00:00.")
    expect(page.get_by_label("Przebieg konsultacji")).to_have_value(SUMMARY)
    assert_accessible(page)

    frozen_clock.set_local("2020-10-02 10:00:00")
    page.get_by_role("button", name="Opublikuj raport").click()
    expect(page.locator(".flashes")).to_contain_text("Raport został opublikowany.")
    [told] = mail_to(smtp_sink, "anna@ngo.example")
    assert f"{REPORT}?uwaga=3#uwaga-3" in told.get_content()  # the page holding it, however long the report
    page.goto(f"{REPORT}?uwaga=3#uwaga-3")
    row_before = page.locator("#uwaga-3").inner_text()
    assert "Prosimy o dłuższe terminy" in row_before

    # Later: a comment that waited for a moderator is approved, and an answer is corrected.
    with current_app.test_request_context():
        late = db.session.get(Post, commented.pending.id)
        moderation.approve(commented.moderator, late, late.version)
        answer(c, [late], Decision.EXPLANATION, "Dziękujemy.")
        db.session.commit()
    frozen_clock.set_local("2020-10-05 09:30:00")
    answer_in_the_workspace(page, second, "częściowo uwzględniona", "Definicję rozszerzymy o grupy nieformalne.")

    page.goto(f"{REPORT}#uwaga-3")
    expect(page.locator("#uwaga-3")).to_have_text(row_before)
    expect(page.locator("#uwaga-6")).to_contain_text("Czekam na moderację.")
    expect(page.get_by_text("zaktualizowano: 5 października 2020 r., godz. 09:30")).to_be_visible()
    expect(page.locator("#uwaga-2")).to_contain_text("Definicję rozszerzymy o grupy nieformalne.")
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    assert_accessible(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.get_by_role("link", name="wersja 1 z 2 października 2020 r., godz. 10:00").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raport z konsultacji — wersja 1")
    expect(page.locator("#uwaga-2")).to_contain_text("Definicja zostanie rozszerzona.")
    assert_accessible(page)


def test_a_reader_reaches_the_report_from_the_home_page_the_announcement_and_the_forum(
        page, commented, assert_accessible):
    answer_all(commented)
    with current_app.test_request_context():
        publishing.publish(commented.consultation, commented.moderator, SUMMARY)
        db.session.commit()
    for start, link in (("/", "Raport z konsultacji"),
                        (f"/konsultacje/{SLUG}", "Przeczytaj raport: uwagi i odpowiedzi urzędu"),
                        (f"/konsultacje/{SLUG}/forum", "Przeczytaj raport: uwagi i odpowiedzi urzędu")):
        page.goto(start)
        expect(page.get_by_text("opublikowano 5 października 2020 r.").first).to_be_visible()
        page.set_viewport_size({"width": 320, "height": 800})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320, start
        assert_accessible(page)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.get_by_role("main").get_by_role("link", name=link).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Raport z konsultacji")
        expect(page.locator("#uwaga-1")).to_contain_text("Program powinien mówić więcej o wolontariacie.")
