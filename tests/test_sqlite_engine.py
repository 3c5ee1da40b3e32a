"""A savepoint that opens a SQLite transaction holds the write lock from its start, so another
process committing between its reads and its writes waits instead of making the write fail
with "database is locked" (what the close job's anonymity reshuffle hit in the worker)."""
from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import text

from orgwell.database import SQLITE_BUSY_TIMEOUT_MS


def _other_process_writes(path: str, done: list) -> None:
    # Its own connection, as another worker process would have, with the app's patience.
    other = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        other.execute("INSERT INTO notes (body) VALUES ('from the other process')")
        other.commit()
        done.append("committed")
    finally:
        other.close()


def test_a_savepoint_reading_then_writing_survives_a_concurrent_writer(app, db, tmp_path):
    db.session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    db.session.execute(text("INSERT INTO notes (body) VALUES ('first')"))
    db.session.commit()

    done: list = []
    with db.session.begin_nested():  # opens the SQLite transaction, as the reshuffle does
        assert db.session.scalar(text("SELECT count(*) FROM notes")) == 1
        other = threading.Thread(
            target=_other_process_writes, args=(str(tmp_path / "test.sqlite"), done))
        other.start()
        # Without the write lock the other commit lands now, and the write below fails.
        other.join(timeout=0.5)
        assert done == []  # it is waiting for our transaction
        db.session.execute(text("UPDATE notes SET body = 'rewritten' WHERE body = 'first'"))
    db.session.commit()
    other.join(timeout=10)
    assert done == ["committed"]
    assert sorted(db.session.scalars(text("SELECT body FROM notes"))) == [
        "from the other process", "rewritten"]


def test_plain_transactions_still_read_without_the_write_lock(app, db, tmp_path):
    """Only savepoints take the lock early: a page's reads never hold other writers up."""
    db.session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM notes")) == 0
    other = sqlite3.connect(str(tmp_path / "test.sqlite"), timeout=0)
    try:
        other.execute("INSERT INTO notes (body) VALUES ('not held up')")
        other.commit()
    finally:
        other.close()
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM notes")) == 1
