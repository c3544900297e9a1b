"""The consultation search at scale (issue 20): the totals are plain counts of what the index
finds and each list's page a LIMITed query apart from them, so a page costs the same few queries
however many comments match; the result pages are shared by anonymous readers (up to
PAGE_CACHE_SECONDS old) and by participants with no comment others don't find."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import inspect

from portal import clock
from portal.extensions import cache, db
from portal.forum import drafts
from portal.forum.models import PostState
from tests.conftest import login_as
from tests.factories import add_comment
from tests.test_forum_feeds import SEARCH, found_ids, results_count, search
from tests.test_polish_search import DRAFT
from tests.test_shared_pages_for_participants import fresh, without_tokens

EARLIER_PAGES = "Uwagi są na wcześniejszych stronach wyników."
DRAFT_EARLIER = "Fragmenty projektu są na wcześniejszych stronach wyników."


@pytest.fixture
def write(general, frozen_clock):
    """`write(author, count, body)`: comments a minute apart ("{n}" in the body is its number)."""
    frozen_clock.set_local("2020-09-20 12:00:00")
    thread = SimpleNamespace(id=general.id)

    def writing(author, count: int, body: str = "Edukacja numer {n}.", state=None):
        by = SimpleNamespace(id=inspect(author).identity[0])  # the test's objects may be detached by now
        posts = []
        for n in range(count):
            clock.set(clock.now_utc() + timedelta(minutes=1))
            posts.append(add_comment(thread, by, body.format(n=n), state=state))
        db.session.commit()
        return posts

    return writing


@pytest.fixture
def draft(torun, admin, frozen_clock):
    """The published draft: "edukacja" is in one paragraph (Rozdział 1 ust. 2)."""
    frozen_clock.set_local("2020-09-18 10:00:00")
    drafts.publish(torun, DRAFT, actor=admin)
    db.session.commit()


@pytest.fixture
def shared(app):
    app.config["PAGE_CACHE_SECONDS"] = 10
    return app


def queries_of(client, count_queries, url: str) -> int:
    client.get(url)  # warm up: the stemmer's tables are read once per process
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


# --- the same queries however many match ----------------------------------------------------------

def test_a_search_page_runs_the_same_few_queries_at_60_and_at_400_matching_comments(
        app, draft, write, jan, moderator, count_queries):
    urls = [f"{SEARCH}?q=edukacji", f"{SEARCH}?q=edukacji&strona=2", f"{SEARCH}?q=edukacji&strona=50"]

    participant = app.test_client()
    login_as(participant, jan)

    def counts() -> list[int]:
        return [queries_of(client, count_queries, url) for client in (app.test_client(), participant) for url in urls]

    write(moderator, 60)
    small = counts()
    write(moderator, 340)
    large = counts()
    assert small == large, (small, large)
    # Anonymous: consultation, both totals, the draft's page (page 1 only: one paragraph), the
    # comments' page; past the end, the totals alone. A participant: their account too.
    assert large == [4, 3, 2, 5, 4, 3], large


# --- paging ------------------------------------------------------------------------------------------

def test_every_page_and_one_past_the_end_give_the_same_totals(client, draft, write, moderator):
    posts = write(moderator, 50)
    newest_first = [post.id for post in reversed(posts)]

    pages = [search(client, "edukacja", strona=n) for n in (1, 2, 3, 4)]

    assert [results_count(page) for page in pages] == [50] * 4
    assert all('<h2 id="wyniki">Wyniki: 51</h2>' in page for page in pages)  # and the draft's paragraph
    assert all('W projekcie dokumentu: 1</h3>' in page for page in pages)
    assert [found_ids(page) for page in pages[:3]] == [newest_first[:20], newest_first[20:40], newest_first[40:]]
    assert "Rozdział 1 ust. 2" in pages[0] and all(DRAFT_EARLIER in page for page in pages[1:])
    assert found_ids(pages[3]) == [] and EARLIER_PAGES in pages[3]
    assert 'start="41"' in pages[2]
    assert f'href="{SEARCH}?q=edukacja&amp;strona=3"' in pages[1]  # the pager: three pages
    assert "strona=4" not in pages[2]


def test_comments_written_at_the_same_moment_are_paged_newest_id_first_without_gaps_or_repeats(
        client, general, moderator, frozen_clock):
    frozen_clock.set_local("2020-09-20 12:00:00")
    posts = [add_comment(general, moderator, f"Edukacja numer {n}.") for n in range(30)]
    db.session.commit()

    ids = found_ids(search(client, "edukacja")) + found_ids(search(client, "edukacja", strona=2))
    assert ids == sorted((post.id for post in posts), reverse=True)


def test_the_totals_count_exactly_the_comments_each_reader_finds(app, client, write, anna, jan, moderator):
    write(anna, 3)
    write(jan, 2, state=PostState.PENDING)
    write(jan, 1, state=PostState.REJECTED)
    write(anna, 4, state=PostState.HIDDEN)

    def counted(reader_client):
        page = search(reader_client, "edukacja")
        return results_count(page), len(found_ids(page))

    def signed_in(user):
        reader = app.test_client()
        login_as(reader, user)
        return reader

    assert counted(client) == (3, 3)
    assert counted(signed_in(jan)) == (6, 6)        # his waiting and rejected ones too
    assert counted(signed_in(anna)) == (3, 3)       # her hidden ones are not found by their text
    assert counted(signed_in(moderator)) == (10, 10)


# --- shared pages ------------------------------------------------------------------------------------

def test_an_anonymous_readers_search_page_comes_from_the_cache_without_a_query(shared, write, anna, count_queries):
    write(anna, 3)
    url = f"{SEARCH}?q=edukacja"
    shared.test_client().get(url)  # the first reader renders it
    with count_queries() as queries:
        response = shared.test_client().get(url)
    assert response.status_code == 200 and results_count(response.get_data(as_text=True)) == 3
    assert queries.count == 0
    with count_queries() as queries:  # another query string is another page
        assert results_count(search(shared.test_client(), "edukacja", strona=2)) == 3
    assert queries.count > 0


def test_a_newly_approved_comment_reaches_anonymous_readers_once_the_page_is_older_than_the_limit(
        shared, write, anna, jan):
    write(anna, 2)
    waiting, = write(jan, 1, body="Edukacja — uwaga czeka na moderatora.", state=PostState.PENDING)
    reader = shared.test_client()
    assert waiting.id not in found_ids(search(reader, "edukacja"))
    waiting.state = PostState.APPROVED
    db.session.commit()

    assert waiting.id not in found_ids(search(reader, "edukacja"))  # the shared page, ≤ 10 s old
    cache.clear()  # what 10 seconds do
    page = search(reader, "edukacja")
    assert waiting.id in found_ids(page) and results_count(page) == 3


def test_a_participant_shares_the_search_page_and_sees_a_new_comment_at_once(shared, write, anna, jan, make_user,
                                                                           count_queries):
    write(anna, 2)
    ola = make_user("ola@example.org", name="Ola Zielińska")
    url = f"{SEARCH}?q=edukacja"
    reader = shared.test_client()
    login_as(reader, ola)
    first = reader.get(url).get_data(as_text=True)
    assert without_tokens(first) == without_tokens(fresh(shared, reader, url))
    with count_queries() as queries:
        assert reader.get(url).status_code == 200
    assert queries.count == 1  # the account, the page version and "a comment others don't find?", together

    newer, = write(anna, 1)  # the page version goes up: the shared page is rendered anew
    assert found_ids(search(reader, "edukacja"))[0] == newer.id


def test_a_participant_with_a_comment_others_dont_find_gets_a_page_of_their_own(shared, write, anna, jan):
    write(anna, 2)
    waiting, = write(jan, 1, state=PostState.PENDING)
    author = shared.test_client()
    login_as(author, jan)
    others = shared.test_client()
    login_as(others, anna)

    own = search(author, "edukacja")
    assert waiting.id in found_ids(own) and "czeka na zatwierdzenie" in own
    assert waiting.id not in found_ids(search(others, "edukacja"))
    assert waiting.id not in found_ids(search(shared.test_client(), "edukacja"))
    assert waiting.id in found_ids(search(author, "edukacja"))
