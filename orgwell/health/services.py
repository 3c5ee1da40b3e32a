"""The checks behind /healthz: database, broker, and a recent worker heartbeat.

Each check returns "ok" or a short description of what is wrong, and never raises: a
health endpoint that errors or hangs tells the load balancer nothing.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, text

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.health.models import WorkerHeartbeat

HEARTBEAT_INTERVAL = timedelta(seconds=10)
# Six missed beats: long enough for a busy or restarting worker, short enough to page.
HEARTBEAT_MAX_AGE = timedelta(seconds=60)
BROKER_TIMEOUT_SECONDS = 2


def check_all() -> dict[str, str]:
    """{"database": ..., "broker": ..., "worker": ...}, each "ok" or what is wrong."""
    database = check_database()
    return {
        "database": database,
        "broker": check_broker(),
        "worker": check_worker() if database == "ok" else "unknown: no database",
    }


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        db.session.rollback()
        return _describe(exc)


def check_broker() -> str:
    """Connect to the broker with one short attempt.

    The embedded SQL broker has no server to connect to and only opens its store when
    used, so for it we declare the default queue, which reads and (once) writes it.
    """
    celery = current_app.extensions["celery"]
    try:
        with celery.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
            if conn.transport.driver_type == "sql":
                conn.default_channel.queue_declare(
                    queue=celery.conf.task_default_queue, passive=True
                )
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return _describe(exc)


def check_worker() -> str:
    """ "ok" when some worker wrote its heartbeat within HEARTBEAT_MAX_AGE."""
    try:
        last_seen = db.session.scalar(select(func.max(WorkerHeartbeat.last_seen_at)))
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        db.session.rollback()
        return _describe(exc)
    if last_seen is None:
        return "no worker heartbeat"
    age = utcnow() - last_seen
    if age > HEARTBEAT_MAX_AGE:
        return f"last worker heartbeat {int(age.total_seconds())} s ago"
    return "ok"


def record_heartbeat(hostname: str) -> None:
    """Note that the worker `hostname` is alive now. Flushes; the caller commits."""
    beat = db.session.get(WorkerHeartbeat, hostname)
    if beat is None:
        db.session.add(WorkerHeartbeat(hostname=hostname, last_seen_at=utcnow()))
    else:
        beat.last_seen_at = utcnow()
    db.session.flush()


def forget_worker(hostname: str) -> None:
    """Remove the heartbeat of a worker that shut down cleanly. Flushes; the caller commits."""
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.hostname == hostname))
    db.session.flush()


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
