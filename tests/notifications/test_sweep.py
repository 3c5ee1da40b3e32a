"""The sweep: pending rows whose hand-off was lost, rows whose worker died."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, func, select, text

from orgwell.database import utcnow
from orgwell.notifications import services
from tests.notifications.helpers import plant_message
from worker.mail import sweep_outbox


def test_lost_pending_row_is_requeued_once(db):
    lost = plant_message("lost:1", "a@example.com", age=timedelta(minutes=2))
    plant_message("fresh:1", "b@example.com")
    plant_message(
        "later:1", "c@example.com", age=timedelta(minutes=5),
        next_attempt_at=utcnow() + timedelta(minutes=1),
    )
    db.session.commit()

    assert services.requeue_due_messages() == [lost.id]
    db.session.commit()
    # The next sweep leaves it to the task just queued.
    assert services.requeue_due_messages() == []

    db.session.refresh(lost)
    assert lost.status == "pending"
    assert utcnow() - lost.next_attempt_at < timedelta(seconds=5)


def test_row_of_a_dead_worker_is_given_back(db):
    dead = plant_message(
        "dead:1", "a@example.com", age=timedelta(minutes=10),
        status="sending", attempts=1, claimed_at=utcnow() - timedelta(minutes=6),
    )
    busy = plant_message(
        "busy:1", "b@example.com", age=timedelta(minutes=10),
        status="sending", attempts=1, claimed_at=utcnow() - timedelta(seconds=20),
    )
    exhausted = plant_message(
        "exhausted:1", "c@example.com", age=timedelta(minutes=10),
        status="sending", attempts=8, claimed_at=utcnow() - timedelta(minutes=6),
    )
    db.session.commit()

    assert services.requeue_due_messages() == [dead.id]
    db.session.commit()

    for message in (dead, busy, exhausted):
        db.session.refresh(message)
    assert (dead.status, dead.claimed_at) == ("pending", None)
    assert busy.status == "sending"
    assert exhausted.status == "failed"
    assert services.claim_message(dead.id) == services.Claim(dead.id, 2)


def test_sweep_task_hands_the_rows_to_the_broker(app, db):
    plant_message("lost:2", "a@example.com", age=timedelta(minutes=2))
    plant_message("lost:3", "b@example.com", age=timedelta(minutes=2))
    db.session.commit()

    sweep_outbox()

    broker = create_engine(app.config["BROKER_URL"].split("+", 1)[1])
    try:
        with broker.connect() as conn:
            queued = conn.scalar(select(func.count()).select_from(text("kombu_message")))
    finally:
        broker.dispose()
    assert queued == 2
