""""Did my comment change anything?": the office's answer, shown under the comment in the forum."""
import re

import pytest
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.forum.models import Post
from portal.forum.services import ROOTS_PER_PAGE
from portal.reports.annotations import annotations_for
from portal.reports.models import Answer, AnsweredComment, ChangeLink, Decision, Report
from portal.reports.services import report_comments
from tests.conftest import login_as
from tests.factories import add_comment

SLUG = "program-wspolpracy-2021"


def answer(commented, post, decision, justification, changed=()):
    consultation_id = commented.consultation.id
    given = Answer(consultation_id=consultation_id, decision=decision, justification=justification)
    db.session.add(given)
    db.session.flush()
    db.session.add(AnsweredComment(post_id=post.id, answer_id=given.id, consultation_id=consultation_id))
    db.session.add_all(ChangeLink(post_id=post.id, section_number=number, consultation_id=consultation_id)
                       for number in changed)
    db.session.commit()


def publish_report(commented):
    db.session.add(Report(consultation_id=commented.consultation.id, published_at=clock.now_utc()))
    db.session.commit()


@pytest.fixture
def answered(commented):
    """Anna's comment on § 2 (report number 3) was accepted and changed § 2."""
    answer(commented, commented.comments[2], Decision.ACCEPTED,
           "Wydłużamy termin do **21 dni**. <script>alert(1)</script>", changed=[2])
    return commented


def answer_region(html: str, post: Post) -> str:
    start = html.index(f'id="k-{post.id}"')
    region = html[start:html.index("</article>", start)]
    return region[region.index('class="comment__answer"'):] if 'class="comment__answer"' in region else ""


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def thread_page(client, post):
    response = client.get(f"/forum/uwagi/{post.id}", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_participant_sees_the_answer_at_their_comment_once_the_report_is_published(app, answered):
    publish_report(answered)
    client = app.test_client()
    login_as(client, answered.anna)
    html = thread_page(client, answered.comments[2])
    region = answer_region(html, answered.comments[2])
    assert "Odpowiedź urzędu: uwzględniona" in text_of(region)
    assert "Wydłużamy termin do <strong>21 dni</strong>." in region
    assert "<script>alert" not in region and "&lt;script&gt;" in region
    assert f'href="/konsultacje/{SLUG}/zmiany#zmiana-2">wprowadzono zmianę: § 2</a>' in region
    post = answered.comments[2]
    assert f'href="/konsultacje/{SLUG}/raport?komentarz={post.id}#k-{post.id}">Ta uwaga w raporcie</a>' in region
    # Jan's comment on the same section got no answer yet: nothing under it; replies never get one.
    assert answer_region(html, answered.comments[3]) == ""
    assert answer_region(html, answered.reply) == ""


def test_before_the_report_is_published_only_staff_see_the_answer(app, answered):
    for person in (None, answered.anna):
        client = app.test_client()
        if person:
            login_as(client, person)
        html = thread_page(client, answered.comments[2])
        assert "Odpowiedź urzędu" not in html and "wprowadzono zmianę" not in html
    staff = app.test_client()
    login_as(staff, answered.moderator)
    region = answer_region(thread_page(staff, answered.comments[2]), answered.comments[2])
    assert "Odpowiedź urzędu: uwzględniona" in text_of(region)
    assert "raport nie jest jeszcze opublikowany" in region


def test_a_change_linked_to_an_unanswered_comment_is_shown_too(app, commented):
    db.session.add(ChangeLink(post_id=commented.comments[1].id, section_number=1,
                              consultation_id=commented.consultation.id))
    db.session.commit()
    publish_report(commented)
    region = answer_region(thread_page(app.test_client(), commented.comments[1]), commented.comments[1])
    assert "wprowadzono zmianę: § 1" in region and "Ta uwaga w raporcie" in region
    assert "Odpowiedź urzędu:" not in region


def test_each_comment_links_to_its_own_row_in_the_report(app, answered):
    for post in answered.comments:
        if post != answered.comments[2]:
            answer(answered, post, Decision.EXPLANATION, "Dziękujemy.")
    publish_report(answered)
    ids = [post.id for post in answered.comments] + [answered.pending.id, answered.reply.id]
    notes = annotations_for(answered.consultation.id, ids)
    assert notes.keys() == {comment.post.id for comment in report_comments(answered.consultation.id).comments}
    report = app.test_client().get(f"/konsultacje/{SLUG}/raport").get_data(as_text=True)
    for comment in report_comments(answered.consultation.id).comments:  # the link's anchor is in that row
        row = report.split(f'<tr id="uwaga-{comment.number}">', 1)[1].split("</tr>", 1)[0]
        assert f'id="k-{comment.post.id}"' in row
    assert notes[answered.comments[2].id].changed_sections == ((2, "§ 2"),)  # the number for the link, the name as written
    assert notes[answered.comments[0].id].decision_label == "wyjaśnienie"


def test_nothing_is_annotated_before_publication_unless_staff_ask(answered):
    ids = [answered.comments[2].id]
    assert annotations_for(answered.consultation.id, ids) == {}
    note = annotations_for(answered.consultation.id, ids, include_unpublished=True)[ids[0]]
    assert note.decision_label == "uwzględniona" and not note.is_public


@pytest.mark.parametrize("extra", [0, 60])
def test_the_thread_page_with_answers_costs_one_query_more_whatever_the_size(
        app, answered, count_queries, extra):
    """The answers cost one query; following the thread rides in the roots query, so a signed-in
    participant's page stays within the forum's budget of 6."""
    thread = answered.sections[2]
    for n in range(extra):
        post = add_comment(thread, answered.jan, f"Uwaga {n}.")
        answer(answered, post, Decision.NOT_ACCEPTED, "Nie.", changed=[2])
    publish_report(answered)
    client = app.test_client()
    login_as(client, answered.anna)
    url = f"/konsultacje/{SLUG}/forum/watek/{thread.id}"
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="comment__answer"') == 1 + min(extra, ROOTS_PER_PAGE - 2)
    assert queries.count <= 6, queries.statements


def test_answers_published_while_comments_are_still_taken_show_at_once(app, answered, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    publish_report(answered)
    client = app.test_client()
    login_as(client, answered.anna)
    html = client.get(f"/konsultacje/{SLUG}/forum/watek/{answered.sections[2].id}").get_data(as_text=True)
    assert "Odpowiedź urzędu" in html
