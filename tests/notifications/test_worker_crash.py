"""A worker killed with SIGKILL in the middle of sending loses no mail and repeats at most
the messages that were in flight when it died."""
from __future__ import annotations

import time
from collections import Counter

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from tests.notifications.helpers import queue_reset_mail
from worker.mail import sweep_outbox

MAILS = 30


def _count(*where) -> int:
    db.session.rollback()  # a fresh snapshot: the worker writes from another connection
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))


def test_sigkill_mid_send_loses_nothing(worker_app, celery_worker, smtp_sink):
    smtp_sink.delay = 0.2  # each message takes a while, so some are always in flight
    keys = [f"crash:{n}" for n in range(MAILS)]
    for n, key in enumerate(keys):
        queue_reset_mail(key, f"crash{n}@example.com")
    db.session.commit()

    smtp_sink.wait_for(MAILS // 3, timeout=30)
    celery_worker.kill()
    in_flight = _count(OutboxMessage.status == "sending")
    delivered_before = len(smtp_sink.messages)
    assert delivered_before < MAILS, "the kill came too late to test anything"

    smtp_sink.delay = 0.0
    celery_worker.start()

    def all_sent() -> bool:
        # What beat would do every 30 s: the sweep re-queues rows whose task died with the
        # worker (claims go stale after a few seconds in this test stack).
        sweep_outbox.delay()
        time.sleep(0.5)
        return _count(OutboxMessage.status != "sent") == 0

    celery_worker.wait_until(all_sent, timeout=60, what="every message sent after the crash")

    received = Counter(smtp_sink.outbox_keys)
    assert set(received) == set(keys), "a message was lost"
    duplicates = sum(n - 1 for n in received.values())
    print(f"\n{MAILS} mails, SIGKILL after {delivered_before}: {in_flight} in flight, "
          f"{duplicates} sent twice")
    assert duplicates <= in_flight
