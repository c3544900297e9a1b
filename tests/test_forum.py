"""The forum as NGOs use it: comment on the draft, reply, edit, within 17–30 September."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal import clock
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post, PostRevision, PostState, Thread, ThreadKind
from tests.conftest import form_token, login_as, visible_text

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"


def url(thread):
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def write(client, thread, body, **fields):
    return client.post(url(thread), data={"body": body, "action": "send", **fields,
                                          "csrf_token": form_token(client, url(thread))})


def comments(thread=None):
    db.session.expire_all()
    query = select(Post).order_by(Post.id)
    if thread is not None:
        query = query.where(Post.thread_id == thread.id)
    return db.session.scalars(query).all()


# --- the window ----------------------------------------------------------------------------

@pytest.mark.parametrize("wall, allowed", [
    ("2020-09-16 23:59:59", False), ("2020-09-17 00:00:00", True),
    ("2020-09-30 23:59:59", True), ("2020-10-01 00:00:00", False),
])
def test_comments_are_taken_from_17_to_30_september_inclusive(client, general, anna, frozen_clock, wall, allowed):
    frozen_clock.set_local(wall)
    login_as(client, anna)
    response = write(client, general, "Proszę o doprecyzowanie harmonogramu.")
    assert (len(comments()) == 1) is allowed
    if not allowed:
        html = response.get_data(as_text=True)
        assert "Proszę o doprecyzowanie harmonogramu." in html  # the text comes back


def test_a_comment_sent_after_the_window_closed_while_the_form_was_open_comes_back(client, general, anna, frozen_clock):
    frozen_clock.set_local("2020-09-30 23:55:00")
    login_as(client, anna)
    token = form_token(client, url(general))
    frozen_clock.set_local("2020-10-01 00:00:00")
    response = client.post(url(general), data={"body": "Spóźniona, ale ważna uwaga.", "action": "send",
                                               "csrf_token": token})
    html = response.get_data(as_text=True)
    assert "Zgłaszanie uwag zakończyło się 30 września 2020 r." in html
    assert "Spóźniona, ale ważna uwaga." in html and comments() == []


def test_a_stale_csrf_token_gives_the_comment_back(client, general, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    response = client.post(url(general), data={"body": "Tekst pisany przez godzinę.", "action": "send",
                                               "csrf_token": "wygasly"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tekst pisany przez godzinę." in html and "Formularz nie został wysłany" in html


def test_the_forum_says_when_it_opens_and_that_it_closed(client, general, frozen_clock):
    frozen_clock.set_local("2020-09-10 12:00:00")
    assert "Zgłaszanie uwag rozpocznie się 17 września 2020 r., godz. 00:00" in client.get(url(general)).get_data(as_text=True)
    frozen_clock.set_local("2020-10-02 12:00:00")
    html = client.get(f"/konsultacje/{SLUG}/forum").get_data(as_text=True)
    assert "Zgłaszanie uwag zakończyło się 30 września 2020 r." in html and "raporcie z konsultacji" in html


@pytest.mark.parametrize("who, reason", [
    ("anonymous", "Zaloguj się, aby zgłosić uwagę."),
    ("unverified", "Potwierdź adres e-mail, aby zgłaszać uwagi."),
    ("blocked", "Twoje konto jest zablokowane"),
])
def test_who_may_not_post_is_told_why(client, general, make_user, frozen_clock, who, reason):
    frozen_clock.set_local(IN_WINDOW)
    if who != "anonymous":
        user = make_user("x@ngo.example", verified=who != "unverified")
        if who == "blocked":
            user.blocked_at, user.block_reason = clock.now_utc(), "spam"
            db.session.commit()
        login_as(client, user)
    html = client.get(url(general)).get_data(as_text=True)
    assert reason in html and "Wyślij uwagę" not in html
    if who != "anonymous":
        write(client, general, "Próba")
    assert comments() == []


def test_a_locked_thread_takes_no_comments(client, general, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    general.locked_at = clock.now_utc()
    db.session.commit()
    login_as(client, anna)
    assert "Ten wątek jest zamknięty dla nowych uwag." in write(client, general, "Uwaga").get_data(as_text=True)
    assert comments() == []


def test_staff_may_answer_after_the_window_as_the_office(client, general, moderator, frozen_clock):
    frozen_clock.set_local("2020-10-05 10:00:00")
    login_as(client, moderator)
    write(client, general, "Dziękujemy za uwagi, odpowiedzi będą w raporcie.")
    [post] = comments()
    assert post.is_official
    assert "odpowiedź urzędu" in client.get(url(general)).get_data(as_text=True)


# --- writing, replying, threads ------------------------------------------------------------

def test_a_comment_on_a_paragraph_on_behalf_of_an_organisation(client, section_thread, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    response = write(client, section_thread, "Proponuję dodać **konsultacje on-line**.", paragraph="2", on_behalf="y")
    assert response.status_code == 302 and response.headers["Location"] == f"/forum/uwagi/{comments()[0].id}"
    html = client.get(url(section_thread)).get_data(as_text=True)
    assert "Uwaga do: § 6 ust. 2" in html and anna.organisation.name in html and "organizacja zweryfikowana" in html
    assert "<strong>konsultacje on-line</strong>" in html
    assert 'id="par-6-2"' in html
    assert re.search(r'<time datetime="2020-09-20T12:00\+02:00">20 września 2020 r., godz. 12:00</time>', html)


def test_replies_nest_four_levels_then_continue_flat_saying_to_whom(client, general, anna, jan, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    parent = None
    for level in range(6):
        author = anna if level % 2 == 0 else jan
        frozen_clock.set(clock.now_utc() + timedelta(minutes=1))
        parent = services.post_comment(author, general, f"Poziom {level}", parent=parent)
        db.session.commit()
    depths = [p.depth for p in comments()]
    assert depths == [0, 1, 2, 3, 4, 4]
    html = client.get(url(general)).get_data(as_text=True)
    assert html.count('class="comments comments--replies"') == 4  # four nested levels
    assert f"w odpowiedzi do: {anna.display_name}" in html  # level 5 continues flat under level 4


def test_replies_travel_with_their_comment_across_pages(client, general, anna, jan, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    roots = []
    for n in range(services.ROOTS_PER_PAGE + 2):
        frozen_clock.set(clock.now_utc() + timedelta(minutes=1))
        roots.append(services.post_comment(anna, general, f"Uwaga numer {n}"))
    frozen_clock.set(clock.now_utc() + timedelta(minutes=1))
    late_reply = services.post_comment(jan, general, "Odpowiedź na pierwszą", parent=roots[0])
    db.session.commit()
    first = client.get(url(general)).get_data(as_text=True)
    second = client.get(url(general) + "?strona=2").get_data(as_text=True)
    assert "Odpowiedź na pierwszą" in first and "Uwaga numer 31" in second and "Uwaga numer 31" not in first
    assert "strona 1 z 2" in first
    response = client.get(f"/forum/uwagi/{roots[31].id}")
    assert response.headers["Location"] == f"{url(general)}?strona=2#k-{roots[31].id}"
    assert client.get(f"/forum/uwagi/{late_reply.id}").headers["Location"] == f"{url(general)}#k-{late_reply.id}"


def test_participants_open_their_own_threads(client, torun, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    new = f"/konsultacje/{SLUG}/forum/nowy-watek"
    response = client.post(new, data={"title": "Wolontariat seniorów", "body": "Brakuje działań dla seniorów.",
                                      "action": "send", "csrf_token": form_token(client, new)})
    thread = db.session.scalar(select(Thread).where(Thread.kind == ThreadKind.OPEN))
    assert response.headers["Location"] == url(thread)
    index = client.get(f"/konsultacje/{SLUG}/forum").get_data(as_text=True)
    assert "Wolontariat seniorów" in index and "<td>1</td>" in index


def test_a_line_break_in_a_thread_title_never_reaches_an_e_mail_as_a_new_line(
        app, client, torun, anna, jan, frozen_clock, smtp_sink):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    new = f"/konsultacje/{SLUG}/forum/nowy-watek"
    client.post(new, data={"title": "Wolontariat\r\nBcc: all@example.org\n\nKliknij tu\t\x0b",
                           "body": "Brakuje działań dla seniorów.", "action": "send",
                           "csrf_token": form_token(client, new)})
    thread = db.session.scalar(select(Thread).where(Thread.kind == ThreadKind.OPEN))
    assert thread.title == "Wolontariat Bcc: all@example.org Kliknij tu"
    follower = app.test_client()
    login_as(follower, jan)
    follower.post(f"/forum/watek/{thread.id}/obserwuj",
                  data={"follow": "1", "csrf_token": form_token(follower, url(thread))})
    frozen_clock.set_local("2020-09-20 12:10:00")
    write(client, thread, "Druga uwaga w wątku.")
    [message] = smtp_sink.to(jan.email)
    assert message["Subject"] == "Nowa uwaga w obserwowanym wątku: Wolontariat Bcc: all@example.org Kliknij tu"
    assert message["Bcc"] is None and message.get_content().startswith("Dzień dobry,")


@pytest.mark.parametrize("title", ["\u202eWolontariat", "\u200b\u200b\u00ad"])
def test_a_thread_title_that_reorders_text_or_shows_nothing_is_refused_at_its_field(
        client, torun, anna, frozen_clock, title):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    new = f"/konsultacje/{SLUG}/forum/nowy-watek"
    html = client.post(new, data={"title": title, "body": "Brakuje działań dla seniorów.", "action": "send",
                                  "csrf_token": form_token(client, new)}).get_data(as_text=True)
    assert db.session.scalar(select(Thread).where(Thread.kind == ThreadKind.OPEN)) is None
    assert re.search(r'id="title-error"[^>]*>.*?(kierunek tekstu|widoczny znak)', html, re.DOTALL)
    assert "Brakuje działań dla seniorów.</textarea>" in html


def test_the_preview_shows_the_sanitised_text_and_keeps_it(client, general, anna, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    response = client.post(url(general), data={"body": "*kursywa* <script>alert(1)</script>", "action": "preview",
                                               "csrf_token": form_token(client, url(general))})
    html = response.get_data(as_text=True)
    assert "<em>kursywa</em>" in html and "<script>alert(1)" not in html and comments() == []
    assert "*kursywa* &lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html


# --- limits --------------------------------------------------------------------------------

def test_limits_say_what_is_wrong_and_keep_the_text(app, client, general, anna, frozen_clock):
    app.config["FORUM_POSTS_PER_MINUTE"] = 1
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    too_long = "a" * 10_001
    html = write(client, general, too_long).get_data(as_text=True)
    assert "najwyżej 10000 znaków" in html.replace("\xa0", "").replace(" ", "") or "10000" in html
    assert comments() == []
    write(client, general, "Pierwsza uwaga.")
    html = write(client, general, "Druga uwaga zaraz potem.").get_data(as_text=True)
    assert "Odczekaj jeszcze" in html and "Druga uwaga zaraz potem." in html
    frozen_clock.set_local("2020-09-20 12:05:00")
    html = write(client, general, "Pierwsza uwaga.").get_data(as_text=True)
    assert "Ta uwaga została już wysłana w tym wątku." in html
    assert len(comments()) == 1


def test_an_oversized_request_gets_a_413_page(app, client, general, anna, frozen_clock):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    frozen_clock.set_local(IN_WINDOW)
    login_as(client, anna)
    response = client.post(url(general), data={"body": "x" * 60_000, "action": "send", "csrf_token": "t"})
    assert response.status_code == 413 and "Przesłane dane są za duże." in response.get_data(as_text=True)


# --- editing -------------------------------------------------------------------------------

def test_authors_edit_while_the_window_is_open_and_moderators_see_revisions(client, app, general, anna, jan, moderator,
                                                                           frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    post = services.post_comment(anna, general, "Pierwsza wersja.")
    db.session.commit()
    login_as(client, anna)
    edit = f"/forum/uwagi/{post.id}/edycja"
    client.post(edit, data={"body": "Poprawiona wersja.", "action": "send", "csrf_token": form_token(client, edit)})
    html = client.get(url(general)).get_data(as_text=True)
    assert "Poprawiona wersja." in html and "edytowano" in html
    assert [r.body for r in db.session.scalars(select(PostRevision))] == ["Pierwsza wersja."]

    other = app.test_client()
    login_as(other, jan)
    assert other.get(edit).status_code == 403
    assert other.get(f"/forum/uwagi/{post.id}/wersje").status_code == 403
    staff = app.test_client()
    login_as(staff, moderator)
    assert "Pierwsza wersja." in staff.get(f"/forum/uwagi/{post.id}/wersje").get_data(as_text=True)

    frozen_clock.set_local("2020-10-01 00:00:00")
    # Opening the editor after the window says why there is nothing to save; nothing was "refused" yet.
    opened = visible_text(client.get(edit).get_data(as_text=True))
    assert "Tej uwagi nie można teraz zmienić." in opened and "Zapisz zmiany" not in opened
    assert "Zmiany nie zostały zapisane" not in opened
    html = client.post(edit, data={"body": "Po terminie.", "action": "send",
                                   "csrf_token": form_token(client, edit)}).get_data(as_text=True)
    assert "Po terminie." in html and comments()[0].body == "Poprawiona wersja."


# --- notifications -------------------------------------------------------------------------

def test_a_reply_emails_the_author_and_followers_who_want_it(client, general, anna, jan, make_user, frozen_clock,
                                                            smtp_sink):
    ewa = make_user("ewa@ngo.example", name="Ewa")
    frozen_clock.set_local(IN_WINDOW)
    first = services.post_comment(anna, general, "Uwaga Anny.")
    frozen_clock.set_local("2020-09-20 12:01:00")
    services.post_comment(ewa, general, "Uwaga Ewy.")
    ewa.notify_subscriptions = False
    db.session.commit()
    frozen_clock.set_local("2020-09-20 12:02:00")
    login_as(client, jan)
    write(client, general, "Zgadzam się z Anną.", parent_id=str(first.id))
    [reply_mail] = smtp_sink.to(anna.email)
    assert reply_mail["Subject"] == "Nowa odpowiedź na Twoją uwagę"
    assert jan.display_name in reply_mail.get_content() and "Zgadzam się z Anną." in reply_mail.get_content()
    assert smtp_sink.to(ewa.email) == []  # follows the thread, but asked for no e-mails
    assert smtp_sink.to(jan.email) == []  # never about one's own comment


# --- queries -------------------------------------------------------------------------------

def bulk_comments(thread, author, count):
    """`count` comments in a realistic tree (a third are replies), written straight to the table."""
    now = clock.now_utc()
    for n in range(count):
        parent = None
        if n % 3 and n > 0:
            parent = db.session.get(Post, n - (n % 3) + 1 if n - (n % 3) + 1 <= n else n)
        post = Post(thread_id=thread.id, author_id=author.id, body=f"Uwaga {n}", body_html=f"<p>Uwaga {n}</p>",
                    state=PostState.APPROVED, created_at=now, depth=0)
        db.session.add(post)
        db.session.flush()
        if parent is not None and parent.depth < services.MAX_NESTING:
            post.parent_id, post.root_id, post.depth = parent.id, parent.root_id, parent.depth + 1
            post.path = f"{parent.path}.{post.id:09d}"
        else:
            post.root_id, post.path = post.id, f"{post.id:09d}"
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(comment_count=count))
    db.session.commit()


@pytest.mark.parametrize("size", [1, 100, 2000])
def test_a_thread_page_costs_the_same_few_queries_for_1_100_or_2000_comments(
        app, section_thread, anna, frozen_clock, count_queries, size):
    frozen_clock.set_local(IN_WINDOW)
    bulk_comments(section_thread, anna, size)
    client = app.test_client()
    login_as(client, anna)
    target = url(section_thread)
    with count_queries() as queries:
        response = client.get(target)
    assert response.status_code == 200
    assert queries.count <= 6, queries.statements
    html = response.get_data(as_text=True)
    assert html.count('class="comment-item"') >= min(size, services.ROOTS_PER_PAGE)
