"""One number that goes up with every committed change a shared page may show.

Pages shared by signed-in participants (portal.page_cache) are kept under this number, so a
comment, an edit, a moderator's decision, an office's answer or a newly published draft is
on every such page from the moment it is committed, in every worker and on every server: the
number lives in the database (one row), read with the viewer's state in the same query.

Any transaction that writes one of the watched models (`_watched`) — through the ORM or an
ORM-enabled bulk `update()`/`delete()` — adds `UPDATE page_version SET version = version + 1`
just before it commits; a rolled-back one changes nothing. Not watched, so that they never wait
for one another on this row: views of a consultation (`view_counter`), registrations (the
sign-up burst) and reports of comments (a report that hides a comment changes the comment).
A shared page shows those up to PAGE_CACHE_SECONDS late ("N odsłon", free places), as
anonymous readers' pages do. The row is one for the whole portal: a change anywhere renders
the shared pages anew (writes are rare next to reads). Followed threads are watched although no
page shows who follows what: a reader's row holds whether they follow the thread (below).

Reading the number costs a shared page its one database round trip — with the reader's row,
the whole difference between a participant's page and an anonymous reader's. On PostgreSQL
each worker therefore also listens for the number (`Listener`): a trigger (migration 0018)
announces every new version with NOTIFY, which PostgreSQL delivers to every listening
connection when the change commits, and each request first takes in what arrived (a
non-blocking read of the socket, about a microsecond). A worker remembers the rows its readers'
queries returned under the version they were read at (`read_remembered`), and serves them
while it knows of no newer version: a reader who comes back while nothing changed costs no
query. What a worker knows:

- its own commits, at once;
- every other commit — another worker's, another server's, a command's, psql's — as soon as
  PostgreSQL's notification arrives: measured on a loaded 2-core machine, already there when
  COMMIT returned in 72 % of cases, p99 2.6 ms after it. A page served within that moment shows
  what it would have shown had it been asked for a moment earlier;
- the author's own changes from any worker: a commit puts its version into the author's
  session (`SEEN`), and a page for a session that saw a version newer than the worker knows is
  read from the database. So whoever made a change sees it on their next page, always.

A lost connection is reopened (every RETRY_SECONDS) and, meanwhile, every reader is read from
the database; nothing is remembered across it, and nothing longer than PAGE_CACHE_SECONDS
(a connection that died without a word: at worst that late, as anonymous readers' pages are).
SQLite has no NOTIFY: there (and with PAGE_VERSION_LISTEN off) every reader is read from the
database.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from itertools import chain

from flask import Flask, current_app, has_app_context, has_request_context
from flask import session as flask_session
from sqlalchemy import BigInteger, Row, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal import database
from portal.extensions import db

_ROW = 1
_FLAG = "page_version_changed"
_RAISED = "page_version_raised_to"
_LISTENER = "wspolnie.page_version_listener"
log = logging.getLogger(__name__)
_monotonic = time.monotonic  # the age of remembered rows (tests set it)


class PageVersion(db.Model):
    __tablename__ = "page_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


def current():
    """The version as a scalar subquery, to ride along in a page's first query."""
    return select(PageVersion.version).where(PageVersion.id == _ROW).scalar_subquery()


def read() -> int:
    """The version now (one query)."""
    return db.session.scalar(select(PageVersion.version).where(PageVersion.id == _ROW)) or 0


def _watched() -> tuple[type, ...]:
    from portal.accounts.models import Organisation, User
    from portal.consultations.models import Consultation, Document, Phase
    from portal.forum.models import DraftParagraph, DraftSection, Post, Subscription, Thread
    from portal.registrations.models import Meeting, WorkingGroup
    from portal.reports.models import Answer, AnsweredComment, ChangeLink, FinalSection, Report

    return (Post, Thread, DraftSection, DraftParagraph, Report, Answer, AnsweredComment, ChangeLink,
            FinalSection, User, Organisation, Consultation, Phase, Document, WorkingGroup, Meeting, Subscription)


def _bulk_watched() -> tuple[type, ...]:
    """Bulk statements that change what pages show (not the view counter, not a group's lock)."""
    from portal.consultations.models import Consultation
    from portal.registrations.models import WorkingGroup

    return tuple(cls for cls in _watched() if cls not in (Consultation, WorkingGroup))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    # Here `new`, `dirty` and `deleted` still hold what this flush wrote.
    if not session.info.get(_FLAG):
        watched = _watched()
        if any(isinstance(obj, watched) for obj in chain(session.new, session.dirty, session.deleted)):
            session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, _bulk_watched()) \
            and state.bind_mapper.class_ is not PageVersion:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    session.flush()  # what is still pending is written now, and noted
    if session.info.pop(_FLAG, False):
        statement = update(PageVersion).where(PageVersion.id == _ROW).values(version=PageVersion.version + 1)
        if session.get_bind().dialect.update_returning:  # PostgreSQL; SQLite from 3.35
            version = session.execute(statement.returning(PageVersion.version)).scalar()
            missing = version is None
        else:  # an older SQLite: nobody listens there, the new number is not needed
            version, missing = None, session.execute(statement).rowcount == 0
        if missing:  # a database made without the migration's row
            session.add(PageVersion(id=_ROW, version=1))
            session.flush()
            version = 1
        session.info.pop(_FLAG, None)
        session.info[_RAISED] = version


@event.listens_for(Session, "after_commit")
def _known_at_once(session: Session) -> None:
    version = session.info.pop(_RAISED, None)
    if version is None or not has_app_context():
        return
    listener = current_app.extensions.get(_LISTENER)
    if listener is None:
        return
    listener.saw(version)  # this process's readers, at once
    if has_request_context() and "_user_id" in flask_session:
        flask_session[SEEN] = version  # the author's next page, from any worker, shows their change


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    # Only when the whole transaction ends: a savepoint rolled back (begin_nested) undoes its own
    # writes, not those before it, which still raise the version when the transaction commits.
    if transaction.parent is None:
        session.info.pop(_FLAG, None)
        session.info.pop(_RAISED, None)


# --- Knowing the version without asking: PostgreSQL's notifications, readers remembered under it --

CHANNEL = "wspolnie_page_version"  # migration 0018's trigger: "<schema> <version>" at each commit
SEEN = "pv"  # in a signed-in browser's session: the version their own last change made


class RememberedRows:
    """Rows of readers' queries read at one page version — the newest this process has read — each
    for at most `seconds`."""

    LIMIT = 20_000  # readers remembered at once; then the process starts again from none

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.state: tuple[int, dict] = (-1, {})  # replaced whole: threads see a version with its rows

    def get(self, at_least: int, key) -> Row | None:
        version, rows = self.state
        if version < at_least:
            return None
        found = rows.get(key)
        if found is None or _monotonic() - found[1] > self.seconds:
            return None
        return found[0]

    def keep(self, version: int, key, row: Row) -> None:
        remembered_at, rows = self.state
        if version != remembered_at or len(rows) >= self.LIMIT:
            if version < remembered_at:
                return  # read before a newer version was seen here
            rows = {}
            self.state = (version, rows)
        rows[key] = (row, _monotonic())


class Listener:
    """What this process knows of the page version without asking: the highest it has seen
    committed — by its own commits, in the rows it read, and announced by PostgreSQL on a
    connection of its own (LISTEN) — and the readers it remembers under it.

    While it is not listening (no connection yet, the connection lost: it retries every
    RETRY_SECONDS; the database without migration 0018's trigger) nothing is remembered, and
    every reader is read from the database.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, conninfo: str, connect_args: dict, seconds: float):
        self.conninfo, self.connect_args, self.seconds = conninfo, connect_args, seconds
        self.known = -1
        self.generation = 0  # goes up whenever what is remembered is dropped (`forget`)
        self.remembered = RememberedRows(seconds)
        self._connection, self._schema, self._pid, self._retry_at = None, None, None, 0.0
        self._ended = ""  # the server's last words on the connection (a FATAL error), if it spoke them
        self._announced = -1  # the last version PostgreSQL announced: they come in commit order
        self._lock = threading.RLock()  # one connection, one number: threads (a threaded server) take turns
        self._inherited: list = []

    def saw(self, version: int) -> None:
        with self._lock:
            if version > self.known:
                self.known = version

    def listening(self) -> bool:
        """Take in what PostgreSQL announced since the last request; False while not listening."""
        with self._lock:
            return self._take_in()

    def _take_in(self) -> bool:
        if self._pid != os.getpid():  # a forked worker: the parent's connection (if any) is not its own
            if self._connection is not None:
                self._inherited.append(self._connection)  # never closed here: that would end the parent's
            self._pid, self._connection = os.getpid(), None
            self.forget()
        if self._connection is None and not self._connect():
            return False
        pgconn = self._connection.pgconn
        try:
            # Reads what arrived, never waits (libpq's socket does not block), until a read brings
            # no announcement; then once more. A connection the server ends (pg_terminate_backend,
            # a shutdown) gets its last words, a FATAL error, before it stops listening, but the
            # socket closes only later: PostgreSQL drops the backend from pg_stat_activity and
            # from LISTEN first. So the last words, not the closed socket, say it is gone.
            while True:
                pgconn.consume_input()
                if not self._announcements(pgconn):
                    break
            pgconn.consume_input()
            self._announcements(pgconn)  # parses what that read brought: last words come as a notice
            if self._ended:
                raise ConnectionError(f"the server ended the connection: {self._ended}")
            if pgconn.status != 0:  # psycopg.pq.ConnStatus.OK
                raise ConnectionError("the connection is no longer open")
        except Exception as error:  # noqa: BLE001 - whatever broke, read readers from the database
            self._lost(error)
            return False
        return True

    def _announcements(self, pgconn) -> bool:
        """Take in the announcements read so far; True if there was any."""
        heard = False
        while (note := pgconn.notifies()) is not None:
            heard = True
            schema, _, payload = note.extra.decode().rpartition(" ")
            if schema != self._schema:  # another schema of the database: another portal (tests)
                continue
            try:
                version = int(payload)
            except ValueError:
                continue  # not a version
            if version < self._announced:  # the number went back (a restored database): start anew
                self.known = version
                self.forget()
            self._announced = version
            self.saw(version)
        return heard

    def forget(self) -> None:
        """Nothing remembered: the next reader of each page is read from the database."""
        with self._lock:
            self.generation += 1
            self.remembered = RememberedRows(self.seconds)

    def reset(self) -> None:
        """Tests: nothing known, and nothing announced so far left to arrive (a test's database
        starts anew). A notification of its own, sent on this connection, makes PostgreSQL hand
        over every one queued before it before the statement ends; psycopg reads them and drops
        them (this connection has no handlers)."""
        with self._lock:
            if self._take_in():
                self._connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{self._schema} reset"))
            self.known = self._announced = -1
            self.forget()

    def _connect(self) -> bool:
        if time.monotonic() < self._retry_at:
            return False
        import psycopg

        connection = None
        try:
            connection = psycopg.connect(self.conninfo, autocommit=True, **{
                "connect_timeout": 2, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                "keepalives_count": 3, **self.connect_args})
            connection.execute(f"LISTEN {CHANNEL}")
            # The schema the portal's page_version lives in (its search_path), and its trigger.
            found = connection.execute(
                "SELECT n.nspname, t.tgenabled FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = 'page_version_notify' "
                "WHERE c.oid = to_regclass('page_version')").fetchone()
        except psycopg.Error as error:
            self._give_up(connection, f"cannot listen ({error})")
            return False
        if found is None or found[1] not in ("O", "A"):  # enabled (origin, always)
            self._give_up(connection, "page_version has no enabled trigger page_version_notify (migration 0018)")
            return False
        self._schema, self._connection, self._ended = found[0], connection, ""
        connection.add_notice_handler(self._notice)
        self.forget()  # remembered before listening: changed since, perhaps, unannounced
        return True

    def _notice(self, diagnostic) -> None:
        # libpq hands an error that comes while no statement runs to the notice handler.
        if diagnostic.severity_nonlocalized in ("FATAL", "PANIC"):
            self._ended = f"{diagnostic.sqlstate} {diagnostic.message_primary}"

    def _give_up(self, connection, why: str) -> None:
        self._retry_at = time.monotonic() + self.RETRY_SECONDS
        log.warning("page version: %s; readers are read from the database", why)
        if connection is not None:
            connection.close()

    def _lost(self, error: Exception) -> None:
        log.warning("page version: stopped listening (%s); readers are read from the database", error)
        try:
            self._connection.close()
        except Exception:  # noqa: BLE001 - it is being dropped either way
            pass
        self._connection, self._retry_at = None, time.monotonic() + self.RETRY_SECONDS
        self.forget()


def init_app(app: Flask) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["PAGE_VERSION_LISTEN"] and url.get_backend_name() == "postgresql":
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        # The engine's own connection arguments (options such as a search_path) hold for listening too.
        connect_args = dict((app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("connect_args") or {})
        app.extensions[_LISTENER] = Listener(conninfo, connect_args, max(float(app.config["PAGE_CACHE_SECONDS"]), 1.0))


def read_remembered(statement, params: dict) -> Row | None:
    """The first row of `statement` (which selects `current()` as `page_version`), run outside the
    request's transaction (database.read_alone) — or remembered from an earlier request of this
    process, while no newer version than the row's is known here, nor `SEEN` by this browser."""
    listener = current_app.extensions.get(_LISTENER)
    if listener is None or not listener.listening():
        return database.read_alone(statement, params)
    key = (statement, frozenset(params.items()))
    row = listener.remembered.get(max(listener.known, flask_session.get(SEEN, 0)), key)
    if row is not None:
        return row
    generation = listener.generation
    row = database.read_alone(statement, params)
    version = None if row is None else row.page_version
    if version is not None:
        listener.saw(version)
        # Not if the listener lost its connection meanwhile: the row may predate what it missed.
        if version == listener.known and generation == listener.generation:
            listener.remembered.keep(version, key, row)
    return row


def reset(app: Flask) -> None:
    """Tests: this process remembers no reader and knows no version (each test's database starts anew)."""
    listener = app.extensions.get(_LISTENER)
    if listener is not None:
        listener.reset()
