"""Exactly one beat: a scheduler that sends periodic tasks only while it holds a lock.

Any number of `celery -A worker beat` processes may run (a second one by mistake, or a
standby on another host); only the one holding the beat lock sends anything. The others
stand by and try the lock again every STANDBY_RETRY_SECONDS, so one of them takes over
within seconds when the holder dies.

The lock lives with the database, which every beat already needs:

- PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) on a connection kept
  open for it. The server releases it when that session ends, so a beat that is killed, or
  whose host vanishes, gives it up without any cleanup of its own. Advisory locks are per
  database, so two OrgWell databases on one server do not share it.
- SQLite: flock() on a file next to the database. The kernel releases it when the process
  dies; SQLite is single-host anyway.

A standby that takes over sends at once what fell due while it waited (its schedule's last
runs date from its own start): every periodic job is idempotent, so an early run is harmless,
whereas a skipped one would be a job not done.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

from celery.beat import PersistentScheduler
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

# pg_try_advisory_lock takes a bigint: "ORGWELL" in ASCII.
ADVISORY_LOCK_KEY = 0x4F5247_5745_4C4C
# A standby tries the lock this often; the holder checks it still holds it as often.
STANDBY_RETRY_SECONDS = 5.0
LOCK_FILE_SUFFIX = ".beat-lock"


class BeatLock:
    """The beat lock on the database at `database_url`.

    `acquire()` returns True while this instance holds the lock (taking it if free) and
    never blocks or raises: a database that cannot be reached means "not held".
    """

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.backend = url.get_backend_name()
        if self.backend not in ("postgresql", "sqlite"):
            raise ValueError(f"no beat lock for {self.backend} databases")
        self.database_url = database_url
        self._connection: Connection | None = None
        self._engine = None
        self._file = None
        if self.backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise ValueError("the beat lock needs an SQLite database file")
            self.path = Path(url.database + LOCK_FILE_SUFFIX)

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def acquire(self) -> bool:
        try:
            if self.backend == "sqlite":
                return self._acquire_file()
            return self._acquire_advisory()
        except Exception:  # noqa: BLE001 - an unreachable database means "not ours"
            logger.warning("beat lock: the database cannot be reached", exc_info=True)
            self.release()
            return False

    def release(self) -> None:
        """Give the lock up (closing the session or the file is what releases it)."""
        if self._connection is not None:
            # A dead session has already released the lock; closing it may fail.
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def _acquire_advisory(self) -> bool:
        if self._connection is not None:
            # Still ours as long as the session lives; a query proves it does.
            self._connection.execute(text("SELECT 1"))
            return True
        if self._engine is None:
            # Its own connection outside any pool: the lock lives and dies with it. The
            # application name lets an operator see which beat holds it (pg_stat_activity).
            self._engine = create_engine(
                self.database_url,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
                connect_args={"application_name": f"orgwell-beat-{os.getpid()}"},
            )
        connection = self._engine.connect()
        got = connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        )
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def _acquire_file(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True


def _database_url() -> str:
    # Beat was started with `celery -A worker`: its entry module holds the app.
    from worker.celery import flask_app

    return flask_app.config["SQLALCHEMY_DATABASE_URI"]


class LockedScheduler(PersistentScheduler):
    """Celery's default scheduler, sending only while this beat holds the BeatLock."""

    lock: BeatLock | None = None
    _said_standby = False  # log "standing by" once, not every few seconds

    def tick(self, *args, **kwargs) -> float:
        if self.lock is None:
            self.lock = BeatLock(_database_url())
        was_held = self.lock.held
        if not self.lock.acquire():
            if was_held:
                logger.warning("beat lock lost; standing by (another beat may send)")
            elif not self._said_standby:
                logger.info(
                    "beat lock held by another beat; standing by, retrying every %.0f s",
                    STANDBY_RETRY_SECONDS,
                )
            self._said_standby = True
            return STANDBY_RETRY_SECONDS
        if not was_held:
            logger.info("beat lock acquired; this beat sends the periodic tasks")
            self._said_standby = False
        return min(super().tick(*args, **kwargs), STANDBY_RETRY_SECONDS)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.lock is not None:
                self.lock.release()
