"""Anonymous readers share a page rendered at most PAGE_CACHE_SECONDS ago; staff never do
(participants share theirs under the page version: test_shared_pages_for_participants.py),
and no one's CSRF token or messages ever reach another person."""
import re

import pytest
from sqlalchemy import select

from portal.consultations.models import Consultation
from portal.extensions import db
from tests.conftest import form_token, login_as
from tests.factories import add_comment

SLUG = "program-wspolpracy-2021"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_SECONDS": 10}


@pytest.fixture
def thread_url(commented):
    return f"/konsultacje/{SLUG}/forum/watek/{commented.sections[2].id}"


def test_anonymous_readers_get_the_shared_page_without_a_query(app, commented, thread_url, count_queries):
    app.test_client().get(thread_url)  # the first reader renders it
    with count_queries() as queries:
        response = app.test_client().get(thread_url)
    assert response.status_code == 200 and "Prosimy o <strong>dłuższe</strong> terminy" in response.get_data(as_text=True)
    assert queries.count == 0


def test_a_new_comment_reaches_anonymous_readers_once_the_page_is_older_than_the_limit(
        app, commented, thread_url, frozen_clock):
    reader = app.test_client()
    reader.get(thread_url)
    add_comment(commented.sections[2], commented.jan, "Świeża uwaga.")
    db.session.commit()
    assert "Świeża uwaga." not in reader.get(thread_url).get_data(as_text=True)  # the shared page, ≤ 10 s old
    from portal.extensions import cache
    cache.clear()  # what 10 seconds do
    assert "Świeża uwaga." in reader.get(thread_url).get_data(as_text=True)


def test_each_reader_gets_their_own_csrf_token_and_it_works(app, commented, thread_url):
    first, second = app.test_client(), app.test_client()
    token_1 = TOKEN.search(first.get(thread_url).get_data(as_text=True)).group(1)
    token_2 = TOKEN.search(second.get(thread_url).get_data(as_text=True)).group(1)
    assert token_1 != token_2 and "__wspolnie_csrf_token__" not in token_2
    # The second reader's language switch works with the token on their (shared) page.
    response = second.post("/jezyk", data={"lang": "en", "next": thread_url, "csrf_token": token_2})
    assert response.status_code == 302
    assert '<html lang="en">' in second.get(thread_url).get_data(as_text=True)
    assert first.post("/jezyk", data={"lang": "en", "next": "/", "csrf_token": token_2}).status_code == 400


def test_languages_are_cached_apart(app, commented, thread_url):
    polish = app.test_client()
    polish.get(thread_url)
    english = app.test_client()
    english.post("/jezyk", data={"lang": "en", "next": "/", "csrf_token": form_token(english, "/")})
    html = english.get(thread_url).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_staff_never_get_the_shared_page(app, commented, thread_url, count_queries):
    app.test_client().get(thread_url)
    client = app.test_client()
    login_as(client, commented.moderator)
    with count_queries() as queries:
        html = client.get(thread_url).get_data(as_text=True)
    assert queries.count > 2 and "Narzędzia moderatora" in html and "Wyloguj" in html


def test_a_reader_with_a_message_waiting_gets_a_page_of_their_own(app, commented, thread_url):
    app.test_client().get(thread_url)  # shared page in the cache
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Wiadomość dla tej osoby.")]
    assert "Wiadomość dla tej osoby." in client.get(thread_url).get_data(as_text=True)
    assert "Wiadomość dla tej osoby." not in app.test_client().get(thread_url).get_data(as_text=True)


def test_every_announcement_view_is_still_counted(app, torun):
    url = f"/konsultacje/{SLUG}"
    before = torun.view_count
    for _ in range(3):  # three browsers: the first renders, two get the shared page
        assert app.test_client().get(url, headers={"User-Agent": "Mozilla/5.0"}).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Consultation.view_count)) == before + 3


def test_a_draft_is_never_shared(app, torun, make_user):
    torun.status = "draft"
    db.session.commit()
    staff = app.test_client()
    login_as(staff, make_user("admin@urzad.example", role="admin"))
    assert staff.get(f"/konsultacje/{SLUG}").status_code == 200  # the staff preview
    assert app.test_client().get(f"/konsultacje/{SLUG}").status_code == 404
