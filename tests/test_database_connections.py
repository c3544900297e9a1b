"""Database connections (portal/database.py): pinged only after idling, replaced when they died
meanwhile; a read outside a transaction leaves the request's session as it was."""
import time

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from portal import create_app, database
from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import _is_postgres


@pytest.fixture
def own_engine(database_uri, tmp_path):
    """An app with its own connection pool (not the tests' shared transaction), pinging after 0.2 s idle."""
    def build(**config):
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_uri, **config},
                         instance_path=str(tmp_path))
        built.append(app)
        return app
    built = []
    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


def _pings(app, monkeypatch) -> list[int]:
    with app.app_context():
        dialect = db.engine.dialect
    calls, real = [], dialect.do_ping

    def counted(dbapi_connection):
        calls.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return calls


def test_a_connection_in_use_is_not_pinged_and_one_left_idle_is(own_engine, monkeypatch):
    app = own_engine(DATABASE_PING_AFTER_IDLE=0.2)
    pings = _pings(app, monkeypatch)
    with app.app_context():
        for _ in range(5):
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
        assert pings == []  # back in the pool a moment ago each time: no round trip before use
        time.sleep(0.3)
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert pings == [1]


def test_pinging_before_every_use_can_still_be_chosen(own_engine, monkeypatch):
    app = own_engine(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    pings = _pings(app, monkeypatch)
    with app.app_context():
        for _ in range(4):
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
    assert len(pings) == 3  # each use but the first (a new connection is not pinged)


@pytest.mark.skipif(not _is_postgres(), reason="needs PostgreSQL: a SQLite connection cannot be dropped by a server")
def test_a_connection_the_server_dropped_while_idle_is_replaced_before_a_request_gets_it(own_engine, database_uri):
    app = own_engine(DATABASE_PING_AFTER_IDLE=0.2)
    with app.app_context():
        with db.engine.connect() as connection:
            dropped = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        other = create_engine(database_uri, poolclass=NullPool)
        with other.connect() as admin:  # as a restart, a pooler or a firewall would
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped}).scalar()
        other.dispose()
        time.sleep(0.3)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != dropped


def test_a_read_alone_in_the_tests_transaction_sees_what_the_test_wrote(app, make_user):
    anna_id = make_user("anna@example.org").id
    db.session.commit()  # as at a request's start: no transaction
    row = database.read_alone(select(User.email).where(User.id == anna_id), {})
    assert row.email == "anna@example.org"
    assert not db.session().in_transaction()  # the session is not touched


def test_a_read_alone_takes_a_pooled_connection_outside_any_transaction_and_gives_it_back(own_engine):
    app = own_engine()
    users = User.__table__
    with app.app_context():
        with db.engine.begin() as connection:  # committed: this app's own connections see it
            connection.execute(users.insert(), {"email": "read-alone@example.org", "display_name": "Ola"})
        try:
            row = database.read_alone(select(User.display_name).where(User.email == "read-alone@example.org"), {})
            assert row.display_name == "Ola"
            assert db.engine.pool.checkedout() == 0 and not db.session().in_transaction()
            with db.engine.connect() as connection:  # back in the pool with the engine's own isolation
                assert connection.get_isolation_level() != "AUTOCOMMIT"
        finally:
            with db.engine.begin() as connection:
                connection.execute(users.delete().where(users.c.email == "read-alone@example.org"))
