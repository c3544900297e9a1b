"""Workers listen for new page versions (portal.page_versions.Listener) and remember their readers.

What participants see after each kind of change while a worker listens is in
test_shared_pages_for_participants.py (every test there runs both ways, the change made in the
worker's own process). Here: a change committed elsewhere — another worker — reaches a worker
through PostgreSQL's notification; its author sees it at once from any worker; a lost
connection makes the worker ask the database until it listens again; and what makes remembering
a reader safe at all: every table a reader's query reads raises the version.
"""
import contextlib
import ctypes
import logging
import os
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.sql.util import find_tables

from portal import create_app, page_cache, page_versions
from portal.extensions import db
from portal.forum.models import Post
from tests.conftest import RequestIsolatedClient, form_token, listening_for_page_versions, login_as

SLUG = "program-wspolpracy-2021"
IN_WINDOW = "2020-09-20 12:00:00"
NOTIFIED_WITHIN = 2.0  # seconds; what a reader remembers is read again after PAGE_CACHE_SECONDS anyway


@pytest.fixture
def app_config():
    # A minute: a change shown within NOTIFIED_WITHIN was announced, not found when a row aged out.
    return {"PAGE_CACHE_SECONDS": 60} | listening_for_page_versions()


def listener(app) -> page_versions.Listener:
    return app.extensions["wspolnie.page_version_listener"]


@pytest.fixture
def other_worker(app):
    """A second app on the same database: another gunicorn worker (or server), listening as well."""
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "SERVER_NAME", "PASSWORD_HASH_METHOD",
            "PAGE_CACHE_SECONDS", "PAGE_VERSION_LISTEN", "MAIL_TRANSPORT", "MAIL_SERVER", "MAIL_PORT",
            "VIEW_COUNT_FLUSH_SECONDS")
    other = create_app({key: app.config[key] for key in keys})
    other.test_client_class = RequestIsolatedClient
    yield other
    connection = listener(other)._connection
    if connection is not None:
        connection.close()
    with other.app_context():
        db.engine.dispose()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def first_shown(client, url: str, wanted: str) -> float | None:
    """Seconds until `wanted` is on the page (asked every 10 ms), None if not within NOTIFIED_WITHIN."""
    started = time.monotonic()
    while time.monotonic() - started < NOTIFIED_WITHIN:
        if wanted in page(client, url):
            return time.monotonic() - started
        time.sleep(0.01)
    return None


@pytest.mark.commits  # notifications come only with real commits
def test_a_change_made_in_another_worker_reaches_this_ones_readers_and_its_author_at_once(
        app, other_worker, commented, make_user, frozen_clock, count_queries, monkeypatch):
    frozen_clock.set_local(IN_WINDOW)
    url = f"/konsultacje/{SLUG}/forum/watek/{commented.sections[2].id}"
    post_id = db.session.scalar(select(Post.id).where(Post.body.like("Prosimy o%")))
    ola = app.test_client()
    login_as(ola, make_user("ola@example.org", name="Ola Wiśniewska"))
    anna_here, anna_there = app.test_client(), other_worker.test_client()
    login_as(anna_here, commented.anna)
    login_as(anna_there, commented.anna)
    for reader in (ola, anna_here):
        page(reader, url)
        page(reader, url)
    with count_queries() as queries:
        assert "Prosimy o <strong>dłuższe</strong> terminy" in page(ola, url)
    assert queries.count == 0  # remembered: this worker knows of no change

    # This worker has not heard of the next change yet (as within the moment before the notification arrives).
    monkeypatch.setattr(page_versions.Listener, "listening", lambda self: True)
    edit_url = f"/forum/uwagi/{post_id}/edycja"
    response = anna_there.post(edit_url, data={"body": "Prosimy o terminy 30-dniowe.", "action": "send",
                                               "csrf_token": form_token(anna_there, edit_url)})
    assert response.status_code in (302, 303)
    anna_there.get(response.headers["Location"], follow_redirects=True)  # her message, shown once
    with anna_there.session_transaction() as browser:
        assert "_flashes" not in browser  # so her next pages may be shared ones
    assert "Prosimy o terminy 30-dniowe." not in page(ola, url)  # nobody told this worker yet
    anna_here.set_cookie(*_session_cookie(anna_there))  # her browser, answered by this worker now
    assert "Prosimy o terminy 30-dniowe." in page(anna_here, url)  # her own change: always
    monkeypatch.undo()

    # Her second change: this worker hears of it from PostgreSQL, and Ola's next pages show it.
    page(ola, url)
    response = anna_there.post(edit_url, data={"body": "Prosimy o terminy 45-dniowe.", "action": "send",
                                               "csrf_token": form_token(anna_there, edit_url)})
    assert response.status_code in (302, 303)
    waited = first_shown(ola, url, "Prosimy o terminy 45-dniowe.")
    assert waited is not None, f"not on Ola's page within {NOTIFIED_WITHIN} s of PostgreSQL's notification"


def _session_cookie(client) -> tuple[str, str]:
    cookie = client.get_cookie("session", domain="localhost")
    return cookie.key, cookie.value


@pytest.mark.commits
def test_a_change_announced_by_the_database_itself_is_heard(app, commented, make_user, count_queries):
    """Whatever raises the version is announced (the trigger): here an administrator's psql."""
    url, general_id = f"/konsultacje/{SLUG}/forum", commented.general.id
    ola = app.test_client()
    login_as(ola, make_user("ola@example.org", name="Ola Wiśniewska"))
    page(ola, url)
    page(ola, url)
    with db.engine.connect() as psql:
        psql.execute(text("SELECT pg_notify('wspolnie_page_version', current_schema() || ' nie-wersja')"))
        psql.commit()  # not a version: ignored, the worker goes on listening
        page(ola, url)
        with count_queries() as queries:
            page(ola, url)
        assert queries.count == 0
        psql.execute(text("UPDATE thread SET title = 'Wątek po poprawce' WHERE id = :id"), {"id": general_id})
        psql.execute(text("UPDATE page_version SET version = version + 1"))
        psql.commit()
    assert first_shown(ola, url, "Wątek po poprawce") is not None


@pytest.mark.commits
def test_a_lost_connection_leaves_the_database_to_answer_until_the_worker_listens_again(
        app, commented, make_user, count_queries, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="portal.page_versions")
    url, general_id = f"/konsultacje/{SLUG}/forum", commented.general.id
    ola = app.test_client()
    login_as(ola, make_user("ola@example.org", name="Ola Wiśniewska"))
    page(ola, url)
    page(ola, url)
    listening = listener(app)
    backend = listening._connection.info.backend_pid
    _end_listening_then_rename(backend, general_id, "Zmiana bez zawiadomienia")
    with count_queries() as queries:
        html = page(ola, url)
    assert "Zmiana bez zawiadomienia" in html
    assert queries.count >= 1 and "stopped listening" in caplog.text
    with count_queries() as queries:
        page(ola, url)
    assert queries.count >= 1  # not listening (a retry waits RETRY_SECONDS): every reader read
    monkeypatch.setattr(page_versions.Listener, "RETRY_SECONDS", 0.0)
    listening._retry_at = 0.0
    page(ola, url)  # listens again, reads her, remembers her
    with count_queries() as queries:
        page(ola, url)
    assert queries.count == 0 and listening._connection.info.backend_pid != backend


@pytest.mark.commits
def test_a_connection_the_server_ended_is_lost_before_its_socket_closes(app, commented, make_user):
    """PostgreSQL stops a terminated backend listening, and drops it from pg_stat_activity, before
    its socket closes: a change committed in between is announced to nobody (the CI run of stop
    28 lost the test above to that moment). The backend's socket, held open here, makes the
    moment last; the server's last words (a FATAL error) are what tell the worker."""
    url, general_id = f"/konsultacje/{SLUG}/forum", commented.general.id
    ola = app.test_client()
    login_as(ola, make_user("ola@example.org", name="Ola Wiśniewska"))
    page(ola, url)
    page(ola, url)
    backend = listener(app)._connection.info.backend_pid
    with _socket_held_open(backend):
        _end_listening_then_rename(backend, general_id, "Zmiana w chwili rozłączenia")
        assert listener(app)._connection.pgconn.status == 0  # still open, as far as the socket says
        assert "Zmiana w chwili rozłączenia" in page(ola, url)


def _end_listening_then_rename(backend_pid: int, thread_id: int, title: str) -> None:
    """An administrator ends the listening connection and, once PostgreSQL has let it go (it is
    gone from pg_stat_activity), renames a thread: a change nobody is told of."""
    with db.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
        admin.commit()
        deadline = time.monotonic() + 10
        while admin.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend_pid}):
            assert time.monotonic() < deadline, "the listening connection was not ended"
            admin.rollback()  # a new snapshot of pg_stat_activity
            time.sleep(0.01)
        admin.execute(text("UPDATE thread SET title = :title WHERE id = :id"), {"title": title, "id": thread_id})
        admin.execute(text("UPDATE page_version SET version = version + 1"))
        admin.commit()


@contextlib.contextmanager
def _socket_held_open(backend_pid: int):
    """A copy of the backend's client socket in this process (pidfd_getfd): its exit closes nothing."""
    try:  # a server on another machine: the same number may be a process of this one
        local = open(f"/proc/{backend_pid}/cmdline", "rb").read().startswith(b"postgres")
    except OSError:
        local = False
    if not local:
        pytest.skip("this test holds a PostgreSQL backend's socket: needs the server on this machine")
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = libc.syscall(434, backend_pid, 0)  # pidfd_open
    if pidfd < 0:
        pytest.skip(f"this test holds a PostgreSQL backend's socket: needs the server on this machine "
                    f"and Linux's pidfd_open ({os.strerror(ctypes.get_errno())})")
    held = []
    try:
        for fd in os.listdir(f"/proc/{backend_pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{backend_pid}/fd/{fd}").startswith("socket:"):
                    held.append(libc.syscall(438, pidfd, int(fd), 0))  # pidfd_getfd
        if not held or min(held) < 0:
            pytest.skip(f"this test holds a PostgreSQL backend's socket: needs the rights to take it "
                        f"(root or ptrace; {os.strerror(ctypes.get_errno())})")
        yield
    finally:
        for fd in [pidfd, *held]:
            if fd >= 0:
                os.close(fd)


@pytest.mark.commits  # a schema of its own, seen by the listener's connection
def test_a_database_without_the_trigger_is_not_listened_to(app, caplog):
    """Before migration 0018 (a rolling deploy) nothing would announce a change: every reader is read."""
    caplog.set_level(logging.WARNING, logger="portal.page_versions")
    with db.engine.connect() as admin:
        admin.execute(text("CREATE SCHEMA without_trigger"))
        admin.execute(text("CREATE TABLE without_trigger.page_version (id integer PRIMARY KEY, version bigint)"))
        admin.commit()
        try:
            untriggered = page_versions.Listener(listener(app).conninfo, {"options": "-csearch_path=without_trigger"}, 60)
            assert not untriggered.listening()
            assert "no enabled trigger" in caplog.text
        finally:
            admin.execute(text("DROP SCHEMA without_trigger CASCADE"))
            admin.commit()


def test_every_table_a_readers_query_reads_raises_the_page_version():
    """A remembered reader is right while no newer version is known only if a change to anything
    their query reads raises it (Subscription was missing: an unfollowed thread stayed followed)."""
    import portal.forum.feeds  # noqa: F401 - the views define their kinds of participants
    import portal.forum.views  # noqa: F401

    kinds = page_cache.Participants.__subclasses__()
    assert len(kinds) >= 2  # the thread's and the search's
    watched = {model.__table__ for model in page_versions._watched()} | {page_versions.PageVersion.__table__}
    for participants in [page_cache.EVERY_PARTICIPANT, *(kind() for kind in kinds)]:
        read = set(find_tables(participants.query, include_joins=True, include_aliases=True, check_columns=True)) - {None}
        assert read and read <= watched, f"{type(participants).__name__} reads unwatched {read - watched}"


def test_remembered_rows_are_of_the_newest_version_seen_and_not_older_than_their_limit(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(page_versions, "_monotonic", lambda: now[0])
    rows = page_versions.RememberedRows(seconds=10)
    rows.keep(5, "ola", "row at 5")
    rows.keep(4, "jan", "row at 4")  # read before version 5 was seen here: not kept
    assert rows.get(5, "ola") == "row at 5" and rows.get(4, "ola") == "row at 5"
    assert rows.get(6, "ola") is None and rows.get(5, "jan") is None  # a newer version known: read again
    now[0] += 10.5
    assert rows.get(5, "ola") is None  # older than the limit
    rows.keep(6, "jan", "row at 6")
    assert rows.get(6, "jan") == "row at 6" and rows.get(5, "ola") is None


def test_without_postgresql_nobody_listens(app_for_sqlite):
    assert "wspolnie.page_version_listener" not in app_for_sqlite.extensions


@pytest.fixture
def app_for_sqlite(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PAGE_VERSION_LISTEN": True,
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})

