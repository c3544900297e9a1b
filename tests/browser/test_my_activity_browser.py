""""Moje uwagi i zapisy" in a real browser: a participant logs in with the form, follows the link
on the account page and sees their comment with the office's answer (the report is published),
their followed thread and their registration; axe finds nothing, nothing scrolls sideways at 320 px."""
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.forum.models import Subscription
from portal.registrations.models import GroupRegistration, Status, WorkingGroup
from portal.reports.models import Decision, Report
from tests.browser.conftest import log_in_with_the_form
from tests.factories import answer

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests (or fails them on CI) and says why
    expect = None


def test_a_participant_reads_their_comments_and_the_offices_answer(page, commented, assert_accessible):
    c, anna = commented.consultation, commented.anna
    second = commented.comments[1]  # Anna's comment on § 1
    answer(c, [second], Decision.PARTLY_ACCEPTED, "Definicję rozszerzymy o **grupy nieformalne**.")
    db.session.add(Report(consultation_id=c.id, summary="Podsumowanie.", published_at=clock.now_utc()))
    db.session.add(Subscription(user_id=anna.id, thread_id=commented.general.id))
    group = db.session.scalar(select(WorkingGroup).where(WorkingGroup.consultation_id == c.id)
                              .order_by(WorkingGroup.position))
    now = clock.now_utc()
    db.session.add(GroupRegistration(
        consultation_id=c.id, group_id=group.id, status=Status.CONFIRMED, full_name="Anna Nowak",
        email="Anna@NGO.example", organisation_name="Fundacja Rowerowa", recording_consent=True,
        privacy_notice_version="2020-08", privacy_notice_accepted_at=now, created_at=now))
    db.session.commit()
    group_name = group.name

    log_in_with_the_form(page, anna.email)
    page.get_by_role("banner").get_by_role("link", name="Moje konto").click()
    page.get_by_role("main").get_by_role("link", name="Moje uwagi i zapisy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moje uwagi i zapisy")

    mine = page.get_by_role("region", name="Moje uwagi")
    expect(mine).to_contain_text("Zdefiniujcie „organizację” szerzej.")
    expect(mine).to_contain_text("opublikowana")
    expect(mine.get_by_role("heading", name="Odpowiedź urzędu: częściowo uwzględniona")).to_be_visible()
    expect(mine).to_contain_text("Definicję rozszerzymy o grupy nieformalne.")
    expect(mine.locator("strong", has_text="grupy nieformalne")).to_be_visible()
    expect(page.get_by_role("region", name="Obserwowane wątki")).to_contain_text("Uwagi ogólne")
    expect(page.get_by_role("region", name="Moje zgłoszenia")).to_contain_text(group_name)
    assert_accessible(page)

    # The link to the comment opens it in its thread.
    with page.expect_navigation():
        mine.get_by_role("link", name="Zobacz w wątku").first.click()
    assert "#k-" in page.url

    page.go_back()
    page.set_viewport_size({"width": 320, "height": 640})
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Moje uwagi i zapisy")
    assert page.evaluate("() => document.documentElement.scrollWidth <= 320"), \
        "the page scrolls sideways at 320 px"
    assert_accessible(page)
