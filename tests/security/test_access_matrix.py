"""Every route × every role: the status each kind of person gets.

A route added without a row here fails `test_every_route_has_a_row_in_the_matrix`, so access
is decided on purpose for each new page. POST routes are called with a valid CSRF token and an
empty form: what matters here is whether the person gets in, not what the form then says.
"""
import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.forum.models import Post, Thread, ThreadKind
from tests.conftest import form_token, login_as
from tests.factories import add_held_registration
from tests.security.routes import MATRIX, ROLES



def test_every_route_has_a_row_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert endpoints - MATRIX.keys() == set(), "decide who may use these routes: add them to MATRIX"
    assert MATRIX.keys() - endpoints == set(), "these rows name routes that no longer exist"


def test_every_post_route_refuses_a_request_without_a_csrf_token(app, torun, make_user):
    client = app.test_client()
    login_as(client, make_user("admin-csrf@example.org", role=Role.ADMIN))
    target = db.session.scalar(select(User).where(User.email == "ngo@example.org"))
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = MATRIX[rule.endpoint][1].format(**ids(target))
        # Refused either way: 400 (no token) or 403 (not even allowed to try); nothing is written.
        assert client.post(url, data={}).status_code in (400, 403), rule.endpoint


def ids(target_user) -> dict:
    """Values for the URL templates: the demo's NGO user and organisation, its meeting, a registration."""
    from portal.consultations.models import Document, Phase
    from portal.registrations.models import GroupRegistration, Meeting, MeetingRegistration, WorkingGroup

    return {"document_id": db.session.scalar(select(Document.id).order_by(Document.id)),
            "phase_id": db.session.scalar(select(Phase.id).order_by(Phase.id)),
            "group_id": db.session.scalar(select(WorkingGroup.id).order_by(WorkingGroup.id)),
            "user_id": target_user.id, "organisation_id": target_user.organisation_id,
            "meeting_id": db.session.scalar(select(Meeting.id)),
            "registration_id": db.session.scalar(select(GroupRegistration.id)),
            "meeting_registration_id": db.session.scalar(select(MeetingRegistration.id)),
            "thread_id": db.session.scalar(select(Thread.id)),
            "post_id": db.session.scalar(select(Post.id).where(Post.channel == "portal").order_by(Post.id)),
            "entry_id": db.session.scalar(select(Post.id).where(Post.channel != "portal"))}


@pytest.fixture(autouse=True)
def a_registration(torun):
    """One pending registration, so that staff routes about a registration have one to act on."""
    from portal import clock
    from portal.registrations.models import Meeting, MeetingRegistration, Status

    add_held_registration(torun)
    now = clock.now_utc()
    meeting = db.session.scalar(select(Meeting).where(Meeting.consultation_id == torun.id))
    db.session.add(MeetingRegistration(
        meeting_id=meeting.id, status=Status.PENDING, full_name="Osoba Spotkaniowa",
        email="spotkanie@ngo.example", organisation_name="Org", privacy_notice_version="2020-08",
        privacy_notice_accepted_at=now, created_at=now))
    thread = Thread(consultation_id=torun.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(thread)
    db.session.flush()
    author = db.session.scalar(select(User).where(User.email == "ngo@example.org"))
    post = Post(thread_id=thread.id, author_id=author.id, body="Uwaga", body_html="<p>Uwaga</p>",
                depth=0, created_at=now)
    db.session.add(post)
    db.session.flush()
    post.root_id, post.path = post.id, f"{post.id:09d}"
    letter = Post(thread_id=thread.id, author_id=None, channel="letter", submitter_name="Jan Kowalski",
                  body="Uwaga z listu", body_html="<p>Uwaga z listu</p>", depth=0, created_at=now)
    db.session.add(letter)
    db.session.flush()
    letter.root_id, letter.path = letter.id, f"{letter.id:09d}"
    db.session.commit()


@pytest.fixture
def people(torun, make_user):
    """One person per role (the demo seed brings the NGO user with an organisation)."""
    people = {
        "unverified": make_user("nowa@example.org", verified=False),
        "participant": make_user("uczestnik@example.org"),
        "moderator": make_user("moderatorka@example.org", role=Role.MODERATOR),
        "admin": make_user("administratorka@example.org", role=Role.ADMIN),
    }
    return people


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(app, people, role):
    target = db.session.scalar(select(User).where(User.email == "ngo@example.org"))
    failures = []
    for endpoint, (method, template, expected) in MATRIX.items():
        client = app.test_client()
        if role != "anonymous":
            login_as(client, people[role])
        url = template.format(**ids(target))
        if method == "GET":
            status = client.get(url).status_code
        else:
            status = client.post(url, data={"csrf_token": form_token(client, "/")}).status_code
        if status != expected[role]:
            failures.append(f"{method} {url} ({endpoint}): expected {expected[role]}, got {status}")
    assert failures == []
