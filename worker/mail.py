"""Mail tasks: send one outbox row, and the periodic sweep that re-queues lost ones."""
from __future__ import annotations

from celery import shared_task

from orgwell.extensions import db
from orgwell.notifications import services


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
