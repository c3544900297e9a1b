"""Publishing the report (issue 7): staff write how the consultation ran and publish once every
comment has an answer; the public reads the report with its table of answers; everyone who took
part is e-mailed once, at the first publication.

The `commented` fixture brings five approved comments (report order: 1 Jan, 2–3 Anna for her
foundation, 4 Jan, 5 Anna), a pending comment and Jan's reply; the answers are written straight
into the database here (answering is the workspace's story).
"""
import re
import time

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.accounts.models import Role, User
from portal.audit import AuditLog
from portal.extensions import db
from portal.forum.models import Post, PostState
from portal.reports import views
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision, Report
from tests.conftest import form_token, login_as
from tests.factories import REPORT_SUMMARY, add_comment, answer, answer_all, publish_with_the_form

SLUG = "program-wspolpracy-2021"
REPORT = f"/konsultacje/{SLUG}/raport"
MANAGE = f"/zespol/konsultacje/{SLUG}/raport"
PUBLISH = f"/zespol/konsultacje/{SLUG}/raport/publikacja"
UNPUBLISH = f"/zespol/konsultacje/{SLUG}/raport/wycofanie"


def fresh_report(consultation) -> Report | None:
    db.session.expire_all()
    return db.session.get(Report, consultation.id)


def wait_for_mail(smtp_sink, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(smtp_sink.messages) < count:
        time.sleep(0.05)


# --- who may see what ------------------------------------------------------------------------

def test_the_report_is_not_public_until_published_but_staff_see_a_preview(client, commented):
    answer_all(commented)
    assert client.get(REPORT).status_code == 404
    login_as(client, commented.anna)
    assert client.get(REPORT).status_code == 404
    assert client.get(f"{REPORT}.csv").status_code == 404

    login_as(client, commented.moderator)
    preview = client.get(REPORT)
    assert preview.status_code == 200
    assert "Podgląd" in preview.get_data(as_text=True)
    assert preview.headers["Cache-Control"] == "no-store"


def test_the_staff_page_is_for_moderators_and_admins(client, commented):
    assert client.get(MANAGE).status_code == 302
    login_as(client, commented.anna)
    assert client.get(MANAGE).status_code == 403
    assert client.post(PUBLISH, data={"summary": REPORT_SUMMARY}).status_code == 403
    for person in (commented.moderator, commented.admin):
        login_as(client, person)
        page = client.get(MANAGE)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"


def test_publishing_without_a_csrf_token_is_refused_and_keeps_the_text(client, commented):
    answer_all(commented)
    login_as(client, commented.moderator)
    response = client.post(PUBLISH, data={"summary": REPORT_SUMMARY})
    assert response.status_code == 400
    assert "Formularz był otwarty zbyt długo" in response.get_data(as_text=True)
    assert "17 do 30 września 2020 r." in response.get_data(as_text=True)
    assert fresh_report(commented.consultation) is None
    assert client.post(UNPUBLISH).status_code == 400


# --- the staff page -----------------------------------------------------------------------------

def test_staff_see_the_progress_and_save_the_summary(client, commented):
    answer(commented.consultation, commented.comments[:2], Decision.ACCEPTED, "Tak.")
    db.session.commit()
    login_as(client, commented.moderator)
    page = client.get(MANAGE).get_data(as_text=True)
    assert "Odpowiedziano na 2 z 5 uwag." in page
    assert "Podgląd raportu" in page and 'aria-current="page"' in page

    response = client.post(MANAGE, data={"summary": REPORT_SUMMARY, "csrf_token": form_token(client, MANAGE)})
    assert response.status_code == 303
    assert "Zapisano opis przebiegu konsultacji." in client.get(response.location).get_data(as_text=True)
    report = fresh_report(commented.consultation)
    assert report.summary == REPORT_SUMMARY and not report.is_published
    assert "<strong>17 do 30 września 2020 r.</strong>" in report.summary_html
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.actor_id == commented.moderator.id)) \
        == "report_summary_changed"


def test_a_too_long_summary_comes_back_with_the_typed_text(client, commented):
    login_as(client, commented.moderator)
    typed = "Zażółć gęślą jaźń. " * 1100
    response = client.post(MANAGE, data={"summary": typed, "csrf_token": form_token(client, MANAGE)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Opis może mieć najwyżej 20000 znaków." in html and "Zażółć gęślą jaźń." in html
    assert fresh_report(commented.consultation) is None


def test_publishing_is_refused_while_comments_have_no_answer(client, commented):
    answer(commented.consultation, commented.comments[:3], Decision.ACCEPTED, "Tak.")
    db.session.commit()
    response = publish_with_the_form(client, commented.moderator)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Raport nie został opublikowany" in html
    assert "2 uwagi nie mają jeszcze odpowiedzi" in html or "2 uwag nie ma jeszcze odpowiedzi" in html
    assert "17 do 30 września 2020 r." in html  # what was typed is still in the form
    assert fresh_report(commented.consultation) is None  # nothing written, not even the summary
    assert client.get(REPORT).status_code == 200  # staff preview
    client.post("/wyloguj", data={"csrf_token": form_token(client, MANAGE)})
    assert client.get(REPORT).status_code == 404


def test_publishing_needs_the_summary_of_how_the_consultation_ran(client, commented):
    answer_all(commented)
    html = publish_with_the_form(client, commented.moderator, summary="   ").get_data(as_text=True)
    assert "Opisz przebieg konsultacji przed publikacją raportu." in html
    assert 'aria-invalid="true"' in html
    no_field = client.post(PUBLISH, data={"csrf_token": form_token(client, MANAGE)})
    assert "Opisz przebieg konsultacji przed publikacją raportu." in no_field.get_data(as_text=True)
    assert fresh_report(commented.consultation) is None


def test_a_moderator_publishes_and_the_participants_are_told_once(client, commented, make_user, smtp_sink):
    consultation = commented.consultation
    only_replied = make_user("ewa@ngo.example", name="Ewa Odpowiadająca")
    quiet = make_user("cicha@ngo.example", name="Cicha Osoba")
    add_comment(commented.sections[1], only_replied, "Zgadzam się.", parent=commented.comments[1])
    add_comment(commented.general, quiet, "Ja nie chcę powiadomień.", parent=commented.comments[0])
    quiet.notify_report = False
    db.session.commit()
    answer_all(commented)

    response = publish_with_the_form(client, commented.moderator)
    assert response.status_code == 303
    follow = client.get(response.location).get_data(as_text=True)
    assert "Raport został opublikowany. Powiadomienie e-mail wysłano do 3 osób." in follow
    report = fresh_report(consultation)
    assert report.is_published and report.participants_notified_at == clock.now_utc()
    assert report.published_by_id == commented.moderator.id
    published = db.session.scalars(select(AuditLog).where(AuditLog.action == "report_published")).all()
    assert len(published) == 1 and published[0].actor_id == commented.moderator.id

    wait_for_mail(smtp_sink, 3)
    assert sorted(m["To"] for m in smtp_sink.messages) == ["anna@ngo.example", "ewa@ngo.example",
                                                          "jan@example.org"]
    anna = smtp_sink.to("anna@ngo.example")[0]
    assert "Opublikowano raport z konsultacji" in anna["Subject"]
    body = anna.get_content().replace("\r\n", "\n")
    assert "Twoje uwagi: nr 2, 3, 5" in body
    assert f"http://localhost{REPORT}?uwaga=3#uwaga-3" in body  # the page holding it, however long the report
    assert f"Uwaga nr 3: http://localhost{REPORT}?uwaga=3#uwaga-3\n" in body
    assert f"Raport: http://localhost{REPORT}\n" in body
    assert "Twoje uwagi: nr 1, 4" in smtp_sink.to("jan@example.org")[0].get_content()
    ewa = smtp_sink.to("ewa@ngo.example")[0].get_content()
    assert "Twoje uwagi" not in ewa and f"http://localhost{REPORT}" in ewa

    # Anyone can read it now.
    client.post("/wyloguj", data={"csrf_token": form_token(client, MANAGE)})
    assert client.get(REPORT).status_code == 200


def test_withdrawing_is_logged_and_republishing_sends_no_second_email(client, commented, smtp_sink):
    answer_all(commented)
    publish_with_the_form(client, commented.moderator)
    wait_for_mail(smtp_sink, 2)
    smtp_sink.clear()

    response = client.post(UNPUBLISH, data={"csrf_token": form_token(client, MANAGE)})
    assert response.status_code == 303
    assert "Publikacja raportu została wycofana." in client.get(response.location).get_data(as_text=True)
    assert not fresh_report(commented.consultation).is_published
    anonymous = client.application.test_client()
    assert anonymous.get(REPORT).status_code == 404

    login_as(client, commented.admin)
    response = publish_with_the_form(client, commented.admin, summary=REPORT_SUMMARY + " Poprawiono.")
    assert "Raport został opublikowany." in client.get(response.location).get_data(as_text=True)
    report = fresh_report(commented.consultation)
    assert report.is_published and report.summary.endswith("Poprawiono.")
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("report_%"))
                                 .order_by(AuditLog.id)).all()
    assert actions == ["report_summary_changed", "report_published", "report_unpublished",
                       "report_summary_changed", "report_published"]
    time.sleep(0.3)
    assert smtp_sink.messages == []


def test_nobody_with_a_deleted_account_or_only_a_rejected_comment_is_emailed(client, commented, make_user,
                                                                            smtp_sink):
    rejected = make_user("odrzucona@ngo.example")
    add_comment(commented.general, rejected, "Spam.", state=PostState.REJECTED)
    commented.jan.deleted_at = clock.now_utc()
    db.session.commit()
    answer_all(commented)
    publish_with_the_form(client, commented.moderator)
    wait_for_mail(smtp_sink, 1)
    time.sleep(0.2)
    assert [m["To"] for m in smtp_sink.messages] == ["anna@ngo.example"]


# --- the public report ----------------------------------------------------------------------------

@pytest.fixture
def published(client, commented, smtp_sink):
    answer_all(commented)
    assert publish_with_the_form(client, commented.moderator).status_code == 303
    client.post("/wyloguj", data={"csrf_token": form_token(client, MANAGE)})
    return commented


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr id="(uwaga-\d+)"', html)


def test_the_public_report_tells_how_it_ran_the_numbers_and_every_answer(client, published):
    html = client.get(REPORT).get_data(as_text=True)
    assert html.count("<h1") == 1 and "Raport z konsultacji</h1>" in html
    assert "Podgląd" not in html
    assert "Opublikowano: <time" in html and "5 października 2020 r." in html
    # How it ran: the phases with their dates, and the summary.
    assert "Konsultacje elektroniczne" in html or "timeline" in html
    assert 'class="timeline"' in html
    assert "<strong>17 do 30 września 2020 r.</strong>" in html
    # The numbers: 2 people, 1 organisation, 5 comments, per section and per decision.
    numbers = re.sub(r"\s+", " ", html)
    assert "Osoby, które zgłosiły uwagi</dt><dd>2</dd>" in numbers
    assert "Organizacje, w których imieniu zgłoszono uwagi</dt><dd>1</dd>" in numbers
    assert "Uwagi łącznie</dt><dd>5</dd>" in numbers
    assert '§ 2. Formy współpracy</th><td>2</td>' in numbers
    assert "częściowo uwzględniona</th><td>2</td>" in numbers
    # The table: numbered rows with anchors, a proper data table.
    assert rows_of(html) == [f"uwaga-{n}" for n in range(1, 6)]
    assert "<caption" in html and '<th scope="col">Nr</th>' in html and re.search(r'<th scope="row"><span id="k-\d+">3</span></th>', html)
    row3 = html.split('id="uwaga-3"')[1].split("</tr>")[0]
    assert "Fundacja Rowerowa „Łańcuch”" in row3 and "§ 2 ust. 1" in row3
    assert "Prosimy o <strong>dłuższe</strong> terminy" in row3
    assert "częściowo uwzględniona" in row3 and "Terminy wydłużono do <strong>30 dni</strong>." in row3
    assert "wprowadzono zmianę: § 2" in row3
    row4 = html.split('id="uwaga-4"')[1].split("</tr>")[0]
    assert "osoba prywatna" in row4 and "jak w uwadze 3" in row4 and f'href="{REPORT}#uwaga-3"' in row4


def test_a_private_person_is_never_named_in_the_report(client, published):
    html = client.get(REPORT).get_data(as_text=True)
    assert "Jan Kowalski" not in html and "Anna Nowak" not in html
    assert html.count("osoba prywatna") >= 2


def test_the_table_can_be_filtered_by_section_and_by_decision(client, published):
    by_section = client.get(f"{REPORT}?czesc=2").get_data(as_text=True)
    assert rows_of(by_section) == ["uwaga-3", "uwaga-4"]
    assert "Pokazano 2 z 5 uwag." in by_section
    assert '<option selected value="2">' in by_section or 'value="2" selected' in by_section

    by_decision = client.get(f"{REPORT}?rozstrzygniecie=not_accepted").get_data(as_text=True)
    assert rows_of(by_decision) == ["uwaga-5"]

    general = published.general.id
    both = client.get(f"{REPORT}?czesc=w{general}&rozstrzygniecie=explanation").get_data(as_text=True)
    assert rows_of(both) == ["uwaga-1"]

    nothing = client.get(f"{REPORT}?czesc=1&rozstrzygniecie=not_accepted").get_data(as_text=True)
    assert rows_of(nothing) == [] and "Żadna uwaga nie pasuje do wybranych filtrów." in nothing

    # An unknown value (an edited address) filters nothing rather than failing.
    assert rows_of(client.get(f"{REPORT}?czesc=99&rozstrzygniecie=maybe").get_data(as_text=True)) == \
        [f"uwaga-{n}" for n in range(1, 6)]
    form = by_section.split('class="report-filters')[1].split("</form>")[0]
    assert '<label class="field__label" for="czesc">Część dokumentu</label>' in form
    assert '<label class="field__label" for="rozstrzygniecie">Rozstrzygnięcie</label>' in form
    assert 'type="submit"' in form


def test_a_consultation_without_comments_gets_a_report_that_says_so(client, torun, make_user, smtp_sink):
    moderator = make_user("moderator@urzad.example", role=Role.MODERATOR)
    assert publish_with_the_form(client, moderator).status_code == 303
    html = client.get(REPORT).get_data(as_text=True)
    assert "W konsultacjach nie zgłoszono uwag." in html and "<table" not in html
    assert smtp_sink.messages == []


def make_comments(consultation_id: int, thread_id: int, author_id: int, count: int) -> None:
    """`count` approved comments, all sharing one answer, written in bulk."""
    first_id = (db.session.scalar(select(func.max(Post.id))) or 0) + 1
    now = clock.now_utc()
    posts = [Post(id=first_id + n, thread_id=thread_id, author_id=author_id, body=f"Uwaga numer {n}.",
                  body_html=f"<p>Uwaga numer {n}.</p>", depth=0, root_id=first_id + n,
                  path=f"{first_id + n:09d}", created_at=now, state=PostState.APPROVED)
             for n in range(count)]
    db.session.add_all(posts)
    shared = Answer(consultation_id=consultation_id, decision=Decision.EXPLANATION, justification="Wspólne.")
    db.session.add(shared)
    db.session.flush()
    db.session.add_all(AnsweredComment(post_id=post.id, answer_id=shared.id, consultation_id=consultation_id)
                       for post in posts)
    db.session.commit()


@pytest.mark.parametrize("viewer", ["anonymous", "moderator"])
def test_the_report_page_costs_the_same_queries_for_10_and_2000_comments(app, commented, count_queries, viewer):
    consultation_id, moderator = commented.consultation.id, commented.moderator
    general, section, anna, jan = (commented.general.id, commented.sections[2].id,
                                   commented.anna.id, commented.jan.id)
    answer_all(commented)
    db.session.add(Report(consultation_id=consultation_id, summary=REPORT_SUMMARY, published_at=clock.now_utc()))
    db.session.commit()

    def cost() -> int:
        client = app.test_client()
        if viewer == "moderator":
            login_as(client, moderator)
        with count_queries() as queries:
            response = client.get(REPORT)
        assert response.status_code == 200
        return queries.count

    make_comments(consultation_id, general, anna, 5)
    small = cost()
    make_comments(consultation_id, section, jan, 1990)
    # The consultation, the report row, the comments (two), what the table leaves out; +1 signed in.
    assert cost() == small <= (6 if viewer == "moderator" else 5)
    assert len(rows_of(app.test_client().get(REPORT).get_data(as_text=True))) == views.REPORT_PAGE_SIZE  # a page of them


# --- the participant's choice -------------------------------------------------------------------------

def test_a_participant_turns_the_report_email_off_in_the_profile_and_sees_it_in_the_data_export(client, commented):
    login_as(client, commented.jan)
    profile = client.get("/konto").get_data(as_text=True)
    assert "Powiadamiaj mnie e-mailem o opublikowaniu raportu z odpowiedziami na moje uwagi" in profile
    assert re.search(r'id="notify_report"[^>]*checked|checked[^>]*id="notify_report"', profile)
    response = client.post("/konto", data={"display_name": "Jan Kowalski", "notify_replies": "y",
                                           "csrf_token": form_token(client, "/konto")})
    assert response.status_code == 302
    db.session.expire_all()
    jan = db.session.get(User, commented.jan.id)
    assert jan.notify_replies and not jan.notify_report
    assert client.get("/konto/moje-dane.json").get_json()["account"]["notifications"]["report"] is False


def test_staff_are_not_told_about_their_own_answers(commented):
    from portal.reports.publishing import participants_to_tell

    official = add_comment(commented.general, commented.moderator, "Odpowiedź urzędu.", parent=commented.comments[0])
    official.is_official = True
    db.session.commit()
    people = {person.email for person in participants_to_tell(commented.consultation.id)}
    assert people == {"anna@ngo.example", "jan@example.org"}
    assert db.session.scalar(select(User.role).where(User.email == "moderator@urzad.example")) == Role.MODERATOR
