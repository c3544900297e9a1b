"""A moderator publishes the report, in a real browser, with the keyboard; the public reads it.

The `commented` fixture (Toruń 2020, five approved comments, the clock at 5 October 2020) is
answered straight in the database — answering is the workspace's story. Publishing first fails
(one comment still has no answer), the typed summary stays, and succeeds once it is answered.
axe checks the staff page (also with the error), the report and the filtered report.
"""
import re

from portal import clock
from portal.extensions import db
from portal.reports.models import Decision, Report
from tests.browser.conftest import log_in_with_the_form as log_in
from tests.factories import answer, answer_all

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None

SLUG = "program-wspolpracy-2021"
MANAGE = f"/zespol/konsultacje/{SLUG}/raport"
REPORT = f"/konsultacje/{SLUG}/raport"
MAX_TABS = 80


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.textContent || '').trim()};
    }""")


def tab_to(page, wanted, description: str) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if wanted(focused(page)):
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {description}; ended on {focused(page)}")


def answer_all_but_the_last(commented) -> None:
    """Comments 1–4 answered; comment 5 (Anna's about the budget) still waits."""
    consultation = commented.consultation
    answer(consultation, commented.comments[:2], Decision.ACCEPTED, "Uwzględniono w § 1.")
    answer(consultation, commented.comments[2:4], Decision.PARTLY_ACCEPTED, "Terminy wydłużono do **30 dni**.")
    db.session.commit()


def test_a_moderator_publishes_the_report_with_the_keyboard(page, browser, live_server, commented,
                                                          assert_accessible):
    answer_all_but_the_last(commented)
    log_in(page, commented.moderator.email)
    page.goto(MANAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Raport z konsultacji")
    expect(page.get_by_text("Odpowiedziano na 4 z 5 uwag.")).to_be_visible()
    assert_accessible(page)

    # Write the summary and publish, with the keyboard only.
    page.locator("body").focus()
    tab_to(page, lambda el: el["id"] == "summary", "the summary field")
    page.keyboard.type("Konsultacje trwały od 17 do 30 września 2020 r. Wpłynęło pięć uwag.")
    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "Opublikuj raport", "the publish button")
    page.keyboard.press("Enter")

    # Refused: one comment has no answer; the text is still there.
    alert = page.locator(".error-summary")
    expect(alert).to_contain_text("Raport nie został opublikowany")
    expect(alert).to_contain_text("1 uwaga nie ma jeszcze odpowiedzi.")
    expect(alert).to_be_focused()
    expect(page.get_by_label("Przebieg konsultacji")).to_have_value(
        "Konsultacje trwały od 17 do 30 września 2020 r. Wpłynęło pięć uwag.")
    assert_accessible(page)

    # The last answer is written (elsewhere); publishing again goes through.
    answer(commented.consultation, commented.comments[4:], Decision.NOT_ACCEPTED, "Budżet na to nie pozwala.")
    db.session.commit()
    page.locator("body").focus()
    tab_to(page, lambda el: el["tag"] == "button" and el["text"] == "Opublikuj raport", "the publish button")
    page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("Raport został opublikowany.")
    expect(page.get_by_role("button", name="Wycofaj publikację raportu")).to_be_visible()
    assert_accessible(page)

    # Anyone can now read it: the table with every comment and answer.
    reader = browser.new_context(locale="pl-PL", timezone_id="Europe/Warsaw", base_url=live_server).new_page()
    try:
        reader.goto(REPORT)
        expect(reader.get_by_role("heading", level=1)).to_have_text("Raport z konsultacji")
        table = reader.get_by_role("table", name=re.compile("Zestawienie uwag"))
        expect(table.locator("tbody tr")).to_have_count(5)
        expect(reader.locator("#uwaga-5")).to_contain_text("nieuwzględniona")
        expect(reader.locator("#uwaga-2")).to_contain_text("jak w uwadze 1")
        expect(reader.get_by_text("Wpłynęło pięć uwag.")).to_be_visible()
        expect(reader.get_by_text("Podgląd")).to_have_count(0)
    finally:
        reader.context.close()


def test_the_report_and_its_filters_pass_axe(page, commented, assert_accessible):
    answer_all(commented)
    db.session.add(Report(consultation_id=commented.consultation.id, summary="Przebieg **konsultacji**.",
                          published_at=clock.now_utc()))
    db.session.commit()

    page.goto(REPORT)
    expect(page.locator(".report-table tbody tr")).to_have_count(5)
    assert_accessible(page)

    # Filter with the form, as a person would: choose a section and a decision, press the button.
    page.get_by_label("Część dokumentu").select_option(label="§ 2. Formy współpracy")
    page.get_by_label("Rozstrzygnięcie").select_option(label="częściowo uwzględniona")
    page.get_by_role("button", name="Pokaż uwagi").click()
    expect(page).to_have_url(re.compile(r"czesc=2&rozstrzygniecie=partly_accepted"))
    expect(page.locator(".report-table tbody tr")).to_have_count(2)
    expect(page.get_by_text("Pokazano 2 z 5 uwag.")).to_be_visible()
    expect(page.get_by_label("Część dokumentu")).to_have_value("2")
    assert_accessible(page)
