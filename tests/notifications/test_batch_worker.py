"""Batches through a real worker (prefork, -c 2) and a real SMTP server, on both stacks: every
row once, a SIGKILL repeats at most the rows in flight, an outage mid-batch loses nothing."""

from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.notifications.delivery import CLAIM_CHUNK
from orgwell.notifications.models import OutboxMessage
from tests.notifications.helpers import queue_reset_mail
from worker.mail import sweep_outbox

POOL = 2  # tests/fixtures/worker.py starts each worker with `-c 2`


def _count(*where) -> int:
    db.session.rollback()  # a fresh snapshot: the worker writes from another connection
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))


def _queue(n: int, prefix: str) -> list[str]:
    keys = [f"{prefix}:{i}" for i in range(n)]
    for i, key in enumerate(keys):
        queue_reset_mail(key, f"{prefix}{i}@example.com")
    db.session.commit()  # one hand-off: batches of up to 100 ids
    return keys


def _all_sent_after_sweeping() -> bool:
    # What beat does every 30 s: re-queue rows whose task died or whose claim went stale.
    sweep_outbox.delay()
    time.sleep(0.5)
    return _count(OutboxMessage.status != "sent") == 0


def test_a_large_hand_off_is_delivered_once_each(worker_app, celery_worker, smtp_sink):
    keys = _queue(250, "large")

    celery_worker.wait_until(
        lambda: _count(OutboxMessage.status != "sent") == 0, timeout=60, what="all sent"
    )

    assert Counter(smtp_sink.outbox_keys) == Counter(keys)
    assert _count(OutboxMessage.attempts != 1) == 0


def test_sigkill_mid_batch_repeats_at_most_the_rows_in_flight(
    worker_stack, worker_app, celery_worker, smtp_sink
):
    smtp_sink.delay = 0.02  # slow enough that the kill lands mid-batch
    keys = _queue(200, "kill")

    smtp_sink.wait_for(60, timeout=60)
    celery_worker.kill()
    in_flight = _count(OutboxMessage.status == "sending")
    delivered_before = len(smtp_sink.messages)
    assert delivered_before < len(keys), "the kill came too late to test anything"
    # A chunk at most per pool process, whatever the number of rows handed over.
    assert in_flight <= CLAIM_CHUNK * POOL * getattr(worker_stack, "workers", 1)

    smtp_sink.delay = 0.0
    celery_worker.start()
    celery_worker.wait_until(
        _all_sent_after_sweeping, timeout=90, what="every message sent after the crash"
    )

    received = Counter(smtp_sink.outbox_keys)
    assert set(received) == set(keys), "a message was lost"
    duplicates = sum(n - 1 for n in received.values())
    print(
        f"\n{len(keys)} mails, SIGKILL after {delivered_before}: {in_flight} in flight, "
        f"{duplicates} sent twice"
    )
    assert duplicates <= in_flight


def test_an_outage_mid_batch_loses_nothing_and_sends_nothing_twice(
    worker_app, celery_worker, smtp_sink
):
    smtp_sink.delay = 0.02
    keys = _queue(150, "outage")

    smtp_sink.wait_for(30, timeout=60)
    smtp_sink.stop()
    celery_worker.wait_until(
        lambda: _count(OutboxMessage.attempts >= 1, OutboxMessage.status == "pending"),
        timeout=30,
        what="an attempt that failed during the outage",
    )
    smtp_sink.delay = 0.0
    smtp_sink.start()

    # The retries come after their backoff (1, 2, 4 ... s on the test stack).
    celery_worker.wait_until(_all_sent_after_sweeping, timeout=90, what="every message sent")
    assert Counter(smtp_sink.outbox_keys) == Counter(keys)
