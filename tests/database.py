"""The database side of the test harness: the schema, and a transaction per test.

SQLAlchemy's "joining a Session into an external transaction" recipe: each test opens one
connection and begins a transaction on it; every session of the test (the test's own, one per
request, one per CLI command) joins it with a SAVEPOINT, so a session's commit() releases its
savepoint and its rollback() rolls back to it, exactly as a real commit and rollback look from
the next request. At the end the outer transaction is rolled back: the next test finds the
database empty, in under a millisecond instead of TRUNCATE's 55-100 ms on PostgreSQL.

Tests marked `commits` (a browser, threads with their own connections, EXPLAIN on another
connection) run without it: their commits are real, and the tables are emptied after them.

Kept out of conftest.py so that it is imported once, whatever imports it.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import event, text

from portal import create_app
from portal.extensions import db


def migrate(uri: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "test"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class _JoinedConnection(threading.local):
    connection = None


_joined = _JoinedConnection()


class JoinedSession(FlaskSQLAlchemySession):
    """Flask-SQLAlchemy's session, bound to the test's connection while a test holds one."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        joined = _joined.connection
        # Another app's engine (a test that builds an app of its own) keeps its own connections.
        return joined if joined is not None and joined.engine is engine else engine


# Flask-SQLAlchemy builds `db.session` once, from options given to SQLAlchemy() in portal/extensions.py;
# the test run replaces it with the same scoped session (one per app context) of the class above.
db.session = db._make_scoped_session({"class_": JoinedSession, "join_transaction_mode": "create_savepoint"})


def end_the_tests_own_transaction() -> None:
    """Before a request or a command: the test's session ends its savepoint, having nothing to save.

    Savepoints on one connection nest. Were the test's savepoint still open, the request's
    savepoint would be nested inside it, and a later rollback() by the test would undo the
    request's commit too — which a real commit never allows. So a test commits (or rolls back)
    what it wrote before it makes a request, as it had to when the request's connection was its
    own: uncommitted writes here are an error in the test, not something a request may see.
    """
    if _joined.connection is None:
        return
    session = db.session()
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.info.get("wrote"):
        raise AssertionError("the test has uncommitted changes: commit() or rollback() them before a request")
    session.commit()  # nothing to write: only ends the savepoint (and expires what the test loaded)


@contextmanager
def transaction_rolled_back_at_the_end(engine):
    """Every session of this thread works inside one transaction, rolled back at the end."""
    connection = engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite begins a transaction only before a write and leaves SAVEPOINT to SQLite, where a
        # savepoint outside a transaction *is* the transaction: its RELEASE would commit. So the
        # driver's own handling is turned off and BEGIN is emitted with SQLAlchemy's (its docs'
        # "Serializable isolation / Savepoints / Transactional DDL" recipe), on this connection only.
        driver = connection.connection.driver_connection
        driver.isolation_level = None
        event.listen(connection, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    outer = connection.begin()
    _joined.connection = connection
    try:
        yield
    finally:
        _joined.connection = None
        outer.rollback()
        if sqlite:
            driver.isolation_level = ""  # pysqlite's default again, for the pool's next user
        connection.close()
