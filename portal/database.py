"""How the portal uses its database connections, where Flask-SQLAlchemy's defaults cost too much.

A page shared by signed-in participants (portal.page_cache) is served after one small query;
around it, the connection's own round trips were most of the cost: a ping before every
checkout, BEGIN before the query and ROLLBACK after it. So:

- A connection is pinged only when it sat unused in the pool for DATABASE_PING_AFTER_IDLE
  seconds — when a firewall, a pooler or a restarted database may have dropped it — instead of
  before every use (SQLAlchemy's `pool_pre_ping`). A connection found dead is replaced before
  the request gets it. One that died less than that ago fails its statement: SQLAlchemy then
  drops every connection of the pool opened before, so each worker sees that once.
- `read_alone` runs a SELECT outside the request's transaction (AUTOCOMMIT): the database
  answers it as it would in a transaction of its own, without BEGIN and ROLLBACK, and without
  the session's bookkeeping around them.
"""
from __future__ import annotations

import time
from functools import partial

from flask import Flask
from sqlalchemy import Row, event, exc
from sqlalchemy.engine import Engine

from portal.extensions import db

_IDLE_SINCE = "wspolnie_idle_since"


def init_app(app: Flask) -> None:
    seconds = app.config["DATABASE_PING_AFTER_IDLE"]
    if seconds is None or app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return  # pinged before every use, as configured
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", partial(_ping_if_idle, engine, float(seconds)))


def _note_idle(_dbapi_connection, record) -> None:
    if record is not None:  # None: the connection is being discarded
        record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(engine: Engine, seconds: float, dbapi_connection, record, _proxy) -> None:
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < seconds:
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except Exception as error:  # noqa: BLE001 - any failure: the pool replaces this connection
        raise exc.DisconnectionError(f"a connection idle for {seconds:g} s no longer answers") from error


def read_alone(statement, params: dict) -> Row | None:
    """The first row of a SELECT run outside the request's transaction, on a connection of its own.

    The session's bind decides where: an engine (the portal) lends a pooled connection in
    AUTOCOMMIT for the one statement; a session bound to a connection in a transaction of its
    own (SQLAlchemy's "joining a session into an external transaction", as the tests run) reads
    inside that transaction. The session itself is not touched: the request's later statements
    begin its transaction as usual.
    """
    bind = db.session.get_bind()
    if not isinstance(bind, Engine):
        return bind.execute(statement, params).first()
    with bind.connect() as connection:
        return connection.execution_options(isolation_level="AUTOCOMMIT").execute(statement, params).first()
