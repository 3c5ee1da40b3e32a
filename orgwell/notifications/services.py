"""Queueing mail through the transactional outbox.

`queue_mail` adds an outbox row in the caller's transaction; nothing is sent until that
transaction commits. After a commit, the ids of the rows it added are handed to the worker
(`dispatch_after_commit`). If that hand-off is lost (broker down, crash right after the
commit), the periodic sweep finds the pending row and queues it again.
"""
from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage

_PENDING_KEY = "orgwell_outbox_ids"


def queue_mail(
    key: str, to_addr: str, template: str, *, organisation_id: int | None = None, **context
) -> OutboxMessage:
    """Add the mail `template` for `to_addr` to the outbox, once per `key`.

    Renders `templates/mail/<template>.txt` (required) and `.html` (optional) with `context`
    plus `base_url`. Returns the existing row when `key` was queued before (idempotent), so
    a task that runs twice never mails twice. Flushes; the caller commits.
    """
    existing = db.session.scalar(select(OutboxMessage).filter_by(key=key))
    if existing is not None:
        return existing
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    subject = render_template(f"mail/{template}.subject.txt", **context).strip()
    text_body = render_template(f"mail/{template}.txt", **context)
    html_body = render_template(f"mail/{template}.html", **context)
    message = OutboxMessage(
        key=key,
        organisation_id=organisation_id,
        to_addr=to_addr,
        subject=subject[:200],
        text_body=text_body,
        html_body=html_body,
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, set()).add(message.id)
    return message


def init_dispatch() -> None:
    """Listen for commits on every session: hand the new outbox rows to the worker."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, None)
    if not ids:
        return
    from worker.mail import send_message

    for message_id in sorted(ids):
        try:
            send_message.delay(message_id)
        except Exception:  # noqa: BLE001 - the broker may be down; the sweep will resend
            current_app.logger.warning("could not queue outbox message %s", message_id)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
