"""A button is shown exactly when its POST would be accepted (issue 18, portal/permissions.py).

For each action — edit, report, reply, a new comment, each moderator's decision on a comment,
an answer in the report workspace, the back office's pages — and for each person (anonymous,
unverified, blocked, the comment's author, another participant, a moderator, an admin) and each state
that matters (pending / approved / rejected / hidden comment; window open or closed; thread
locked), the test looks at the page as that person sees it, then sends the action's POST with a
valid CSRF token of that person's session and checks in the database whether it was accepted.
"""
from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal import clock
from portal.extensions import db
from portal.forum.models import Post, PostState
from portal.moderation.models import Flag
from portal.reports.models import AnsweredComment
from tests.conftest import form_token, login_as
from tests.factories import SLUG, add_comment

ROLES = ("anonymous", "unverified", "blocked", "author", "other", "moderator", "admin")
STATES = ("pending", "approved", "rejected", "hidden")
# Two more the moderators meet: a published comment whose author's new text waits, and one hidden by reports.
MODERATION_STATES = (*STATES, "proposed", "flagged")
SITUATIONS = ("open", "closed", "locked")
MODERATION = {  # action -> (route's last segment, the form's own fields)
    "approve": ("zatwierdz", {}),
    "reject": ("odrzuc", {"reason": "spam", "note": ""}),
    "hide": ("ukryj", {"public_reason": "Narusza zasady dyskusji."}),
    "unhide": ("pokaz", {}),
}


@pytest.fixture
def people(anna, jan, moderator, admin, make_user):
    blocked = make_user("zablokowany@example.org", name="Osoba Zablokowana")
    blocked.blocked_at, blocked.block_reason = clock.now_utc(), "Obraźliwe wpisy."  # no end: until lifted
    db.session.commit()
    return {"anonymous": None, "unverified": make_user("nowa@example.org", verified=False, name="Nowa Osoba"),
            "blocked": blocked, "author": anna, "other": jan, "moderator": moderator, "admin": admin}


@pytest.fixture
def comment_in(torun, general, people, frozen_clock):
    """Anna's comment in "Uwagi ogólne", written on 18 September 2020 (window open), in a state;
    the clock then moves to the situation: inside the window, after it, or inside it on a locked thread."""
    def make(state: str, situation: str = "open") -> Post:
        frozen_clock.set_local("2020-09-18 10:00:00")
        stored = {"proposed": "approved", "flagged": "hidden"}.get(state, state)
        post = add_comment(general, people["author"], "Proszę wydłużyć terminy.", state=PostState(stored))
        if stored in ("rejected", "hidden"):
            post.moderation_reason = "spam lub reklama"
        if state == "proposed":
            post.proposed_body = post.proposed_body_html = "Proszę wydłużyć terminy o tydzień."
            post.proposed_at = clock.now_utc()
        if state == "flagged":
            post.hidden_by_flags = True
        frozen_clock.set_local("2020-10-05 12:00:00" if situation == "closed" else "2020-09-20 12:00:00")
        if situation == "locked":
            general.locked_at = clock.now_utc()
        db.session.commit()
        return post

    return make


def thread_url(thread) -> str:
    return f"/konsultacje/{SLUG}/forum/watek/{thread.id}"


def as_person(client, people, role):
    if people[role] is not None:
        login_as(client, people[role])
    return client


def token(client, page: str) -> str:
    """A valid CSRF token of this session: from the page if it has a form, else from the login form."""
    try:
        return form_token(client, page)
    except AssertionError:
        return form_token(client, "/logowanie")


def page_html(client, url: str) -> str:
    response = client.get(url)
    return response.get_data(as_text=True) if response.status_code == 200 else ""


def reloaded(post: Post) -> Post:
    db.session.expire_all()
    return db.session.get(Post, post.id)


def agree(shown: bool, accepted: bool, what: str) -> None:
    assert shown == accepted, (f"{what}: the button is {'shown' if shown else 'not shown'} "
                               f"but the POST was {'accepted' if accepted else 'refused'}")


# --- the forum --------------------------------------------------------------------------------

@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("state", (*STATES, "proposed"))
@pytest.mark.parametrize("role", ROLES)
def test_edit_button_agrees_with_the_edit(client, people, comment_in, general, role, state, situation):
    post = comment_in(state, situation)
    client = as_person(client, people, role)
    shown = f'href="/forum/uwagi/{post.id}/edycja"' in page_html(client, thread_url(general))
    client.post(f"/forum/uwagi/{post.id}/edycja", data={
        "csrf_token": token(client, thread_url(general)), "body": "Proszę wydłużyć terminy do 30 dni.",
        "action": "send"})
    after = reloaded(post)
    accepted = "30 dni" in (after.body + (after.proposed_body or ""))
    agree(shown, accepted, f"edit as {role}, {state} comment, {situation}")


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_reply_link_agrees_with_the_reply(client, people, comment_in, general, role, state, situation):
    post = comment_in(state, situation)
    client = as_person(client, people, role)
    shown = f'href="?odpowiedz={post.id}#formularz"' in page_html(client, thread_url(general))
    client.post(thread_url(general), data={
        "csrf_token": token(client, thread_url(general)), "body": "Popieram tę uwagę w całości.",
        "parent_id": str(post.id), "paragraph": "", "action": "send"})
    db.session.expire_all()
    accepted = db.session.scalar(select(func.count(Post.id)).where(Post.parent_id == post.id)) == 1
    agree(shown, accepted, f"reply as {role}, {state} comment, {situation}")


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_send_button_agrees_with_a_new_comment(client, people, comment_in, general, role, situation):
    comment_in("approved", situation)
    client = as_person(client, people, role)
    shown = 'name="action" value="send"' in page_html(client, thread_url(general))
    client.post(thread_url(general), data={
        "csrf_token": token(client, thread_url(general)), "body": "Nowa uwaga do całego programu.",
        "parent_id": "", "paragraph": "", "action": "send"})
    db.session.expire_all()
    accepted = db.session.scalar(select(func.count(Post.id)).where(Post.body == "Nowa uwaga do całego programu.")) == 1
    agree(shown, accepted, f"new comment as {role}, {situation}")


@pytest.mark.parametrize("situation", ("open", "closed"))
@pytest.mark.parametrize("role", ROLES)
def test_new_thread_link_agrees_with_opening_a_thread(client, people, comment_in, role, situation):
    comment_in("approved", situation)
    client = as_person(client, people, role)
    new_thread = f"/konsultacje/{SLUG}/forum/nowy-watek"
    shown = f'href="{new_thread}"' in page_html(client, f"/konsultacje/{SLUG}/forum")
    client.post(new_thread, data={"csrf_token": token(client, new_thread), "title": "Rowery w programie",
                                  "body": "Proszę dopisać wsparcie dla turystyki rowerowej.", "action": "send"})
    db.session.expire_all()
    accepted = db.session.scalar(select(func.count(Post.id)).where(Post.body.startswith("Proszę dopisać"))) == 1
    agree(shown, accepted, f"new thread as {role}, {situation}")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_report_link_agrees_with_the_report(client, people, comment_in, general, role, state):
    post = comment_in(state)
    client = as_person(client, people, role)
    shown = f'href="/forum/uwagi/{post.id}/zglos"' in page_html(client, thread_url(general))
    client.post(f"/forum/uwagi/{post.id}/zglos", data={
        "csrf_token": token(client, thread_url(general)), "reason": "spam", "note": ""})
    db.session.expire_all()
    accepted = db.session.scalar(select(func.count(Flag.id)).where(Flag.post_id == post.id)) == 1
    agree(shown, accepted, f"report as {role}, {state} comment")


@pytest.mark.parametrize("action", MODERATION)
@pytest.mark.parametrize("state", MODERATION_STATES)
@pytest.mark.parametrize("role", ROLES)
def test_moderation_forms_agree_with_the_decisions(client, people, comment_in, general, role, state, action):
    post = comment_in(state)
    version = post.version
    segment, fields = MODERATION[action]
    target = f"/moderacja/uwagi/{post.id}/{segment}"
    client = as_person(client, people, role)
    shown = f'action="{target}"' in page_html(client, thread_url(general))
    client.post(target, data={"csrf_token": token(client, thread_url(general)), "version": str(version),
                              "next": thread_url(general), **fields})
    accepted = reloaded(post).version != version
    agree(shown, accepted, f"{action} as {role}, {state} comment")


def test_a_moderator_sees_no_edit_or_report_of_a_comment_they_may_not_change(client, people, comment_in, general):
    """The story of the issue: an author's rejected comment shows no "Edytuj", and its edit is refused."""
    post = comment_in("rejected")
    client = as_person(client, people, "author")
    html = page_html(client, thread_url(general))
    assert "odrzucona" in html and f"/forum/uwagi/{post.id}/edycja" not in html
    response = client.get(f"/forum/uwagi/{post.id}/edycja")
    assert "nie można edytować" in response.get_data(as_text=True)
    assert 'value="send"' not in response.get_data(as_text=True)


# --- the report workspace and the back office -------------------------------------------------

WORKSPACE_ROLES = ("anonymous", "unverified", "other", "moderator", "admin")


@pytest.mark.parametrize("role", WORKSPACE_ROLES)
def test_answer_forms_agree_with_answering(app, client, commented, make_user, role):
    people = {"anonymous": None, "unverified": make_user("nowa@example.org", verified=False),
              "other": commented.jan, "moderator": commented.moderator, "admin": commented.admin}
    first = commented.comments[0]
    workspace = f"/zespol/konsultacje/{SLUG}/odpowiedzi"
    client = as_person(client, people, role)
    html = page_html(client, workspace)
    shown = f'action="{workspace}/{first.id}' in html
    client.post(f"{workspace}/{first.id}", data={
        "csrf_token": token(client, thread_url(commented.general)), "decision": "accepted",
        "justification": "Terminy zostaną wydłużone."})
    db.session.expire_all()
    accepted = db.session.scalar(select(AnsweredComment.answer_id).where(AnsweredComment.post_id == first.id)) is not None
    agree(shown, accepted, f"answer as {role}")


BACK_OFFICE = ("staff.edit_consultation", "staff.phases", "documents.manage", "staff_groups.groups",
               "staff_groups.meetings", "forum_staff.publish_draft", "moderation_settings.edit",
               "registrations_staff.overview", "offline_comments.entries", "report_workspace.workspace",
               "final_document.manage", "reports.manage")


@pytest.mark.parametrize("role", ("anonymous", "unverified", "other", "moderator", "admin"))
def test_back_office_menu_agrees_with_the_pages(app, client, torun, people, role):
    with app.test_request_context():
        urls = {endpoint: url_for(endpoint, slug=torun.slug) for endpoint in BACK_OFFICE}
    client = as_person(client, people, role)
    menu = page_html(client, urls["report_workspace.workspace"])
    nav = menu[menu.find('class="staff-nav"'):] if 'class="staff-nav"' in menu else ""
    nav = nav[:nav.find("</nav>")]
    for endpoint, url in urls.items():
        shown = f'href="{url}"' in nav
        agree(shown, client.get(url).status_code == 200, f"{endpoint} as {role}")


@pytest.mark.parametrize("role", ("anonymous", "unverified", "other", "moderator", "admin"))
def test_header_links_agree_with_the_pages(app, client, torun, people, role):
    with app.test_request_context():
        pages = [url_for("moderation.queue"), url_for("staff.consultations"), url_for("admin_users.list_users")]
    client = as_person(client, people, role)
    header = page_html(client, "/")
    header = header[:header.find("<main")]
    for url in pages:
        shown = re.search(f'href="{re.escape(url)}"', header) is not None
        agree(shown, client.get(url).status_code == 200, f"{url} as {role}")


@pytest.mark.parametrize("role", ("moderator", "admin"))
def test_every_back_office_page_of_a_consultation_has_the_one_menu_marking_itself(app, client, torun, people,
                                                                                   role):
    # The staff pages of one consultation live in six packages; staff move between them by one menu.
    with app.test_request_context():
        urls = {endpoint: url_for(endpoint, slug=torun.slug) for endpoint in BACK_OFFICE}
    client = as_person(client, people, role)
    for endpoint, url in urls.items():
        response = client.get(url)
        if response.status_code == 403:
            continue  # a settings page a moderator may not open (the menu doesn't list it either)
        html = response.get_data(as_text=True)
        assert 'class="staff-nav"' in html, endpoint
        nav = html[html.find('class="staff-nav"'):]
        nav = nav[:nav.find("</nav>")]
        assert f'<a href="{url}" aria-current="page">' in nav, endpoint
