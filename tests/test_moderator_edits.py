"""A moderator's correction is visible as one: the public reads "poprawiona przez moderatora (date)"
instead of a bare "edytowano", and the author can open the comment's earlier versions to see what
the moderator changed; other participants cannot."""
import re
from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum.models import Post
from tests.conftest import form_token, signed_in, visible_text
from tests.factories import SLUG

IN_WINDOW = "2020-09-20 12:00:00"
QUEUE = "/moderacja/kolejka"
WRITTEN = "Proszę dzwonić: 600 000 000. Program pomija seniorów."
CORRECTED = "Proszę dzwonić: [usunięto dane osobowe]. Program pomija seniorów."


def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def write(client, thread, body):
    return client.post(thread_url(thread), data={"body": body, "action": "send",
                                                 "csrf_token": form_token(client, thread_url(thread))})


def approve_with_edits(staff, post_id, edited_body):
    """The moderator's queue form, as the moderator sees it (the version from the page)."""
    html = staff.get(QUEUE).get_data(as_text=True)
    match = re.search(rf'action="/moderacja/uwagi/{post_id}/zatwierdz".*?name="version" value="(\d+)"',
                      html, re.DOTALL)
    assert match, "no approval form in the queue"
    return staff.post(f"/moderacja/uwagi/{post_id}/zatwierdz", follow_redirects=True, data={
        "csrf_token": form_token(staff, QUEUE), "version": match.group(1), "next": QUEUE,
        "edited_body": edited_body})


def last_post() -> Post:
    db.session.expire_all()
    return db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))


def comment_meta(html: str, post: Post) -> str:
    """The line under the author's name: who, when, edited or corrected."""
    start = html.index(f'id="{post.anchor}-meta"')
    return visible_text(html[start:html.index("</p>", start)])


def corrected_comment(app, torun, general, anna, moderator, frozen_clock) -> Post:
    torun.moderation_mode = ModerationMode.ALL
    db.session.commit()
    frozen_clock.set_local(IN_WINDOW)
    assert write(signed_in(app, anna), general, WRITTEN).status_code == 302
    post = last_post()
    frozen_clock.set_local("2020-09-21 09:30:00")
    response = approve_with_edits(signed_in(app, moderator), post.id, CORRECTED)
    assert response.status_code == 200
    return last_post()


def test_the_public_sees_a_moderators_correction_with_its_date_not_a_bare_edit(
        app, client, torun, general, anna, moderator, frozen_clock):
    post = corrected_comment(app, torun, general, anna, moderator, frozen_clock)
    html = client.get(thread_url(general)).get_data(as_text=True)
    assert "[usunięto dane osobowe]" in html and "600 000 000" not in html
    meta = comment_meta(html, post)
    assert "poprawiona przez moderatora (21 września 2020 r.)" in meta
    assert "edytowano" not in meta
    assert "Wersje" not in visible_text(html)  # earlier texts are for the author and staff


def test_an_authors_own_edit_shows_as_edited(app, client, torun, general, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    author = signed_in(app, anna)
    assert write(author, general, "Program pomija seniorów.").status_code == 302
    post = last_post()
    frozen_clock.set(clock.now_utc() + timedelta(minutes=10))
    page = f"/forum/uwagi/{post.id}/edycja"
    response = author.post(page, follow_redirects=True, data={
        "body": "Program pomija seniorów i osoby z niepełnosprawnościami.", "action": "send",
        "csrf_token": form_token(author, page)})
    assert response.status_code == 200
    meta = comment_meta(client.get(thread_url(general)).get_data(as_text=True), post)
    assert "edytowano" in meta and "poprawiona przez moderatora" not in meta


def test_an_author_who_edits_after_the_moderator_shows_both(
        app, client, torun, general, anna, moderator, frozen_clock):
    post = corrected_comment(app, torun, general, anna, moderator, frozen_clock)
    torun.moderation_mode = ModerationMode.NONE
    db.session.commit()
    frozen_clock.set_local("2020-09-22 08:00:00")
    author = signed_in(app, anna)
    page = f"/forum/uwagi/{post.id}/edycja"
    author.post(page, follow_redirects=True, data={
        "body": CORRECTED + " Dopisuję: także osoby z niepełnosprawnościami.", "action": "send",
        "csrf_token": form_token(author, page)})
    meta = comment_meta(client.get(thread_url(general)).get_data(as_text=True), post)
    assert "poprawiona przez moderatora (21 września 2020 r.)" in meta and "edytowano" in meta


def test_the_author_sees_the_text_before_the_moderators_correction(
        app, torun, general, anna, moderator, frozen_clock):
    post = corrected_comment(app, torun, general, anna, moderator, frozen_clock)
    author = signed_in(app, anna)
    thread = author.get(thread_url(general)).get_data(as_text=True)
    link = f'href="/forum/uwagi/{post.id}/wersje"'
    assert link in thread
    response = author.get(f"/forum/uwagi/{post.id}/wersje")
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    assert WRITTEN in text and CORRECTED in text
    assert "Treść przed poprawką moderatora." in text


def test_another_participant_cannot_open_the_versions(app, client, torun, general, anna, jan, moderator,
                                                       frozen_clock):
    post = corrected_comment(app, torun, general, anna, moderator, frozen_clock)
    other = signed_in(app, jan)
    assert f"/forum/uwagi/{post.id}/wersje" not in other.get(thread_url(general)).get_data(as_text=True)
    assert other.get(f"/forum/uwagi/{post.id}/wersje").status_code == 403
    assert client.get(f"/forum/uwagi/{post.id}/wersje").status_code == 302  # anonymous: log in first
    assert signed_in(app, moderator).get(f"/forum/uwagi/{post.id}/wersje").status_code == 200
