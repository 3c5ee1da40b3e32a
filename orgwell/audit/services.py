"""Recording audit events from views, tasks and the CLI."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from orgwell.audit.models import AuditEvent
from orgwell.extensions import db

# Keys that must never reach the log, whatever a caller passes.
_FORBIDDEN = {"password", "token", "secret", "answers"}


def record(
    action: str,
    *,
    target=None,
    organisation_id: int | None = None,
    actor_id: int | None = None,
    **details,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits).

    `target` is any model instance with an `id`; `actor_id` defaults to the logged-in user.
    Detail keys naming secrets are dropped.
    """
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        organisation_id=organisation_id,
        target_type=type(target).__name__ if target is not None else None,
        target_id=getattr(target, "id", None),
        details={k: v for k, v in details.items() if k not in _FORBIDDEN},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event
