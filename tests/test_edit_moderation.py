"""Edits go through moderation by the same rules as new comments, and every edit is checked.

Under pre-moderation the new text of a published comment waits in the queue while everyone
keeps reading the published one; a comment still waiting is changed in place, and the version a
moderator's form carries goes up with every edit, so an approval of the text the moderator read
never publishes a text they did not read.
"""
import re
from datetime import timedelta

from sqlalchemy import select, update

from portal import clock
from portal.audit import AuditLog
from portal.consultations.models import ModerationMode
from portal.extensions import db
from portal.forum import services as forum
from portal.forum.models import Post, PostRevision, PostState
from portal.moderation import digest
from tests.conftest import PASSWORD, form_token, signed_in, visible_text
from tests.factories import SLUG

IN_WINDOW = "2020-09-20 12:00:00"
QUEUE = "/moderacja/kolejka"
PUBLISHED = "Program pomija seniorów."
NEW_TEXT = "Program pomija seniorów i osoby z niepełnosprawnościami."


def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"



def edit(client, post, body):
    page = f"/forum/uwagi/{post.id}/edycja"
    return client.post(page, data={"body": body, "action": "send", "csrf_token": form_token(client, page)},
                       follow_redirects=True)


def act(client, post_id, action, version, **fields):
    return client.post(f"/moderacja/uwagi/{post_id}/{action}", follow_redirects=True,
                       data={"csrf_token": form_token(client, QUEUE), "version": version, "next": QUEUE, **fields})


def version_on(html: str, post_id: int, action: str = "zatwierdz") -> str:
    match = re.search(rf'action="/moderacja/uwagi/{post_id}/{action}".*?name="version" value="(\d+)"', html, re.DOTALL)
    assert match, f"no {action} form for comment {post_id}"
    return match.group(1)


def fresh(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


def published_comment(torun, thread, author, frozen_clock, mode=ModerationMode.ALL) -> Post:
    """A comment approved earlier, in a consultation that (now) moderates `author` before publishing."""
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(author, thread, PUBLISHED)
    post.state = PostState.APPROVED
    torun.moderation_mode = mode
    db.session.commit()
    frozen_clock.set(clock.now_utc() + timedelta(minutes=5))
    return post


def test_an_edit_of_a_published_comment_waits_while_everyone_reads_the_published_text(
        app, client, torun, general, anna, moderator, frozen_clock):
    post = published_comment(torun, general, anna, frozen_clock)
    author = signed_in(app, anna)
    page = f"/forum/uwagi/{post.id}/edycja"
    assert "Zmiany opublikowanej uwagi sprawdza moderator" in visible_text(author.get(page).get_data(as_text=True))

    answer = visible_text(edit(author, post, NEW_TEXT).get_data(as_text=True))
    assert "Zmiany czekają na zatwierdzenie przez moderatora" in answer
    assert "Twoje zmiany czekają na zatwierdzenie" in answer and NEW_TEXT in answer

    public = visible_text(client.get(thread_url(general)).get_data(as_text=True))
    assert PUBLISHED in public and NEW_TEXT not in public and "edytowano" not in public
    # Editing again carries on from the waiting text, not the published one.
    assert f"{NEW_TEXT}</textarea>" in author.get(page).get_data(as_text=True)

    staff = signed_in(app, moderator)
    queue = staff.get(QUEUE).get_data(as_text=True)
    text = visible_text(queue)
    assert "zmiana opublikowanej uwagi — czeka na zatwierdzenie" in text
    assert text.index("Nowa treść od autora") < text.index(NEW_TEXT) < text.index("Treść opublikowana teraz")
    assert "Zatwierdź zmianę" in text and "Odrzuć zmianę" in text
    assert "Moderacja 1 czeka w kolejce" in text

    act(staff, post.id, "zatwierdz", version_on(queue, post.id))
    post = fresh(post)
    assert post.body == NEW_TEXT and post.proposed_at is None and post.edited_at is not None
    assert [r.body for r in db.session.scalars(select(PostRevision))] == [PUBLISHED]
    public = visible_text(client.get(thread_url(general)).get_data(as_text=True))
    assert NEW_TEXT in public and "edytowano" in public
    assert [row.action for row in db.session.scalars(select(AuditLog).where(AuditLog.target_id == post.id))] \
        == ["post_edit_approved"]
    assert "Publikacja zmienionej treści uwagi" in visible_text(staff.get("/moderacja/dziennik").get_data(as_text=True))


def test_a_rejected_edit_leaves_the_published_text_and_sends_the_new_one_back(
        app, client, torun, general, anna, moderator, frozen_clock, smtp_sink):
    post = published_comment(torun, general, anna, frozen_clock)
    author = signed_in(app, anna)
    edit(author, post, NEW_TEXT)
    staff = signed_in(app, moderator)
    queue = staff.get(QUEUE).get_data(as_text=True)
    answer = act(staff, post.id, "odrzuc", version_on(queue, post.id, "odrzuc"), reason="other",
                 note="Proszę nie zmieniać sensu uwagi po odpowiedziach innych osób.")
    assert "na forum zostaje poprzednia treść" in visible_text(answer.get_data(as_text=True))

    post = fresh(post)
    assert post.state == PostState.APPROVED and post.body == PUBLISHED and post.proposed_body is None
    [message] = smtp_sink.to(anna.email)
    assert message["Subject"] == "Zmiana Twojej uwagi nie została opublikowana"
    content = message.get_content()
    assert NEW_TEXT in content and "Proszę nie zmieniać sensu" in content and "poprzednią treść" in content
    assert PUBLISHED in visible_text(client.get(thread_url(general)).get_data(as_text=True))
    assert "Twoje zmiany czekają" not in visible_text(author.get(thread_url(general)).get_data(as_text=True))
    assert NEW_TEXT not in visible_text(staff.get(QUEUE).get_data(as_text=True))


def test_an_edit_made_while_the_moderator_reads_the_queue_is_never_published_unseen(
        app, client, torun, general, anna, moderator, frozen_clock):
    torun.moderation_mode = ModerationMode.ALL
    db.session.commit()
    frozen_clock.set_local(IN_WINDOW)
    author = signed_in(app, anna)
    author.post(thread_url(general), data={"body": PUBLISHED, "action": "send",
                                           "csrf_token": form_token(author, thread_url(general))})
    post = db.session.scalar(select(Post))
    staff = signed_in(app, moderator)
    read_version = version_on(staff.get(QUEUE).get_data(as_text=True), post.id)

    answer = visible_text(edit(author, post, "Tekst, którego moderator nie czytał.").get_data(as_text=True))
    assert "Uwaga nadal czeka na zatwierdzenie przez moderatora" in answer

    refused = visible_text(act(staff, post.id, "zatwierdz", read_version).get_data(as_text=True))
    assert "Autor zmienił treść tej uwagi w międzyczasie" in refused
    assert fresh(post).state == PostState.PENDING
    assert "Tekst, którego moderator" not in visible_text(client.get(thread_url(general)).get_data(as_text=True))

    queue = staff.get(QUEUE).get_data(as_text=True)
    assert "Tekst, którego moderator nie czytał." in visible_text(queue)
    act(staff, post.id, "zatwierdz", version_on(queue, post.id))
    assert fresh(post).state == PostState.APPROVED
    assert "Tekst, którego moderator nie czytał." in visible_text(client.get(thread_url(general)).get_data(as_text=True))


def test_without_pre_moderation_an_edit_is_public_at_once_and_stales_the_moderators_forms(
        app, client, torun, general, anna, moderator, frozen_clock):
    post = published_comment(torun, general, anna, frozen_clock, mode=ModerationMode.NONE)
    staff = signed_in(app, moderator)
    hide_version = version_on(staff.get(thread_url(general)).get_data(as_text=True), post.id, "ukryj")
    edit(signed_in(app, anna), post, NEW_TEXT)
    assert NEW_TEXT in visible_text(client.get(thread_url(general)).get_data(as_text=True))

    # The moderator decided to hide the text they read; it changed: nothing is hidden, they are told why.
    answer = act(staff, post.id, "ukryj", hide_version, public_reason="Treść obraźliwa.")
    assert "Autor zmienił treść tej uwagi w międzyczasie" in visible_text(answer.get_data(as_text=True))
    assert fresh(post).state == PostState.APPROVED


def test_rejected_and_hidden_comments_offer_no_edit_and_refuse_one_keeping_the_text(
        app, torun, general, anna, frozen_clock):
    post = published_comment(torun, general, anna, frozen_clock)
    author = signed_in(app, anna)
    for state, words in ((PostState.REJECTED, "moderator jej nie opublikował"),
                         (PostState.HIDDEN, "została ukryta przez moderatora")):
        post = fresh(post)
        post.state = state
        db.session.commit()
        thread_page = author.get(thread_url(general)).get_data(as_text=True)
        assert f'href="/forum/uwagi/{post.id}/edycja"' not in thread_page
        answer = edit(author, post, "Nowa wersja odrzuconej uwagi.").get_data(as_text=True)
        assert words in visible_text(answer) and "Nowa wersja odrzuconej uwagi.</textarea>" in answer
        assert fresh(post).body == PUBLISHED


def test_an_edit_that_lost_the_race_to_a_moderator_is_refused_not_written_over_the_decision(
        app, torun, general, anna, frozen_clock):
    torun.moderation_mode = ModerationMode.ALL
    frozen_clock.set_local(IN_WINDOW)
    post = forum.post_comment(anna, general, PUBLISHED)
    db.session.commit()
    stale = db.session.get(Post, post.id)
    # A moderator's approval commits between the author's request reading the comment and writing it.
    db.session.execute(update(Post).where(Post.id == post.id)
                       .values(state=PostState.APPROVED, version=Post.version + 1)
                       .execution_options(synchronize_session=False))
    try:
        forum.edit_comment(anna, stale, NEW_TEXT)
    except forum.PostingRefused as refusal:
        assert "zmieniła się w międzyczasie" in refusal.message
    else:
        raise AssertionError("the edit overwrote a moderator's decision")
    db.session.expire_all()
    assert db.session.get(Post, post.id).body == PUBLISHED


def test_waiting_edits_are_counted_for_moderators_and_in_their_digest(
        app, torun, general, anna, moderator, frozen_clock):
    post = published_comment(torun, general, anna, frozen_clock)
    assert digest.queue_summary().pending == 0
    edit(signed_in(app, anna), post, NEW_TEXT)
    summary = digest.queue_summary()
    assert summary.pending == 1 and [item.post_id for item in summary.oldest] == [post.id]
    staff = signed_in(app, moderator)
    assert "Moderacja 1 czeka w kolejce" in visible_text(staff.get("/").get_data(as_text=True))


def test_a_waiting_new_text_goes_with_its_authors_erased_account(
        app, client, torun, general, anna, moderator, frozen_clock):
    post = published_comment(torun, general, anna, frozen_clock)
    author = signed_in(app, anna)
    edit(author, post, NEW_TEXT)
    author.post("/konto/usun", data={"current_password": PASSWORD, "confirm": "y",
                                     "csrf_token": form_token(author, "/konto/usun")})
    post = fresh(post)
    assert post.proposed_body is None and post.proposed_at is None and post.body == PUBLISHED
    assert NEW_TEXT not in visible_text(signed_in(app, moderator).get(QUEUE).get_data(as_text=True))
