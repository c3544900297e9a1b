"""The test harness every capability builds on.

- `app`: a fresh, empty database per test (SQLite file by default; PostgreSQL when
  TEST_DATABASE_URL is set, in a schema of its own made for this run and dropped after it).
- `frozen_clock`: sets the one "now" (portal.clock) in UTC or in Warsaw wall-clock time.
- `client`: Flask's test client with CSRF protection ON; `form_token()` reads the token from
  the page a person would have loaded.
- `login_as(client, user)`, `make_user(...)`, `count_queries()`.
- `commented`: a consultation after its window with a small draft and five comments to answer
  (`add_comment()` writes one straight into the database).
"""
from __future__ import annotations

import html as html_lib
import os
import re
import socket
import threading
import uuid
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import joinedload

from flask.globals import _cv_app
from flask.testing import FlaskCliRunner, FlaskClient

from portal import clock, create_app, page_versions
from portal.consultations import view_counter
from portal.extensions import cache, db, limiter
from tests.database import (
    empty_all_tables,
    end_the_tests_own_transaction,
    migrate,
    transaction_rolled_back_at_the_end,
)
from tests.factories import SMALL_DRAFT, add_comment

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
WARSAW = "Europe/Warsaw"


def listening_for_page_versions() -> dict:
    """Configuration in which workers listen for page versions (PostgreSQL's NOTIFY, portal.page_versions);
    the test is skipped, saying why, on SQLite."""
    if not _is_postgres():
        pytest.skip("listening for page versions needs PostgreSQL's NOTIFY (TEST_DATABASE_URL=postgresql+psycopg://...)")
    return {"PAGE_VERSION_LISTEN": True}


def _is_postgres() -> bool:
    return bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """A database built by the migrations, for this run (and this xdist worker) only."""
    if _is_postgres():
        schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in TEST_DATABASE_URL else "?"
        uri = f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={schema}')}"
        migrate(uri)
        yield uri
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        migrate(uri)
        yield uri


# --- One app per test configuration ----------------------------------------------------------


class CommandRunner(FlaskCliRunner):
    """Flask's CLI runner; a command runs in an app context (and a transaction) of its own."""

    def invoke(self, *args, **kwargs):
        end_the_tests_own_transaction()
        return super().invoke(*args, **kwargs)


class RequestIsolatedClient(FlaskClient):
    """Runs each request in an application context of its own, as a server would.

    The test keeps its own context (and database session) for setting up and checking data;
    a request never sees the test's `g`, logged-in user cache or identity map.
    """

    def open(self, *args, **kwargs):
        end_the_tests_own_transaction()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def app_config():
    """Override in a test module to change configuration for its tests."""
    return {}

class SmtpSink:
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.peers: list = []  # the client address of each message's connection

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        self.peers.append(session.peer)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def last_link(self, address: str) -> str:
        """The last link e-mailed to the address, as a person would click it."""
        body = self.to(address)[-1].get_content()
        return re.findall(r"https?://\S+", body)[-1]

    def clear(self) -> None:
        self.messages.clear()
        self.peers.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_server():
    """The port of a server on localhost that accepts connections and never says a word
    (an SMTP server or a database that hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(200)
    held, stop = [], threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # kept open, never read or written
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


@pytest.fixture(scope="session")
def _smtp_server():
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture
def smtp_sink(_smtp_server):
    sink, _port = _smtp_server
    sink.clear()
    return sink


def _base_config(database_uri: str, smtp_port: int) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": "localhost",
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        # A cheap hash: scrypt costs 0.1-0.2 s a password, and fixtures make over a thousand.
        # Production's method is asserted in test_accounts.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "VIEW_COUNT_FLUSH_SECONDS": 0,  # every view written at once; tests of batching set more
        "PAGE_CACHE_SECONDS": 0,  # every page rendered fresh; tests of the shared page cache set more
        "PAGE_VERSION_LISTEN": False,  # every reader read from the database; tests of listening turn it on
    }


LIMITER_STATE = "tests.limiter_state"


@pytest.fixture(scope="session")
def _app_for(database_uri, _smtp_server, tmp_path_factory):
    """`_app_for(overrides)`: the app for this configuration, built once per run and worker.

    Building an app compiles every template again on first use (0.04-0.14 s a test); a test
    changes the shared app only through `app.config`, which the `app` fixture restores.
    """
    _sink, smtp_port = _smtp_server
    built: dict[str, object] = {}

    def app_for(overrides: dict, own: bool = False):
        config = {**_base_config(database_uri, smtp_port), **overrides}
        key = repr(sorted(config.items()))
        if own or key not in built:
            app = create_app(config, instance_path=str(tmp_path_factory.mktemp("instance")))
            app.test_client_class = RequestIsolatedClient
            app.test_cli_runner_class = CommandRunner
            # Flask-Limiter is one object for every app, holding the storage of the last app it
            # was bound to: each app keeps its own (memory or Redis), put back when it is used.
            app.extensions[LIMITER_STATE] = (limiter._storage, limiter._limiter)
            if own:
                return app
            built[key] = app
        return built[key]

    yield app_for
    for app in built.values():
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(request, _app_for, app_config, tmp_path, _smtp_server):
    """The app for the test's configuration, in an app context, on an empty database.

    By default the test runs inside a transaction rolled back at its end. Markers:
    `commits` — its commits must be real (seen by a browser, threads, another process);
    `own_app` — it changes the app itself (adds a route, re-binds an extension): a new app.
    """
    sink, _port = _smtp_server
    sink.clear()
    own = request.node.get_closest_marker("own_app") is not None
    commits = request.node.get_closest_marker("commits") is not None
    app = _app_for(app_config, own=own)
    limiter._storage, limiter._limiter = app.extensions[LIMITER_STATE]
    config_before = app.config.copy()
    instance_before, app.instance_path = app.instance_path, str(tmp_path / "instance")
    try:
        with app.app_context():
            limiter.reset()  # no counts carry over between tests
            view_counter.reset()
            cache.clear()
            page_versions.reset(app)
            if commits:
                try:
                    yield app
                finally:
                    db.session.remove()
                    empty_all_tables()
            else:
                with transaction_rolled_back_at_the_end(db.engine):
                    try:
                        yield app
                    finally:
                        db.session.remove()
            if own:
                db.engine.dispose()
    finally:
        app.config.clear()
        app.config.update(config_before)
        app.instance_path = instance_before
        clock.reset()


@pytest.fixture
def client(app):
    return app.test_client()


class FrozenClock:
    def set(self, moment: datetime) -> None:
        clock.set(moment)

    def set_local(self, wall: str, tz: str = WARSAW) -> datetime:
        """Freeze at wall-clock time in the zone, e.g. "2020-09-30 23:59:59"."""
        moment = clock.from_local(datetime.fromisoformat(wall), tz)
        clock.set(moment)
        return moment


@pytest.fixture
def frozen_clock():
    yield FrozenClock()
    clock.reset()


CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def form_token(client, page_url: str) -> str:
    """The CSRF token from the form on a page, as a browser would have it."""
    response = client.get(page_url)
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page_url}"
    return match.group(1)


PASSWORD = "correct horse battery"  # every made user's password unless a test gives another


@pytest.fixture
def make_user(app):
    from portal.accounts.models import Role, User

    def make(email="person@example.org", role=Role.PARTICIPANT, verified=True, name=None,
             password=PASSWORD):
        user = User(email=email, display_name=name or email.split("@")[0], role=Role(role),
                    email_verified_at=clock.now_utc() if verified else None)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def visible_text(markup: str) -> str:
    """What a person reads on a page: the text without tags, scripts and styles, spaces folded."""
    markup = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", markup)
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def login_as(client, user) -> None:
    """Start a logged-in session for the user (the login form itself is tested on its own)."""
    # The current session version (an earlier logout may have raised it), from a fresh read.
    current = db.session.get(type(user), user.id, populate_existing=True)
    with client.session_transaction() as session:
        session["_user_id"] = current.get_id()
        session["_fresh"] = True


def signed_in(app, user):
    """A test client of its own, logged in as `user` (another person at another computer)."""
    client = app.test_client()
    login_as(client, user)
    return client


def log_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    """Log in through the login form, as a person would; returns the form's response."""
    url = "/logowanie" + (f"?next={next_url}" if next_url else "")
    data = {"email": email, "password": password, "csrf_token": form_token(client, url)}
    if next_url is not None:
        data["next"] = next_url
    return client.post(url, data=data)


# --- The people of the tests, defined once ---------------------------------------------------


@pytest.fixture
def anna(make_user):
    """A participant writing for a verified NGO."""
    from portal.accounts.models import Organisation

    user = make_user("anna@ngo.example", name="Anna Nowak")
    user.organisation = Organisation(name="Fundacja Rowerowa „Łańcuch”", verified_at=clock.now_utc())
    db.session.commit()
    return user


@pytest.fixture
def jan(make_user):
    """A participant writing as a private person."""
    return make_user("jan@example.org", name="Jan Kowalski")


@pytest.fixture
def moderator(make_user):
    from portal.accounts.models import Role

    return make_user("moderator@urzad.example", role=Role.MODERATOR, name="Marek Moderator")


@pytest.fixture
def second_moderator(make_user):
    from portal.accounts.models import Role

    return make_user("piotr@urzad.example", role=Role.MODERATOR, name="Piotr Moderator")


@pytest.fixture
def admin(make_user):
    from portal.accounts.models import Role

    return make_user("admin@urzad.example", role=Role.ADMIN, name="Ewa Administratorka")


@pytest.fixture
def admin_client(client, admin):
    """The test client, signed in as `admin`."""
    login_as(client, admin)
    return client


@pytest.fixture
def moderator_client(client, moderator):
    """The test client, signed in as `moderator`."""
    login_as(client, moderator)
    return client


# Not queries: the savepoints every session of a test opens inside the test's transaction (and
# those a service opens itself), like the BEGIN and COMMIT the driver sends without a cursor.
TRANSACTION_CONTROL = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN)\b", re.I)


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as q: ...` then `q.count` / `q.statements`."""
    @contextmanager
    def counting():
        counter = QueryCounter()
        db.session.remove()  # start from an empty identity map, as a new request would

        def record(conn, cursor, statement, parameters, context, executemany):
            if not TRANSACTION_CONTROL.match(statement):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def torun(app):
    """The Toruń 2021 consultation with its original 2020 dates (see portal/demo.py).

    Without the demo draft, and without pre-moderation (comments appear at once): tests of
    moderation switch it on themselves.
    """
    from portal import demo
    from portal.consultations.models import ModerationMode
    from portal.consultations.services import load_announcement

    demo.seed(original_dates=True, password=None, draft=False, moderation=ModerationMode.NONE)
    db.session.commit()
    return load_announcement(demo.SLUG).consultation


@pytest.fixture
def general(torun):
    """The "Uwagi ogólne" thread of `torun`."""
    from portal.forum.models import Thread, ThreadKind

    thread = Thread(consultation_id=torun.id, kind=ThreadKind.GENERAL, title="Uwagi ogólne")
    db.session.add(thread)
    db.session.commit()
    return thread


@pytest.fixture
def section_thread(torun):
    """§ 6 of a draft of `torun`, "Formy współpracy", with paragraphs 1-3, and its thread."""
    from portal.forum.models import DraftParagraph, DraftSection, Thread, ThreadKind

    section = DraftSection(consultation_id=torun.id, number=6, title="Formy współpracy")
    section.paragraphs = [DraftParagraph(number=n, text=f"Ustęp {n}.", html=f"<p>Ustęp {n}.</p>") for n in (1, 2, 3)]
    db.session.add(section)
    db.session.flush()
    thread = Thread(consultation_id=torun.id, kind=ThreadKind.SECTION, section_id=section.id, title=section.title)
    db.session.add(thread)
    db.session.commit()
    return thread


@dataclass
class CommentedConsultation:
    """The `commented` fixture: the Toruń consultation with a small draft and comments to answer."""

    consultation: object
    general: object          # the "Uwagi ogólne" thread
    sections: dict           # section number -> its thread
    anna: object             # Fundacja Rowerowa (verified organisation)
    jan: object              # a private person
    moderator: object
    admin: object
    comments: list           # approved top-level comments, in report order
    pending: object          # a comment still waiting for moderation (not in the report)
    reply: object            # an approved reply (not in the report: replies are not numbered)


@pytest.fixture
def commented(torun, general, anna, jan, moderator, admin, frozen_clock):
    """Toruń 2020 after the electronic consultation: a 3-section draft and five approved comments.

    Report order: 1 general (Jan, private), 2 § 1 (Anna for her foundation), 3–4 § 2 (Anna, Jan),
    5 § 3 (Anna for her foundation). The clock stands at 5 October 2020, 12:00 (window closed).
    """
    from datetime import timedelta

    from portal.forum import drafts
    from portal.forum.models import PostState, Thread, ThreadKind

    frozen_clock.set_local("2020-09-18 10:00:00")
    drafts.publish(torun, SMALL_DRAFT, actor=admin)
    sections = {thread.section.number: thread for thread in db.session.scalars(
        select(Thread).where(Thread.consultation_id == torun.id, Thread.kind == ThreadKind.SECTION)
        .options(joinedload(Thread.section)))}

    def step():
        frozen_clock.set(clock.now_utc() + timedelta(minutes=5))

    org = anna.organisation
    written = []
    for thread, author, organisation, body in (
            (sections[2], anna, org, "Prosimy o **dłuższe** terminy składania ofert."),
            (general, jan, None, "Program powinien mówić więcej o wolontariacie."),
            (sections[1], anna, org, "Zdefiniujcie „organizację” szerzej."),
            (sections[3], anna, org, "Kwota 10 mln zł jest za niska — proponujemy 12 mln zł."),
            (sections[2], jan, None, "=SUM(A1:A9) — konsultacje także na żywo, nie tylko online.")):
        step()
        written.append(add_comment(thread, author, body, organisation=organisation))
    step()
    pending = add_comment(general, jan, "Czekam na moderację.", state=PostState.PENDING)
    reply = add_comment(sections[2], jan, "Popieram.", parent=written[0])
    for thread in (general, *sections.values()):
        thread.comment_count = 2
    db.session.commit()
    frozen_clock.set_local("2020-10-05 12:00:00")
    report_order = [written[1], written[2], written[0], written[4], written[3]]
    return CommentedConsultation(consultation=torun, general=general, sections=sections, anna=anna, jan=jan,
                                 moderator=moderator, admin=admin, comments=report_order,
                                 pending=pending, reply=reply)
