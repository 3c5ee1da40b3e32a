"""The worker's lifecycle hooks: the heartbeat thread and the database reset after fork."""
from __future__ import annotations

import time

from sqlalchemy import select, text

from orgwell.database import dispose_inherited_connections
from orgwell.health.models import WorkerHeartbeat
from worker.health import Heartbeat


def _beats(db) -> list[WorkerHeartbeat]:
    db.session.rollback()
    return db.session.scalars(select(WorkerHeartbeat)).all()


def test_heartbeat_beats_until_stopped(app, db):
    heartbeat = Heartbeat(app, "celery@unit", interval=0.05)
    heartbeat.start()
    try:
        deadline = time.monotonic() + 5
        while not _beats(db) and time.monotonic() < deadline:
            time.sleep(0.02)
        [first] = _beats(db)
        seen = first.last_seen_at
        time.sleep(0.2)
        [later] = _beats(db)
        assert later.hostname == "celery@unit"
        assert later.last_seen_at > seen
    finally:
        heartbeat.stop()
    assert not heartbeat.is_alive()
    assert _beats(db) == []


def test_dispose_inherited_connections_empties_the_pool(app, db):
    db.session.execute(text("SELECT 1"))
    db.session.remove()
    pool = db.engine.pool
    assert pool.checkedin() == 1

    dispose_inherited_connections(app)

    assert db.engine.pool is not pool
    assert db.engine.pool.checkedin() == 0
    assert db.session.execute(text("SELECT 1")).scalar() == 1
