"""SQLite transactions that read and then write: a SAVEPOINT that opens one takes the write lock.

pysqlite (legacy transaction control) issues its own "BEGIN" (DEFERRED) just before the first
INSERT/UPDATE/DELETE, so a plain transaction takes the write lock on its first statement and
waits for it under busy_timeout. A SAVEPOINT is different: when no transaction is open,
SQLite starts a DEFERRED one on it, the reads that follow fix a WAL snapshot, and the first
write must then upgrade that snapshot to the write lock. If another process committed in
between, the upgrade fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT): waiting
cannot help, because the snapshot is already stale. That is how the close job's anonymity
reshuffle (`session.begin_nested()`, read responses, rewrite them) failed while a mail task
wrote in the other worker process.

So a savepoint that would open the transaction opens it with "BEGIN IMMEDIATE" first: it
waits for the write lock under busy_timeout and then holds it, and pysqlite, seeing the
transaction open, commits or rolls it back as usual. Only savepoints do this: taking over
every BEGIN (SQLAlchemy's pysqlite recipe) with IMMEDIATE would make read-only transactions
(every page view) take the write lock too, and with DEFERRED would make every read-then-write
transaction fail this way. The listener is global, like the PRAGMAs in database.py, so web,
worker and CLI engines all get it; it does nothing for other databases, and the embedded
broker's engine (kombu's SQL transport) never opens a savepoint.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


@event.listens_for(Engine, "savepoint")
def _savepoint_takes_the_write_lock(conn: Connection, name: str | None) -> None:
    dbapi_connection = conn.connection.dbapi_connection
    if isinstance(dbapi_connection, sqlite3.Connection) and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")
