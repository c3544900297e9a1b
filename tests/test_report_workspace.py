"""The office answers every comment: the answer workspace (issue 7, "Answer every comment").

After the electronic consultation (the `commented` fixture: five approved comments, numbered as
in the report) a moderator opens the workspace, answers comments one by one, several with one
shared answer, or "jak w uwadze N", and sees the progress. Every change is in the audit log.
"""
import re
import threading
import time

import pytest
from sqlalchemy import func, select

from portal.audit import AuditLog
from portal.extensions import db
from portal.forum.models import PostState
from portal.reports import answers
from portal.reports.models import Answer, AnsweredComment, Decision
from portal.reports.services import report_comments
from tests.conftest import form_token, login_as
from tests.factories import add_comment

SLUG = "program-wspolpracy-2021"
WORKSPACE = f"/zespol/konsultacje/{SLUG}/odpowiedzi"


# --- helpers ----------------------------------------------------------------------------------

def answer_url(post, suffix="") -> str:
    return f"{WORKSPACE}/{post.id}{suffix}"


def send(client, url, data, page=WORKSPACE):
    """Send a form from the workspace, with the CSRF token of the page as loaded."""
    return client.post(url, data={**data, "csrf_token": form_token(client, page)})


def answer(client, post, decision, justification):
    return send(client, answer_url(post), {"decision": decision, "justification": justification})


def text(html) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def comment_block(html, post) -> str:
    """The part of the workspace about one comment."""
    start = html.index(f'<article class="comment" id="uwaga-{post.id}"')
    return html[start:html.index("</article>", start)]


def answer_shown(html, post) -> str:
    """What the workspace says about the comment's current answer (the text of its answer section)."""
    block = comment_block(html, post)
    start = block.index(f'id="uwaga-{post.id}-odpowiedz"')
    return text(block[start:block.index("</section>", start)])


def numbers_on_page(html) -> list[str]:
    return re.findall(r'class="comment__meta">Uwaga nr (\d+)</h3>', html)


def answers_of(commented) -> list[int | None]:
    """The answer id of each comment, in report order."""
    db.session.expire_all()
    rows = dict(db.session.execute(select(AnsweredComment.post_id, AnsweredComment.answer_id)).all())
    return [rows.get(post.id) for post in commented.comments]


def audit_rows() -> list[AuditLog]:
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "answer_comment").order_by(AuditLog.id)).all()


def answer_count() -> int:
    return db.session.scalar(select(func.count(Answer.id)))


# --- who may answer ---------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, commented):
    first = commented.comments[0]
    for response in (client.get(WORKSPACE), client.post(answer_url(first), data={})):
        assert response.status_code == 302
        assert "/logowanie" in response.headers["Location"]


def test_participants_may_not_see_or_answer(client, commented):
    login_as(client, commented.anna)
    first = commented.comments[0]
    token = form_token(client, "/")
    assert client.get(WORKSPACE).status_code == 403
    for url in (answer_url(first), answer_url(first, "/jak-w-uwadze"), f"{WORKSPACE}/wspolna"):
        response = client.post(url, data={"csrf_token": token, "decision": "accepted", "justification": "Tak."})
        assert response.status_code == 403
    assert answer_count() == 0


def test_moderators_and_admins_may_answer(client, commented):
    for who, decision in (("moderator", "accepted"), ("admin", "not_accepted")):
        login_as(client, getattr(commented, who))
        assert client.get(WORKSPACE).status_code == 200
        assert answer(client, commented.comments[0], decision, f"Odpowiada {who}.").status_code == 303
    assert [c.answer.decision for c in report_comments(commented.consultation.id).comments[:1]] == \
        [Decision.NOT_ACCEPTED]


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(commented, moderator_client):
    for url in (answer_url(commented.comments[0]), answer_url(commented.comments[0], "/jak-w-uwadze"),
                f"{WORKSPACE}/wspolna"):
        response = moderator_client.post(url, data={"decision": "accepted", "justification": "Tak.",
                                                    "source_number": "2", "numbers": "1"})
        assert response.status_code == 400
    assert answer_count() == 0


def test_only_comments_of_the_report_can_be_answered(commented, moderator_client):
    for post in (commented.reply, commented.pending):
        assert answer(moderator_client, post, "accepted", "Tak.").status_code == 404
    assert moderator_client.get("/zespol/konsultacje/nie-ma-takiej/odpowiedzi").status_code == 404


def test_the_workspace_is_never_cached(commented, moderator_client):
    assert moderator_client.get(WORKSPACE).headers["Cache-Control"] == "no-store"
    assert answer(moderator_client, commented.comments[0], "", "").headers["Cache-Control"] == "no-store"


# --- what the workspace shows -----------------------------------------------------------------

def test_the_workspace_lists_every_comment_by_section_in_report_order(commented, moderator_client):
    commented.comments[2].paragraph_number = 1
    db.session.commit()
    html = moderator_client.get(WORKSPACE).get_data(as_text=True)

    assert numbers_on_page(html) == ["1", "2", "3", "4", "5"]
    headings = re.findall(r'<h2 id="sekcja-\d+">([^<]+)</h2>', html)
    assert headings == ["Uwagi ogólne", "§ 1. Postanowienia ogólne", "§ 2. Formy współpracy", "§ 3. Finansowanie"]
    third = comment_block(html, commented.comments[2])
    assert commented.anna.organisation.name in third
    assert "§ 2 ust. 1" in text(third)
    assert "18 września 2020 r., godz. 10:05" in text(third)
    assert "<p>Prosimy o <strong>dłuższe</strong> terminy składania ofert.</p>" in third
    assert f'href="/forum/uwagi/{commented.comments[2].id}"' in third
    assert "osoba prywatna" in comment_block(html, commented.comments[0])
    assert "Odpowiedziano na 0 z 5 uwag" in html
    assert '<progress max="5" value="0"' in html
    # Not in the report: the pending comment and the reply.
    assert "Czekam na moderację." not in html and "Popieram." not in html


def test_the_workspace_has_one_h1_the_staff_menu_and_labelled_fields(commented, moderator_client):
    html = moderator_client.get(WORKSPACE).get_data(as_text=True)
    assert html.count("<h1") == 1
    assert 'aria-current="page">Odpowiedzi na uwagi</a>' in html
    first = commented.comments[0].id
    assert '<legend>Rozstrzygnięcie</legend>' in html
    assert f'<label for="decision-{first}-accepted">uwzględniona</label>' in html
    assert f'<label class="field__label" for="justification-{first}">Uzasadnienie</label>' in html
    assert f'<label class="field__label" for="source_number-{first}">' in html
    assert f'<label for="wybierz-{first}">Zaznacz do wspólnej odpowiedzi' in html


def test_what_participants_wrote_is_shown_sanitised(commented, moderator_client):
    add_comment(commented.general, commented.jan, "<script>alert(1)</script> **ważne**")
    db.session.commit()
    html = moderator_client.get(WORKSPACE).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "<strong>ważne</strong>" in html


# --- answering one comment --------------------------------------------------------------------

def test_a_moderator_answers_a_comment_and_sees_it_with_the_progress(commented, moderator_client):
    first = commented.comments[0]
    response = answer(moderator_client, first, "partly_accepted", "Dodamy zapis o **wolontariacie** w § 4.")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{WORKSPACE}#uwaga-{first.id}")
    html = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zapisano odpowiedź na uwagę nr 1." in html
    assert "Odpowiedziano na 1 z 5 uwag" in html and '<progress max="5" value="1"' in html
    shown = answer_shown(html, first)
    assert "częściowo uwzględniona" in shown
    assert "Dodamy zapis o wolontariacie w § 4." in shown
    assert "<strong>wolontariacie</strong>" in comment_block(html, first)

    [row] = audit_rows()
    assert (row.actor_id, row.target_type, row.target_id) == (commented.moderator.id, "post", first.id)
    assert row.before_data == {"decision": None, "justification": None}
    assert row.after_data == {"decision": "partly_accepted",
                              "justification": "Dodamy zapis o **wolontariacie** w § 4."}


def test_changing_the_answer_of_a_comment_alone_on_it_edits_it_in_place(commented, moderator_client):
    first = commented.comments[0]
    answer(moderator_client, first, "accepted", "Tak.")
    answer_id = answers_of(commented)[0]

    answer(moderator_client, first, "not_accepted", "Jednak nie: program nie reguluje wolontariatu.")

    assert answers_of(commented)[0] == answer_id and answer_count() == 1
    assert db.session.get(Answer, answer_id).decision == Decision.NOT_ACCEPTED
    last = audit_rows()[-1]
    assert last.before_data == {"decision": "accepted", "justification": "Tak."}
    assert last.after_data["decision"] == "not_accepted"


def test_saving_the_same_answer_again_changes_and_logs_nothing(commented, moderator_client):
    first = commented.comments[0]
    answer(moderator_client, first, "accepted", "Tak.")
    response = answer(moderator_client, first, "accepted", "  Tak.  ")
    assert "Bez zmian: uwaga nr 1 ma już taką odpowiedź." in moderator_client.get(
        response.headers["Location"]).get_data(as_text=True)
    assert len(audit_rows()) == 1


def test_the_justification_is_required_and_the_chosen_decision_is_kept(commented, moderator_client):
    first = commented.comments[0]
    response = answer(moderator_client, first, "not_accepted", "   ")

    assert response.status_code == 200
    block = comment_block(response.get_data(as_text=True), first)
    assert f'id="justification-{first.id}-error"' in block
    assert "Napisz uzasadnienie — raport z konsultacji musi je zawierać." in block
    assert re.search(rf'id="decision-{first.id}-not_accepted"[^>]*checked', block)
    assert answer_count() == 0 and audit_rows() == []


def test_the_decision_is_required_and_the_typed_justification_is_kept(commented, moderator_client):
    second = commented.comments[1]
    response = answer(moderator_client, second, "", "Definicja wynika z ustawy.")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    block = comment_block(html, second)
    assert "Wybierz rozstrzygnięcie." in block
    assert "Definicja wynika z ustawy.</textarea>" in block
    assert f'href="#decision-{second.id}-accepted"' in html  # the error summary leads to the first radio
    # The other comments' forms stay empty.
    assert "Definicja wynika z ustawy." not in comment_block(html, commented.comments[0])
    assert answer_count() == 0


def test_a_stale_form_is_refused_with_the_typed_justification_kept(commented, moderator_client):
    first = commented.comments[0]
    response = moderator_client.post(answer_url(first), data={"csrf_token": "stary", "decision": "accepted",
                                                              "justification": "Długo pisane uzasadnienie."})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Formularz był otwarty zbyt długo" in html
    assert "Długo pisane uzasadnienie.</textarea>" in comment_block(html, first)
    assert answer_count() == 0


def test_the_later_of_two_answers_wins_and_logs_the_earlier_as_before(app, commented, moderator_client):
    """A moderator has the page open while an admin answers the same comment."""
    first = commented.comments[0]
    token = form_token(moderator_client, WORKSPACE)  # the page as the moderator loaded it: no answer yet

    admin = app.test_client()
    login_as(admin, commented.admin)
    answer(admin, first, "accepted", "Uwzględniamy.")

    moderator_client.post(answer_url(first), data={"csrf_token": token, "decision": "not_accepted",
                                                   "justification": "Nie uwzględniamy."})
    rows = audit_rows()
    assert [row.actor_id for row in rows] == [commented.admin.id, commented.moderator.id]
    assert rows[1].before_data == {"decision": "accepted", "justification": "Uwzględniamy."}
    assert report_comments(commented.consultation.id).comments[0].answer.justification == "Nie uwzględniamy."


@pytest.mark.commits  # two threads, each with a connection of its own
def test_two_people_answering_one_comment_at_once_the_later_logs_the_earlier_as_before(app, commented):
    """The first holds the comment (saved, not yet committed) while the second saves."""
    from portal.accounts.models import User
    from portal.forum.models import Post

    consultation_id, post_id = commented.consultation.id, commented.comments[0].id
    people = {"moderator": commented.moderator.id, "admin": commented.admin.id}
    first_saved, errors = threading.Event(), []

    def save(who, decision, justification, hold=0.0):
        try:
            with app.app_context():
                if who == "admin":
                    first_saved.wait(5)
                answers.answer_comments(db.session.get(User, people[who]), consultation_id,
                                        [db.session.get(Post, post_id)], decision, justification)
                if who == "moderator":
                    first_saved.set()
                    time.sleep(hold)  # the admin's save waits for this commit
                db.session.commit()
        except Exception as error:  # noqa: BLE001 - every failure is reported by the test
            errors.append(error)
            first_saved.set()

    threads = [threading.Thread(target=save, args=("moderator", Decision.ACCEPTED, "Pierwsza.", 0.5)),
               threading.Thread(target=save, args=("admin", Decision.NOT_ACCEPTED, "Druga."))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    rows = audit_rows()
    assert [row.actor_id for row in rows] == [people["moderator"], people["admin"]]
    assert rows[1].before_data == {"decision": "accepted", "justification": "Pierwsza."}
    assert report_comments(consultation_id).comments[0].answer.justification == "Druga."
    assert answer_count() == 1


# --- several comments, one answer -------------------------------------------------------------

def test_comments_ticked_together_share_one_answer(commented, moderator_client):
    third, fourth = commented.comments[2], commented.comments[3]
    response = send(moderator_client, f"{WORKSPACE}/wspolna", {
        "post_ids": [third.id, fourth.id], "decision": "accepted",
        "justification": "Wydłużymy terminy i dodamy spotkania."})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#uwaga-{third.id}")
    html = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zapisano wspólną odpowiedź na uwagi nr 3, 4." in html
    assert "Odpowiedziano na 2 z 5 uwag" in html
    ids = answers_of(commented)
    assert ids[2] is not None and ids[2] == ids[3] and answer_count() == 1
    assert "jak w uwadze 3" not in answer_shown(html, third)
    assert "jak w uwadze 3" in answer_shown(html, fourth)
    assert "Wydłużymy terminy i dodamy spotkania." in answer_shown(html, fourth)
    assert [row.target_id for row in audit_rows()] == [third.id, fourth.id]


def test_comments_can_be_chosen_by_their_numbers_too(commented, moderator_client):
    response = send(moderator_client, f"{WORKSPACE}/wspolna", {
        "post_ids": [commented.comments[0].id], "numbers": "2, 4-5", "decision": "explanation",
        "justification": "Wyjaśniamy."})
    assert response.status_code == 303
    ids = answers_of(commented)
    assert ids[0] == ids[1] == ids[3] == ids[4] and ids[2] is None


def test_a_joint_answer_needs_chosen_comments_and_keeps_what_was_typed(commented, moderator_client):
    response = send(moderator_client, f"{WORKSPACE}/wspolna", {"decision": "accepted", "justification": "Wspólne."})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="numbers-wspolna-error"' in html
    assert "Zaznacz uwagi na liście albo wpisz ich numery." in html
    assert "Wspólne.</textarea>" in html

    response = send(moderator_client, f"{WORKSPACE}/wspolna", {
        "post_ids": [commented.comments[0].id], "numbers": "2, 9", "decision": "accepted", "justification": "W."})
    html = response.get_data(as_text=True)
    assert "Nie ma uwag o numerach: 9" in text(html)
    assert re.search(rf'id="wybierz-{commented.comments[0].id}"[^>]*checked', html)  # the tick is kept
    assert 'value="2, 9"' in html
    assert answer_count() == 0


def test_re_answering_a_comment_that_shared_an_answer_gives_it_its_own(commented, moderator_client):
    third, fourth, fifth = commented.comments[2], commented.comments[3], commented.comments[4]
    send(moderator_client, f"{WORKSPACE}/wspolna", {"post_ids": [third.id, fourth.id, fifth.id],
                                                    "decision": "accepted", "justification": "Wspólna odpowiedź."})
    shared = answers_of(commented)[2]
    html = moderator_client.get(WORKSPACE).get_data(as_text=True)
    assert "Tę samą odpowiedź ma też: 3, 5." in text(comment_block(html, fourth))

    answer(moderator_client, fourth, "accepted", "Wspólna odpowiedź.")  # sent again unchanged: nothing happens
    assert answers_of(commented)[3] == shared and len(audit_rows()) == 3

    answer(moderator_client, fourth, "not_accepted", "Spotkania na żywo nie są planowane.")

    ids = answers_of(commented)
    assert ids[2] == ids[4] == shared and ids[3] not in (None, shared)
    assert db.session.get(Answer, shared).justification == "Wspólna odpowiedź."
    row = audit_rows()[-1]
    assert row.target_id == fourth.id
    assert row.before_data == {"decision": "accepted", "justification": "Wspólna odpowiedź."}
    html = moderator_client.get(WORKSPACE).get_data(as_text=True)
    assert "jak w uwadze" not in answer_shown(html, fourth)
    assert "jak w uwadze 3" in answer_shown(html, fifth)


def test_answering_exactly_the_comments_that_share_an_answer_edits_it_in_place(commented, moderator_client):
    third, fourth = commented.comments[2], commented.comments[3]
    for justification in ("Pierwsza wersja.", "Poprawiona wersja."):
        send(moderator_client, f"{WORKSPACE}/wspolna", {"post_ids": [third.id, fourth.id], "decision": "accepted",
                                                        "justification": justification})
    assert answer_count() == 1
    assert db.session.scalar(select(Answer.justification)) == "Poprawiona wersja."


# --- "jak w uwadze N" -------------------------------------------------------------------------

def test_a_comment_gets_the_same_answer_as_comment_n(commented, moderator_client):
    first, fifth = commented.comments[0], commented.comments[4]
    answer(moderator_client, first, "not_accepted", "Poza zakresem programu.")
    answer(moderator_client, fifth, "accepted", "Zwiększymy kwotę.")
    assert answer_count() == 2

    response = send(moderator_client, answer_url(fifth, "/jak-w-uwadze"), {"source_number": "1"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#uwaga-{fifth.id}")
    html = moderator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uwaga nr 5 ma teraz tę samą odpowiedź co uwaga nr 1." in html
    assert "jak w uwadze 1" in answer_shown(html, fifth)
    assert "Poza zakresem programu." in answer_shown(html, fifth)
    ids = answers_of(commented)
    assert ids[0] == ids[4]
    assert answer_count() == 1  # comment 5's own answer had no other comment: it is gone
    row = audit_rows()[-1]
    assert row.target_id == fifth.id
    assert row.before_data == {"decision": "accepted", "justification": "Zwiększymy kwotę."}
    assert row.after_data == {"decision": "not_accepted", "justification": "Poza zakresem programu."}


def test_a_number_that_does_not_exist_or_has_no_answer_is_an_error_by_the_field(commented, moderator_client):
    second = commented.comments[1]
    answer(moderator_client, second, "accepted", "Tak.")
    cases = (("9", "Nie ma uwagi nr 9"), ("1", "Ta uwaga nie ma jeszcze odpowiedzi"),
             ("2", "To jest ta sama uwaga"), ("", "Podaj numer uwagi"), ("0", "Podaj numer uwagi z tej listy."))
    for typed, message in cases:
        response = send(moderator_client, answer_url(second, "/jak-w-uwadze"), {"source_number": typed})
        assert response.status_code == 200, typed
        block = comment_block(response.get_data(as_text=True), second)
        error = re.search(rf'<p class="field__error" id="source_number-{second.id}-error">(.*?)</p>', block, re.DOTALL)
        assert error and message in text(error.group(1)), typed
        assert f'value="{typed}"' in block
    assert len(audit_rows()) == 1


# --- filters ----------------------------------------------------------------------------------

def test_filters_show_one_section_or_only_the_comments_without_an_answer(commented, moderator_client):
    answer(moderator_client, commented.comments[2], "accepted", "Tak.")
    section_2 = commented.sections[2].id

    html = moderator_client.get(f"{WORKSPACE}?sekcja={section_2}").get_data(as_text=True)
    assert numbers_on_page(html) == ["3", "4"]
    assert "Na liście: 2 z 5." in html
    assert f'<option value="{section_2}" selected>' in html
    assert "Odpowiedziano na 1 z 5 uwag" in html  # the progress counts every comment

    html = moderator_client.get(f"{WORKSPACE}?bez-odpowiedzi=1").get_data(as_text=True)
    assert numbers_on_page(html) == ["1", "2", "4", "5"]

    html = moderator_client.get(f"{WORKSPACE}?sekcja={section_2}&bez-odpowiedzi=1").get_data(as_text=True)
    assert numbers_on_page(html) == ["4"]


def test_filters_are_kept_when_a_comment_is_answered(commented, moderator_client):
    fourth = commented.comments[3]
    page = f"{WORKSPACE}?sekcja={commented.sections[2].id}&bez-odpowiedzi=1"
    html = moderator_client.get(page).get_data(as_text=True)
    action = re.search(rf'action="([^"]*/odpowiedzi/{fourth.id})\?([^"]*)"', html)
    assert action, "the answer form carries the filters"
    response = send(moderator_client, f"{action.group(1)}?{action.group(2).replace('&amp;', '&')}",
                    {"decision": "accepted", "justification": "Tak."}, page=page)
    location = response.headers["Location"]
    assert f"sekcja={commented.sections[2].id}" in location and "bez-odpowiedzi=1" in location
    assert location.endswith(f"#uwaga-{fourth.id}")


# --- cost -------------------------------------------------------------------------------------

def test_the_workspace_runs_the_same_few_queries_for_5_and_300_comments(app, commented, count_queries):
    moderator_id, consultation_id = commented.moderator.id, commented.consultation.id
    anna_id, jan_id = commented.anna.id, commented.jan.id

    def queries() -> int:
        client = app.test_client()
        login_as(client, db.session.get(type(commented.moderator), moderator_id))
        with count_queries() as counted:
            response = client.get(WORKSPACE)
        assert response.status_code == 200
        return counted.count

    few = queries()

    from portal.accounts.models import Organisation, User
    from portal.forum.models import Thread
    threads = db.session.scalars(select(Thread).order_by(Thread.id)).all()
    anna, jan = db.session.get(User, anna_id), db.session.get(User, jan_id)
    organisation = db.session.scalar(select(Organisation))
    posts = [add_comment(threads[n % len(threads)], anna if n % 2 else jan, f"Uwaga {n}.",
                         organisation=organisation if n % 3 == 0 else None,
                         paragraph=1 if n % 5 == 0 else None)
             for n in range(295)]
    add_comment(threads[0], jan, "Odrzucona.", state=PostState.REJECTED)
    db.session.commit()
    moderator = db.session.get(User, moderator_id)
    for n in range(0, 295, 3):  # some answered alone, some in pairs
        answers.answer_comments(moderator, consultation_id, posts[n:n + (2 if n % 2 else 1)],
                                Decision.ACCEPTED, f"Odpowiedź {n}.")
    db.session.commit()
    assert report_comments(consultation_id).total == 300
    many = queries()
    assert few == many <= 6

