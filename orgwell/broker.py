"""The embedded Celery broker: kombu's SQLAlchemy transport, polled every 150 ms, and on
SQLite asked only when the broker's file changed.

kombu's virtual transports sleep `polling_interval` (1 s by default) whenever a poll finds
nothing to take, which with prefetch 1 capped a worker at about 2 tasks/s. The stock
transport cannot be given a shorter interval (it hands every transport option to
`create_engine`), so this subclass sets it, under its own URL scheme `orgwellsqla+`.

Each poll of a queue took SQLite's write lock (BEGIN IMMEDIATE) and ran three ORM queries:
an idle worker spent 4.4% of a core on it, all day, and held the lock the web writes wait
for. SQLite's `PRAGMA data_version` tells a connection whether any other connection has
committed since it last asked; a queue found empty is not asked again until then, or until
this process writes to the broker itself (its own commits do not change the number).
"""
from __future__ import annotations

import itertools

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.transport.virtual import Empty
from sqlalchemy import text

SCHEME = "orgwellsqla"
# Per pooled connection (its record's `info` lives as long as the driver's connection):
# queue -> (data_version, own writes) when the queue was last found empty.
_EMPTY_KEY = "orgwell_empty_queues"
_own_writes = itertools.count(1)  # next() is atomic: two threads' writes never share a value
_last_own_write = 0


class Channel(kombu_sqla.Channel):
    def _get(self, queue):
        if self.session.bind.name != "sqlite":
            return super()._get(queue)
        connection = self.session.connection().connection
        version = self.session.execute(text("PRAGMA data_version")).scalar()
        seen = (version, _last_own_write)
        empty = connection.info.setdefault(_EMPTY_KEY, {})
        if empty.get(queue) == seen:
            self.session.commit()  # end the session's transaction, as the stock _get does
            raise Empty()
        try:
            return super()._get(queue)
        except Empty:
            # Read before the query: a commit after it changes the number, so it is seen.
            empty[queue] = seen
            raise

    def _put(self, queue, payload, **kwargs):
        super()._put(queue, payload, **kwargs)
        _wrote()

    def _purge(self, queue):
        try:
            return super()._purge(queue)
        finally:
            _wrote()


def _wrote() -> None:
    """After this process committed to the broker: on the same connection, its commit leaves
    data_version as it was, so every queue found empty is asked again."""
    global _last_own_write
    _last_own_write = next(_own_writes)


class Transport(kombu_sqla.Transport):
    Channel = Channel
    # An empty poll asks each of the three queues (mail, default, reports) whether the file
    # changed. Mail goes out in batches of up to 100 per task, so the wait for the next task
    # costs little.
    polling_interval = 0.15


def register() -> None:
    """Make `orgwellsqla+sqlite:///...` broker URLs resolve to this transport."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")


def embedded_broker_url(instance_path: str) -> str:
    return f"{SCHEME}+sqlite:///{instance_path}/broker.sqlite"
