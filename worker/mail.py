"""Mail tasks: send outbox rows (a batch, or one); the periodic sweep re-queues lost ones."""
from __future__ import annotations

from celery import shared_task
from flask import current_app

from orgwell.extensions import db
from orgwell.notifications import delivery, services


@shared_task(name="mail.send_batch")
def send_batch(message_ids: list[int]) -> None:
    """Send the outbox rows `message_ids` over one connection (what a commit hands over).

    Claims and outcomes are committed a chunk at a time (see notifications/delivery.py);
    rows that failed for now are queued again as a new batch after their backoff. A repeated
    or late task finds its rows claimed or settled and sends nothing.
    """
    retries = delivery.deliver_batch(message_ids, commit=db.session.commit)
    for countdown, ids in sorted(retries.items()):
        try:
            send_batch.apply_async((ids,), countdown=countdown)
        except Exception:  # noqa: BLE001 - the broker may be down; the sweep will resend
            current_app.logger.warning("could not queue the retry of %s", ids, exc_info=True)


@shared_task(name="mail.send", bind=True, max_retries=None)
def send_message(self, message_id: int) -> None:
    """Send the outbox row `message_id` once; on a transient failure retry with backoff.

    A repeated or late task finds the row claimed or settled and does nothing. The service
    counts attempts and decides when to give up, hence no Celery retry limit.
    """
    claim = services.claim_message(message_id)
    # Commit the claim before talking to the server: other workers must see it.
    db.session.commit()
    if claim is None:
        return
    retry_in = services.deliver_claimed(claim)
    db.session.commit()
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(name="mail.sweep")
def sweep_outbox() -> None:
    """Re-queue outbox rows whose task was lost or whose worker died (beat, every 30 s)."""
    services.requeue_due_messages()
    db.session.commit()  # the commit hands the ids to the broker
