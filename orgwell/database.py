"""Database plumbing shared by web, worker and beat.

SQLite is the embedded default and three processes write to it at once, so every SQLite
connection gets WAL (readers never block the writer) and a busy timeout (a writer waits for
the lock instead of failing with "database is locked"). The listener is global so that the
embedded Celery broker's own engine gets the same treatment.

A prefork worker child starts with copies of its parent's pooled connections;
`dispose_inherited_connections` makes it open its own (worker/health.py calls it from
celery's worker_process_init).
"""
from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from flask import Flask

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled server connection idle for longer than this is pinged before it is handed out.
PING_IDLE_SECONDS = 1.0


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the default of every timestamp column)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def engine_options_for(uri: str) -> dict:
    """Engine options that suit the database behind `uri`.

    Both keep statement parameters out of error messages: those end up in logs, and the
    parameters carry survey tokens, answers and e-mail addresses.
    """
    if uri.startswith("sqlite"):
        # pysqlite's own timeout covers the moment before our PRAGMA runs.
        return {
            "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            "hide_parameters": True,
        }
    return {
        "hide_parameters": True,
        # Not pool_pre_ping: see ping_idle_connections, which the app factory attaches.
        "pool_size": 5,
        "max_overflow": 10,
        # A request waiting for a pooled connection gets its 503 before gunicorn's 30 s
        # timeout would kill the worker.
        "pool_timeout": 10,
        # A server that accepts and never answers would hold a request for minutes (the
        # kernel's TCP timeout); 5 s, then the request answers 503.
        "connect_args": {"connect_timeout": 5},
    }


def ping_idle_connections(engine: Engine, idle_seconds: float = PING_IDLE_SECONDS) -> None:
    """Ping a pooled connection before handing it out, but only when it sat unused in the pool
    for more than `idle_seconds`.

    A connection can die while it is pooled (a database restart or failover, a firewall that
    drops idle connections): the ping finds that and the pool hands out a new connection
    instead, so the request does not fail. pool_pre_ping does this on every checkout, which
    costs a round trip per request: two more for each survey answer's GET + POST, which
    need ten otherwise (bench/submissions.py). A connection returned within the last second
    was working a moment ago; if the server went away since, the request's first statement
    fails, the web answers 503, and SQLAlchemy then replaces every connection of the pool
    that is older than the failure, so only requests in flight at the restart see it.
    """

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (a new one if needed).
            raise DisconnectionError("the pooled connection is gone") from error


def dispose_inherited_connections(app: Flask) -> None:
    """In a freshly forked process: drop the pooled connections copied from the parent.

    Two processes talking over one socket garble each other's conversations (PostgreSQL
    reports "SSL error" or mixed-up results). close=False leaves the sockets open for the
    parent, which still owns them; the child's pools start empty.
    """
    from orgwell.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def end_sessions_quietly(app: Flask) -> None:
    """End each request's session without letting a lost connection turn it into a 500.

    Flask-SQLAlchemy ends the session in a teardown, after the response was made; when the
    database went away meanwhile (a restart terminates every connection), the ROLLBACK of
    that close fails, and an exception in a teardown escapes every error page (the server
    answers a bare 500). This teardown, registered after Flask-SQLAlchemy's and so run
    before it, ends the session first and lets the pool discard the dead connection.
    """
    import logging

    from sqlalchemy.exc import DBAPIError

    from orgwell.extensions import db

    @app.teardown_appcontext
    def _end_session(exc: BaseException | None) -> None:
        try:
            db.session.remove()
        except DBAPIError as error:
            logging.getLogger(__name__).warning(
                "the database connection was lost while ending a request: %s",
                type(getattr(error, "orig", error)).__name__,
            )
            db.session.registry.clear()  # a new session next time; the pool drops the old one

