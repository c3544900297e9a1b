"""Searching a consultation's comments, its Atom feed and its open data (JSON)."""
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.models import User
from portal.accounts.services import erase_personal_data
from portal.consultations.models import Consultation, Status
from portal.extensions import db
from portal.forum import services
from portal.forum.models import Post, PostState, Thread, ThreadKind
from tests.conftest import login_as

SLUG = "program-wspolpracy-2021"
FORUM = f"/konsultacje/{SLUG}/forum"
SEARCH = f"{FORUM}/szukaj"
ATOM = f"{FORUM}/atom.xml"
THREADS_JSON = f"/api/konsultacje/{SLUG}/forum.json"
NS = {"a": "http://www.w3.org/2005/Atom"}
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Forum:
    """A thread in the demo consultation (conftest's `general`) and a way to write into it, a minute apart."""

    def __init__(self, thread: Thread, frozen_clock):
        self.thread = thread
        self.thread_id = thread.id
        frozen_clock.set_local("2020-09-20 12:00:00")

    def write(self, user: User, body: str, *, parent: Post | None = None, thread: Thread | None = None,
              on_behalf: bool = False) -> Post:
        clock.set(clock.now_utc() + timedelta(minutes=1))
        thread = thread or db.session.get(Thread, self.thread_id)  # the test's session may have been renewed
        post = services.post_comment(user, thread, body, parent=parent, on_behalf=on_behalf)
        db.session.commit()
        return post


@pytest.fixture
def forum(general, frozen_clock):
    return Forum(general, frozen_clock)


def set_state(post: Post, state: PostState) -> None:
    post.state = state
    db.session.commit()


def search(client, q: str, **params) -> str:
    response = client.get(SEARCH, query_string={"q": q, **params})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def found_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/forum/uwagi/(\d+)"', page)]


def results_count(page: str) -> int:
    return int(re.search(r"<h3 id=\"wyniki-uwagi\">W uwagach: ([\d\s\xa0]+)</h3>", page).group(1).replace("\xa0", ""))


# --- search -----------------------------------------------------------------------------------

def test_a_polish_word_finds_comments_whatever_the_case_of_its_letters(client, forum, anna, jan):
    cooperation = forum.write(anna, "Współpraca z organizacjami powinna być stała.")
    nursery = forum.write(jan, "ŻŁOBEK przy ulicy Łódzkiej jest za mały.")
    forum.write(anna, "Zupełnie inny temat.")

    assert found_ids(search(client, "współpraca")) == [cooperation.id]
    assert found_ids(search(client, "żłobek łódzkiej")) == [nursery.id]
    assert results_count(search(client, "WSPÓŁPRACA")) == 1


def test_every_word_of_the_query_has_to_be_in_the_comment(client, forum, anna, jan):
    forum.write(anna, "Współpraca z organizacjami pozarządowymi.")
    with_towns = forum.write(jan, "Współpraca z sąsiednimi gminami.")

    page = search(client, "współpraca gminami")
    assert found_ids(page) == [with_towns.id]
    assert results_count(page) == 1
    assert results_count(search(client, "współpraca")) == 2


def test_percent_and_underscore_in_the_query_are_plain_characters(client, forum, anna, jan):
    forum.write(anna, "abc")
    certain = forum.write(jan, "Jestem 100% pewna, że warto.")

    assert found_ids(search(client, "a_c")) == []
    assert found_ids(search(client, "%%")) == []
    assert found_ids(search(client, "__")) == []
    assert found_ids(search(client, "100%")) == [certain.id]


def test_others_do_not_find_pending_rejected_or_hidden_comments_but_the_author_finds_their_pending_one(
        app, client, forum, anna, jan, moderator):
    approved = forum.write(anna, "Budżet obywatelski: zatwierdzona.")
    pending = forum.write(jan, "Budżet obywatelski: czeka.")
    rejected = forum.write(jan, "Budżet obywatelski: odrzucona.")
    hidden = forum.write(jan, "Budżet obywatelski: ukryta.")
    set_state(pending, PostState.PENDING)
    set_state(rejected, PostState.REJECTED)
    set_state(hidden, PostState.HIDDEN)

    assert found_ids(search(client, "budżet")) == [approved.id]

    other = app.test_client()
    login_as(other, anna)
    assert found_ids(search(other, "budżet")) == [approved.id]

    author = app.test_client()
    login_as(author, jan)
    page = search(author, "budżet")
    # Newest first; the author's own hidden comment is still not matched by its text.
    assert found_ids(page) == [rejected.id, pending.id, approved.id]
    assert "czeka na zatwierdzenie" in page

    staff = app.test_client()
    login_as(staff, moderator)
    assert set(found_ids(search(staff, "budżet"))) == {approved.id, pending.id, rejected.id, hidden.id}


def test_a_result_shows_the_thread_the_author_and_the_date_and_links_to_the_comment(client, forum, anna):
    post = forum.write(anna, "Proponuję **dłuższe** konsultacje.")

    page = search(client, "dłuższe")
    assert "Uwagi ogólne" in page and anna.display_name in page
    assert "20 września 2020 r., godz. 12:01" in page  # Warsaw time
    assert "<mark>dłuższe</mark>" in page and "**" not in page
    response = client.get(f"/forum/uwagi/{post.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/forum/watek/{forum.thread.id}#k-{post.id}")


def test_a_comment_of_a_deleted_account_is_signed_konto_usuniete(client, forum, anna):
    forum.write(anna, "Uwaga do usunięcia konta.")
    name = anna.display_name  # before the erasure replaces it
    erase_personal_data(anna)
    db.session.commit()

    page = search(client, "usunięcia")
    assert "Konto usunięte" in page and name not in page


def test_snippets_are_escaped_and_the_words_still_highlighted(client, forum, anna):
    forum.write(anna, 'Czy <script>alert("x")</script> przejdzie? A & B <b>pogrubienie</b>')

    page = search(client, "przejdzie pogrubienie")
    assert results_count(page) == 1
    assert "<script>alert" not in page and "<b>pogrubienie" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "&amp; B" in page
    assert "<mark>przejdzie</mark>" in page and "<mark>pogrubienie</mark>" in page


def test_the_query_is_shown_back_escaped(client, forum):
    page = search(client, '"><script>x</script>')
    assert "<script>x" not in page
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in page


def test_a_long_comment_is_cut_around_the_first_match(client, forum, anna):
    forum.write(anna, "Wstęp " * 100 + "kluczowe zdanie na końcu.")

    snippet = re.search(r'class="search-result__snippet"[^>]*>(.*?)</p>', search(client, "kluczowe")).group(1)
    assert snippet.startswith("… ") and "<mark>kluczowe</mark>" in snippet
    assert len(unescape(re.sub("<[^>]+>", "", snippet))) <= 210


def test_an_empty_query_shows_the_form_and_a_one_letter_query_asks_for_more(client, forum, anna):
    forum.write(anna, "a b c")

    empty = search(client, "")
    assert 'role="search"' in empty and '<label class="field__label" for="q">' in empty
    assert "Wyniki:" not in empty

    short = search(client, "a")
    assert "Wyniki:" not in short
    assert "Wpisz co najmniej 2 znaki." in short and 'aria-invalid="true"' in short


def test_search_stays_inside_the_consultation(client, forum, anna, moderator):
    other = Consultation(slug="inna", title="Inna konsultacja", status=Status.PUBLISHED)
    db.session.add(other)
    db.session.commit()
    elsewhere = Thread(consultation_id=other.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(elsewhere)
    db.session.commit()
    forum.write(moderator, "Kanalizacja w innej gminie.", thread=elsewhere)
    here = forum.write(anna, "Kanalizacja u nas.")

    assert found_ids(search(client, "kanalizacja")) == [here.id]


def test_results_come_twenty_to_a_page(client, forum, moderator):
    # By the moderator: staff are not held by the interval.
    posts = [forum.write(moderator, f"Odpowiedź urzędu numer {n}.") for n in range(25)]

    first = search(client, "urzędu")
    assert results_count(first) == 25
    assert found_ids(first) == [post.id for post in reversed(posts[5:])]
    assert f'href="{SEARCH}?q=urz%C4%99du&amp;strona=2"' in first
    second = search(client, "urzędu", strona=2)
    assert found_ids(second) == [post.id for post in reversed(posts[:5])]
    assert 'start="21"' in second
    assert results_count(search(client, "urzędu", strona=9)) == 25


# --- Atom -------------------------------------------------------------------------------------

def parse_feed(response) -> ET.Element:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.data)


def test_the_atom_feed_lists_approved_comments_newest_first(client, forum, anna, jan):
    first = forum.write(anna, "Pierwsza uwaga z <b>znacznikiem</b> i **pogrubieniem**.")
    second = forum.write(jan, "Druga uwaga.")
    for state in (PostState.PENDING, PostState.REJECTED, PostState.HIDDEN):
        set_state(forum.write(jan, f"Niewidoczna: {state}."), state)

    feed = parse_feed(client.get(ATOM))
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.find("a:id", NS).text == f"http://localhost{FORUM}"
    assert "Program współpracy" in feed.find("a:title", NS).text
    assert feed.find("a:link[@rel='self']", NS).get("href") == f"http://localhost{ATOM}"
    assert feed.find("a:link[@rel='alternate']", NS).get("href") == f"http://localhost{FORUM}"
    assert RFC3339_UTC.match(feed.find("a:updated", NS).text)

    entries = feed.findall("a:entry", NS)
    assert [e.find("a:id", NS).text for e in entries] == [
        f"http://localhost/forum/uwagi/{second.id}", f"http://localhost/forum/uwagi/{first.id}"]
    entry = entries[1]
    assert entry.find("a:title", NS).text == "Uwaga w wątku „Uwagi ogólne”"
    assert entry.find("a:author/a:name", NS).text == anna.display_name
    assert entry.find("a:published", NS).text == "2020-09-20T10:01:00Z"  # 12:01 in Warsaw (CEST)
    assert entry.find("a:updated", NS).text == "2020-09-20T10:01:00Z"
    content = entry.find("a:content", NS)
    assert content.get("type") == "html"
    # The sanitised HTML, carried as text: the user's own tag stays text, Markdown became markup.
    assert content.text == first.body_html
    assert "<strong>pogrubieniem</strong>" in content.text and "&lt;b&gt;" in content.text
    assert feed.find("a:updated", NS).text == "2020-09-20T10:02:00Z"


def test_the_atom_feed_keeps_the_latest_fifty(client, forum, moderator):
    posts = [forum.write(moderator, f"Uwaga {n}.") for n in range(52)]

    entries = parse_feed(client.get(ATOM)).findall("a:entry", NS)
    assert len(entries) == 50
    assert entries[0].find("a:id", NS).text.endswith(f"/forum/uwagi/{posts[-1].id}")
    assert entries[-1].find("a:id", NS).text.endswith(f"/forum/uwagi/{posts[2].id}")


def test_the_atom_feed_of_an_empty_forum_is_valid(client, torun):
    feed = parse_feed(client.get(ATOM))
    assert feed.findall("a:entry", NS) == []
    assert RFC3339_UTC.match(feed.find("a:updated", NS).text)


# --- open data (JSON) -------------------------------------------------------------------------

def test_the_threads_json_lists_the_consultations_threads(client, forum, anna):
    forum.write(anna, "Uwaga.")

    response = client.get(THREADS_JSON)
    assert response.status_code == 200 and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = response.get_json()
    assert data["consultation"]["slug"] == SLUG
    assert data["threads"] == [{
        "id": forum.thread.id, "kind": "general", "title": "Uwagi ogólne", "section_number": None,
        "comment_count": 1, "last_activity_at": "2020-09-20T10:01:00Z", "locked": False,
        "url": f"http://localhost{FORUM}/watek/{forum.thread.id}",
    }]
    assert "@" not in response.get_data(as_text=True)


def test_the_thread_json_has_approved_comments_in_tree_order_and_no_personal_data(client, forum, anna, jan):
    ngo = db.session.scalar(select(User).where(User.email == "ngo@example.org"))
    first = forum.write(anna, "Pierwsza uwaga.")
    second = forum.write(jan, "Druga uwaga, e-mail: nie-podam.")
    reply = forum.write(jan, "Odpowiedź na pierwszą.", parent=first)
    on_behalf = forum.write(ngo, "W imieniu fundacji.", parent=reply, on_behalf=True)
    pending = forum.write(jan, "Czeka na moderację.", parent=first)
    set_state(pending, PostState.PENDING)
    set_state(forum.write(anna, "Ukryta."), PostState.HIDDEN)
    erase_personal_data(jan)
    db.session.commit()

    response = client.get(f"/api/konsultacje/{SLUG}/forum/watki/{forum.thread.id}.json")
    assert response.status_code == 200
    data = response.get_json()
    assert data["thread"]["id"] == forum.thread.id
    comments = data["comments"]
    assert [(c["id"], c["parent_id"], c["depth"]) for c in comments] == [
        (first.id, None, 0), (reply.id, first.id, 1), (on_behalf.id, reply.id, 2), (second.id, None, 0)]
    assert [c["author"] for c in comments] == [anna.display_name, "Konto usunięte", ngo.display_name,
                                               "Konto usunięte"]
    assert comments[2]["organisation"] == "Fundacja Przykładowa (demo)"
    assert comments[2]["organisation_verified"] is True
    assert comments[0] == {
        "id": first.id, "parent_id": None, "depth": 0, "author": anna.display_name, "organisation": None,
        "organisation_verified": False, "official": False,
        "created_at": "2020-09-20T10:01:00Z", "edited_at": None, "paragraph_number": None,
        "body": "Pierwsza uwaga.", "body_html": "<p>Pierwsza uwaga.</p>\n",
        "url": f"http://localhost/forum/uwagi/{first.id}",
    }
    text = response.get_data(as_text=True)
    assert not any(piece in text for piece in ("example.org", "ngo.example", "@", "invalid")), "an address leaked"


def test_a_thread_of_another_consultation_is_not_found(client, forum):
    response = client.get(f"/api/konsultacje/inna/forum/watki/{forum.thread.id}.json")
    assert response.status_code == 404


@pytest.fixture
def draft_thread(moderator, frozen_clock):
    draft = Consultation(slug="projekt", title="Projekt w przygotowaniu", status=Status.DRAFT)
    db.session.add(draft)
    db.session.commit()
    thread = Thread(consultation_id=draft.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(thread)
    db.session.commit()
    services.post_comment(moderator, thread, "Wersja robocza.")
    db.session.commit()
    return thread


@pytest.mark.parametrize("who", ["anonymous", "participant", "moderator"])
def test_a_draft_consultations_forum_is_seen_by_staff_only(app, draft_thread, jan, moderator, who):
    client = app.test_client()
    if who == "participant":
        login_as(client, jan)
    elif who == "moderator":
        login_as(client, moderator)
    expected = 200 if who == "moderator" else 404
    for url in ("/api/konsultacje/projekt/forum.json",
                f"/api/konsultacje/projekt/forum/watki/{draft_thread.id}.json",
                "/konsultacje/projekt/forum/atom.xml",
                "/konsultacje/projekt/forum/szukaj?q=wersja"):
        assert client.get(url).status_code == expected, url


# --- query counts -----------------------------------------------------------------------------

def write_many(forum: Forum, author: User, count: int) -> None:
    """Comments with replies (every third answers the one before), all containing "uwaga"; one commit."""
    thread, previous = db.session.get(Thread, forum.thread_id), None
    for n in range(count):
        clock.set(clock.now_utc() + timedelta(minutes=1))
        previous = services.post_comment(author, thread, f"Uwaga numer {n}.",
                                         parent=previous if n % 3 == 2 else None)
    db.session.commit()


@pytest.mark.parametrize("who", ["anonymous", "participant"])
def test_feeds_and_open_data_run_a_constant_number_of_queries(app, forum, moderator, jan, count_queries, who):
    staff_email, reader_email = moderator.email, jan.email  # read now: the sessions below are new
    urls = [THREADS_JSON, f"/api/konsultacje/{SLUG}/forum/watki/{forum.thread_id}.json", ATOM,
            f"{SEARCH}?q=uwaga+numer"]

    def user(email: str) -> User:  # counting starts each time from a new session
        return db.session.scalar(select(User).where(User.email == email))

    def queries() -> list[int]:
        counts = []
        for url in urls:
            client = app.test_client()
            if who == "participant":
                login_as(client, user(reader_email))
            client.get(url)  # warm up: per-process caches (e.g. the stemmer's tables)
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts.append(counter.count)
        return counts

    write_many(forum, user(staff_email), 10)
    small = queries()
    write_many(forum, user(staff_email), 290)
    large = queries()
    assert small == large
    assert all(count <= 4 for count in large), dict(zip(urls, large))
