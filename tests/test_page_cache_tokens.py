"""A comment can never make the shared page hand a reader's CSRF token to someone else.

A shared page is rendered with a placeholder where each reader's token goes. Were the
placeholder a fixed string, a comment quoting it (in a link to another site) would get every
reader's token written into the link.
"""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.forum.models import Post
from tests.conftest import form_token, login_as

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"
TOKEN_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
# Every public form a placeholder has had: the old fixed string, and the prefix of the new one.
PLACEHOLDERS = ("__wspolnie_csrf_token__", "csrf-placeholder-")


@pytest.fixture
def app_config():
    return {"PAGE_CACHE_SECONDS": 10}


def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


@pytest.fixture
def baited_comment(app, general, anna, frozen_clock):
    """Anna's comment quoting the placeholders in a link, as text and as an attribute."""
    frozen_clock.set_local(IN_WINDOW)
    author = app.test_client()
    login_as(author, anna)
    body = "\n\n".join(
        f"Zobaczcie [ten link](https://evil.example/?t={placeholder}) i `value=\"{placeholder}\"`."
        for placeholder in PLACEHOLDERS)
    response = author.post(thread_url(general), data={
        "body": body, "action": "send", "csrf_token": form_token(author, thread_url(general))})
    assert response.status_code == 302
    post = db.session.scalars(select(Post).where(Post.thread_id == general.id)).one()
    return post


def comment_html(page: str, post) -> str:
    match = re.search(rf'<article [^>]*id="{post.anchor}".*?</article>', page, re.S)
    assert match, "the comment is not on the page"
    return match.group(0)


def test_a_comment_quoting_the_placeholder_never_gets_the_readers_token(app, general, baited_comment):
    reader = app.test_client()
    pages = [reader.get(thread_url(general)).get_data(as_text=True) for _ in range(2)]  # rendered, then shared
    for page in pages:
        tokens = set(TOKEN_INPUT.findall(page))
        assert len(tokens) == 1, tokens  # the reader's own token, the same in every form
        token = tokens.pop()
        assert not token.startswith(PLACEHOLDERS)
        in_forms = len(re.findall(rf'name="csrf_token" (?:type="hidden" )?value="{re.escape(token)}"', page))
        assert in_forms >= 1 and page.count(token) == in_forms  # nowhere but in the forms
        comment = comment_html(page, baited_comment)
        assert token not in comment
        assert 'href="https://evil.example/?t=__wspolnie_csrf_token__"' in comment  # the text as written
    # The token in the shared page works: the header's language switch accepts it.
    response = reader.post("/jezyk", data={"lang": "en", "next": thread_url(general), "csrf_token": token})
    assert response.status_code == 302
    assert '<html lang="en">' in reader.get(thread_url(general)).get_data(as_text=True)


def test_another_reader_of_the_shared_page_gets_a_working_token_of_their_own(app, general, baited_comment):
    first, second = app.test_client(), app.test_client()
    first_page = first.get(thread_url(general)).get_data(as_text=True)
    second_page = second.get(thread_url(general)).get_data(as_text=True)  # from the cache
    first_token = TOKEN_INPUT.search(first_page).group(1)
    second_token = TOKEN_INPUT.search(second_page).group(1)
    assert first_token != second_token
    assert second_token not in comment_html(second_page, baited_comment)
    assert second.post("/jezyk", data={"lang": "en", "next": "/", "csrf_token": second_token}).status_code == 302
