"""Signed-in participants share pages rendered once (portal.page_cache), and see exactly their own page.

The shared page is rendered for a stand-in participant and filled in for each reader: their
comments' links, the follow button, the "on behalf of" box, their id and CSRF token. The tests
compare, reader by reader, the filled-in page with the page rendered for that person alone,
and show that a change — a comment, an edit, a moderator's decision, an answer, a language
switch, a followed thread — is on the shared page at once (the page version, portal.page_versions).

Every test runs twice: with the page version read from the database with each reader, and
with the worker listening for new versions (PostgreSQL), remembering its readers while it knows
of no change (as in production).
"""
import re

import pytest
from sqlalchemy import select

from portal import clock, page_versions
from portal.consultations.models import Consultation
from portal.extensions import db
from portal.forum.models import Post, Subscription
from tests.conftest import form_token, login_as, listening_for_page_versions
from tests.factories import add_comment

SLUG = "program-wspolpracy-2021"
TOKEN_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')
IN_WINDOW = "2020-09-20 12:00:00"
VIEWS = re.compile(r"[\d\xa0 ]+(?= odsłon)")


@pytest.fixture(params=["version read", "version listened for"])
def app_config(request):
    config = {"PAGE_CACHE_SECONDS": 10}
    return config if request.param == "version read" else config | listening_for_page_versions()


def listening(app) -> bool:
    return app.config["PAGE_VERSION_LISTEN"]


def thread_url(commented, number=2):
    return f"/konsultacje/{SLUG}/forum/watek/{commented.sections[number].id}"


def client_of(app, user):
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    return client


def without_tokens(html: str) -> str:
    """The page without what differs by design: CSRF tokens, and views counted since it was rendered."""
    return VIEWS.sub("N", TOKEN_VALUE.sub(r"\1TOKEN\2", html))


def fresh(app, client, url) -> str:
    """The page rendered for this reader alone (sharing off)."""
    app.config["PAGE_CACHE_SECONDS"] = 0
    try:
        return client.get(url).get_data(as_text=True)
    finally:
        app.config["PAGE_CACHE_SECONDS"] = 10


@pytest.fixture
def readers(commented, make_user):
    """Anna (her comments, her foundation), Jan (his comment and a reply; one waiting in the general
    thread), Ola (follows § 2, no comments), Piotr (nothing at all)."""
    ola = make_user("ola@example.org", name="Ola Wiśniewska")
    piotr = make_user("piotr@example.org", name="Piotr Zieliński")
    db.session.add(Subscription(user_id=ola.id, thread_id=commented.sections[2].id))
    db.session.commit()
    return {"anna": commented.anna, "jan": commented.jan, "ola": ola, "piotr": piotr}


@pytest.mark.parametrize("when", ["after the window", "in the window"])
@pytest.mark.parametrize("page", ["thread", "general thread", "announcement", "forum", "whole draft", "home"])
def test_each_reader_sees_on_the_shared_page_exactly_their_own_page(app, commented, readers, frozen_clock, when,
                                                                    page):
    if when == "in the window":
        frozen_clock.set_local(IN_WINDOW)
    url = {"thread": thread_url(commented), "general thread": f"/konsultacje/{SLUG}/forum/watek/{commented.general.id}",
           "announcement": f"/konsultacje/{SLUG}", "forum": f"/konsultacje/{SLUG}/forum",
           "whole draft": f"/konsultacje/{SLUG}/projekt-dokumentu", "home": "/"}[page]
    order = ["piotr", "anna", "ola", "jan"]  # whoever comes first renders the page everybody shares
    clients = {name: client_of(app, readers[name]) for name in order}
    shared = {name: clients[name].get(url).get_data(as_text=True) for name in order}
    for name in order:
        own = fresh(app, clients[name], url)
        assert without_tokens(shared[name]) == without_tokens(own), f"{name}'s page differs from their own"
        assert "slot:" not in shared[name] and "csrf-placeholder" not in shared[name]
    if page == "thread":
        anna = shared["anna"]
        assert 'data-draft-owner="%s"' % readers["anna"].id in anna
        assert "Fundacja" in anna or readers["anna"].organisation.name in anna  # her "on behalf of" box
        assert "Przestań obserwować wątek" in shared["ola"] and "Przestań obserwować wątek" not in shared["piotr"]
        if when == "in the window":
            assert shared["anna"].count(">Edytuj</a>") == 1 and ">Edytuj</a>" not in shared["piotr"]


def test_a_shared_page_costs_a_participant_one_query(app, commented, readers, count_queries):
    url, announcement = thread_url(commented), f"/konsultacje/{SLUG}"
    first, client = client_of(app, readers["piotr"]), client_of(app, readers["ola"])
    first.get(url)  # rendered once, for everybody
    first.get(announcement)
    with count_queries() as queries:
        html = client.get(url).get_data(as_text=True)
    assert "Prosimy o <strong>dłuższe</strong> terminy" in html
    assert queries.count == 1  # the account, the page version and the reader's state of the thread, together
    with count_queries() as queries:
        client.get(announcement)
    assert queries.count <= 2  # the account with the page version (and the batched view count, now and then)
    forum = f"/konsultacje/{SLUG}/forum"
    first.get(forum)
    with count_queries() as queries:
        assert client.get(forum).status_code == 200
    # the account, with the page version; listening, her account as the announcement read it
    assert queries.count == (0 if listening(app) else 1)


def test_listening_a_worker_serves_a_participant_who_comes_back_without_the_database(app, commented, readers,
                                                                                  count_queries):
    """Listening, a worker knows that nothing changed since a reader's last page: that reader's
    pages cost no query. Reading the version, each costs one."""
    url, forum, ola_id = thread_url(commented), f"/konsultacje/{SLUG}/forum", readers["ola"].id
    section, piotr_id = commented.sections[2], readers["piotr"].id
    ola, piotr = client_of(app, readers["ola"]), client_of(app, readers["piotr"])
    for page in (url, forum):
        piotr.get(page)  # the shared pages
        ola.get(page)
    with count_queries() as queries:
        for _ in range(3):
            thread, listing = ola.get(url).get_data(as_text=True), ola.get(forum).get_data(as_text=True)
    assert queries.count == (0 if listening(app) else 6)
    assert "Przestań obserwować wątek" in thread and f'data-draft-owner="{ola_id}"' in listing
    add_comment(db.session.merge(section), db.session.get(type(readers["ola"]), piotr_id), "Uwaga z innego serwera.")
    db.session.commit()  # in this process: it knows at once (another's: test_page_version_listening)
    with count_queries() as queries:
        assert "Uwaga z innego serwera." in ola.get(url).get_data(as_text=True)
    assert queries.count >= 1


def test_staff_and_a_reader_with_a_comment_waiting_get_a_page_of_their_own(app, commented, readers, count_queries):
    url = f"/konsultacje/{SLUG}/forum/watek/{commented.general.id}"
    client_of(app, readers["piotr"]).get(url)
    jan = client_of(app, readers["jan"])
    assert "Czekam na moderację." in jan.get(url).get_data(as_text=True)  # his own, waiting
    assert "Czekam na moderację." not in client_of(app, readers["ola"]).get(url).get_data(as_text=True)
    moderator = client_of(app, commented.moderator)
    html = moderator.get(url).get_data(as_text=True)
    assert "Czekam na moderację." in html and "Narzędzia moderatora" in html


@pytest.mark.parametrize("change", ["session ended", "blocked", "erased", "unverified", "made a moderator"])
def test_an_account_changed_elsewhere_gets_its_new_page_at_once(app, commented, readers, frozen_clock, change):
    """The reader is read from the database on every request, or remembered only while the page
    version stays: a block, the end of every session (log out everywhere), an erasure or a new
    role counts from the next page."""
    frozen_clock.set_local(IN_WINDOW)
    url = thread_url(commented)
    piotr, ola = client_of(app, readers["piotr"]), client_of(app, readers["ola"])
    piotr.get(url)  # the shared page exists
    assert "Przestań obserwować wątek" in ola.get(url).get_data(as_text=True)
    user = db.session.get(type(readers["ola"]), readers["ola"].id)
    if change == "session ended":
        user.session_version += 1
    elif change == "blocked":
        user.blocked_at = clock.now_utc()
    elif change == "erased":
        user.deleted_at = clock.now_utc()
    elif change == "unverified":
        user.email_verified_at = None
    else:
        user.role = "moderator"
    db.session.commit()
    shared = ola.get(url).get_data(as_text=True)
    assert without_tokens(shared) == without_tokens(fresh(app, ola, url))
    assert "Przestań obserwować wątek" not in shared or change in ("blocked", "unverified", "made a moderator")
    if change in ("session ended", "erased"):
        assert "Zaloguj się" in shared and readers["ola"].display_name not in shared
    if change == "made a moderator":
        assert "Narzędzia moderatora" in shared


def test_a_new_comment_and_a_reply_are_on_the_shared_page_at_once(app, commented, readers):
    url = thread_url(commented)
    ola = client_of(app, readers["ola"])
    ola.get(url)
    add_comment(commented.sections[2], readers["piotr"], "Świeża uwaga Piotra.")
    db.session.commit()
    assert "Świeża uwaga Piotra." in ola.get(url).get_data(as_text=True)


def test_an_edit_by_its_author_is_on_the_shared_page_at_once(app, commented, readers, frozen_clock):
    frozen_clock.set_local(IN_WINDOW)
    url = thread_url(commented)
    ola = client_of(app, readers["ola"])
    assert "Prosimy o <strong>dłuższe</strong> terminy" in ola.get(url).get_data(as_text=True)
    post = db.session.scalar(select(Post).where(Post.body.like("Prosimy o%")))
    anna = client_of(app, readers["anna"])
    edit_url = f"/forum/uwagi/{post.id}/edycja"
    response = anna.post(edit_url, data={"body": "Prosimy o terminy 30-dniowe.", "action": "send",
                                         "csrf_token": form_token(anna, edit_url)})
    assert response.status_code in (302, 303)
    html = ola.get(url).get_data(as_text=True)
    assert "Prosimy o terminy 30-dniowe." in html and "dłuższe</strong>" not in html
    assert "Prosimy o terminy 30-dniowe." in anna.get(url).get_data(as_text=True)


def test_a_moderators_decision_is_on_the_shared_page_at_once(app, commented, readers):
    url = thread_url(commented)
    ola = client_of(app, readers["ola"])
    assert "konsultacje także na żywo" in ola.get(url).get_data(as_text=True)
    post = db.session.scalar(select(Post).where(Post.body.like("=SUM%")))
    from portal.moderation import services as moderation

    moderation.hide(commented.moderator, post, post.version, "Nie na temat.")
    db.session.commit()
    html = ola.get(url).get_data(as_text=True)
    assert "konsultacje także na żywo" not in html and "Uwaga ukryta przez moderatora" in html


def test_an_office_answer_is_on_the_shared_page_at_once(app, commented, readers):
    from portal.reports import answers, publishing
    from portal.reports.models import Decision

    url = thread_url(commented)
    ola = client_of(app, readers["ola"])
    consultation_id = commented.consultation.id
    answers.answer_comments(commented.moderator, consultation_id, commented.comments, Decision.ACCEPTED,
                            "Uwzględniono.")
    publishing.publish(commented.consultation, commented.admin, "Podsumowanie konsultacji.")
    db.session.commit()
    assert "Uwzględniono." in ola.get(url).get_data(as_text=True)
    anna_s = db.session.scalar(select(Post).where(Post.body.like("Prosimy o%")))
    answers.answer_comments(commented.moderator, consultation_id, [anna_s], Decision.NOT_ACCEPTED,
                            "Nie uwzględniono: terminy wynikają z ustawy.")
    db.session.commit()
    assert "terminy wynikają z ustawy" in ola.get(url).get_data(as_text=True)


def test_following_a_thread_or_not_is_on_the_readers_next_page(app, commented, readers):
    url = thread_url(commented)
    ola, piotr = client_of(app, readers["ola"]), client_of(app, readers["piotr"])
    piotr.get(url)
    assert "Przestań obserwować wątek" in ola.get(url).get_data(as_text=True)
    ola.get(url)  # remembered, where the worker listens
    follow_url = f"/forum/watek/{commented.sections[2].id}/obserwuj"
    for follow, button in (("0", "Obserwuj wątek"), ("1", "Przestań obserwować wątek")):
        response = ola.post(follow_url, data={"follow": follow, "csrf_token": form_token(ola, url)})
        assert response.status_code in (302, 303)
        assert "obserwujesz" in ola.get(url).get_data(as_text=True).lower()  # the message, on a page of her own
        html = ola.get(url).get_data(as_text=True)  # the shared page again
        assert f">{button}</button>" in html
        assert without_tokens(html) == without_tokens(fresh(app, ola, url))


def test_a_language_switch_gives_the_shared_page_in_that_language(app, commented, readers):
    url = thread_url(commented)
    ola = client_of(app, readers["ola"])
    assert '<html lang="pl">' in ola.get(url).get_data(as_text=True)
    ola.post("/jezyk", data={"lang": "en", "next": url, "csrf_token": form_token(ola, "/")})
    html = ola.get(url).get_data(as_text=True)
    assert '<html lang="en">' in html and "Stop following thread" in html and "Uwagi (" not in html


def test_the_page_version_goes_up_with_what_pages_show_and_not_with_views(app, commented, readers):
    from portal.consultations import view_counter
    from portal.moderation import services as moderation

    before = page_versions.read()
    post = add_comment(commented.sections[2], readers["piotr"], "Jedna.")
    db.session.commit()
    assert page_versions.read() == before + 1
    add_comment(commented.sections[2], readers["piotr"], "Wycofana.")
    db.session.rollback()
    assert page_versions.read() == before + 1
    moderation.hide(commented.moderator, post, post.version, "Test.")  # a bulk UPDATE of the comment
    db.session.commit()
    assert page_versions.read() == before + 2
    views = db.session.scalar(select(Consultation.view_count))
    view_counter.record_many(commented.consultation.id, 5)
    view_counter.flush()
    db.session.commit()
    assert db.session.scalar(select(Consultation.view_count)) == views + 5
    assert page_versions.read() == before + 2


def test_a_savepoint_rolled_back_keeps_the_changes_made_before_it(app, commented, readers):
    """A part of a transaction undone (begin_nested: a duplicate caught, say) leaves what was
    written before it, and that still raises the page version when the transaction commits."""
    before = page_versions.read()
    add_comment(commented.sections[2], readers["piotr"], "Przed punktem zapisu.")
    db.session.flush()
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            raise RuntimeError("the inner part fails")
    db.session.commit()
    assert page_versions.read() == before + 1
    assert "Przed punktem zapisu." in client_of(app, readers["ola"]).get(thread_url(commented)).get_data(as_text=True)
