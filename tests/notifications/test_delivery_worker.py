"""Mail through a real worker (prefork, -c 2) to a real SMTP server, on both stacks."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from tests.notifications.helpers import plant_message, queue_reset_mail
from worker.mail import sweep_outbox


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))


def _all_sent() -> bool:
    return _count(OutboxMessage.status != "sent") == 0


def test_each_queued_mail_is_delivered_once(worker_app, celery_worker, smtp_sink):
    keys = [f"bulk:{n}" for n in range(12)]
    for n, key in enumerate(keys):
        queue_reset_mail(key, f"user{n}@example.com")
    db.session.commit()

    celery_worker.wait_until(_all_sent, timeout=30, what="every message sent")

    # A row is marked sent after its SMTP conversation: nothing more can arrive now.
    assert sorted(smtp_sink.outbox_keys) == sorted(keys)
    assert smtp_sink.to("user3@example.com")[0]["Subject"] == "Reset your OrgWell password"
    assert _count(OutboxMessage.attempts != 1) == 0


def test_mail_waits_out_an_smtp_outage(worker_app, celery_worker, smtp_sink):
    smtp_sink.stop()
    keys = [f"outage:{n}" for n in range(3)]
    for n, key in enumerate(keys):
        queue_reset_mail(key, f"user{n}@example.com")
    db.session.commit()

    celery_worker.wait_until(
        lambda: _count(OutboxMessage.attempts >= 1, OutboxMessage.status == "pending") == 3,
        what="a failed attempt of each message",
    )
    smtp_sink.start()
    # The next try comes after the backoff the worker chose (1 s, 2 s ... in tests).
    next_try = db.session.scalar(select(func.max(OutboxMessage.next_attempt_at)))
    wait = max(0, (next_try - utcnow()).total_seconds())
    celery_worker.wait_until(_all_sent, timeout=wait + 20, what="every message sent")

    assert sorted(smtp_sink.outbox_keys) == sorted(keys)
    errors = db.session.scalars(select(OutboxMessage.last_error)).all()
    assert errors == [None, None, None]


def test_sweep_recovers_lost_messages(worker_app, celery_worker, smtp_sink):
    now = utcnow()
    # Committed, but the hand-off to the broker never happened.
    plant_message("lost:handoff", "lost@example.com", age=timedelta(minutes=2))
    # Claimed by a worker that died mid-send six minutes ago.
    plant_message(
        "lost:crash", "crash@example.com", age=timedelta(minutes=7),
        status="sending", attempts=1, claimed_at=now - timedelta(minutes=6),
    )
    # Too young for the sweep: its own task may still be on the way.
    fresh = plant_message("lost:fresh", "fresh@example.com")
    db.session.commit()

    sweep_outbox.delay()

    celery_worker.wait_until(
        lambda: _count(OutboxMessage.status == "sent") == 2, what="the two lost messages sent"
    )
    assert sorted(smtp_sink.outbox_keys) == ["lost:crash", "lost:handoff"]
    db.session.refresh(fresh)
    assert (fresh.status, fresh.attempts) == ("pending", 0)
