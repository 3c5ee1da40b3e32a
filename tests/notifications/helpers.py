"""Outbox rows for tests: queued like the app does, or planted as if a hand-off was lost."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.notifications.services import queue_mail


def queue_reset_mail(key: str, to_addr: str) -> OutboxMessage:
    """queue_mail with the password-reset template (flushes; commit to hand it over)."""
    return queue_mail(
        key,
        to_addr,
        "reset",
        user=SimpleNamespace(name="Alex Doe"),
        link=f"http://orgwell.test/reset/{key}",
        valid_hours=2,
    )


def plant_message(key: str, to_addr: str, *, age: timedelta = timedelta(0), **values):
    """An outbox row added behind the dispatcher's back (no task is queued for it)."""
    fields = {
        "subject": f"Planted {key}",
        "text_body": f"Hello, see http://orgwell.test/{key}",
        "html_body": f'<p>Hello, see <a href="http://orgwell.test/{key}">this</a></p>',
        "created_at": utcnow() - age,
        **values,
    }
    message = OutboxMessage(key=key, to_addr=to_addr, **fields)
    db.session.add(message)
    db.session.flush()
    return message
