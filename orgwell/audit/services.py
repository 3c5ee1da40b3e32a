"""Recording audit events from views, tasks and the CLI."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select

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


# How each action reads in the activity log; unknown actions fall back to their code.
ACTION_LABELS = {
    "login": "logged in",
    "password_changed": "changed their password",
    "password_reset_requested": "asked for a password reset",
    "password_set_via_invite": "accepted an invitation",
    "password_set_via_reset": "reset their password",
    "site_admin_created": "created the site administrator",
    "signed_up": "signed up",
    "api_token_created": "created an API token",
    "api_token_revoked": "revoked an API token",
    "organisation_created": "created the organisation",
    "team_created": "added a clinic or team",
    "team_updated": "changed a clinic or team",
    "person_added": "added a person",
    "person_updated": "changed a person's details",
    "person_left": "marked a person as a leaver",
    "invitation_resent": "sent a new invitation",
    "staff_import_uploaded": "uploaded a staff file",
    "staff_import_confirmed": "confirmed a staff import",
    "staff_imported": "finished a staff import",
    "staff_import_failed": "a staff import failed",
    "owner_invited": "invited an owner",
    "consultant_invited": "invited a consultant",
    "consultant_granted": "gave a consultant access",
    "consultant_revoked": "removed a consultant's access",
    "user_deactivated": "deactivated an account",
    "user_reactivated": "reactivated an account",
    "program_copied": "copied a program from the library",
    "program_created": "created a program",
    "program_updated": "changed a program",
    "program_published": "published a program version",
    "program_enrolled": "enrolled people in a program",
    "program_joiner_enrolled": "enrolled a new team member in a program",
    "assignment_excused": "excused a module",
    "survey_campaign_created": "created a survey campaign",
    "survey_campaign_updated": "changed a survey campaign",
    "survey_campaign_paused": "paused a survey campaign",
    "survey_campaign_resumed": "resumed a survey campaign",
    "survey_wave_sent_now": "sent a survey wave",
    "survey_results_imported": "imported survey results",
    "instrument_uploaded": "loaded an instrument definition",
    "instrument_pulse_saved": "saved a custom pulse",
    "person_erased": "erased a person's data",
    "organisation_exported": "exported the organisation's data",
    "personal_data_downloaded": "downloaded their own data",
    "organisation_deleted": "deleted an organisation",
    "action_created": "planned an action",
    "action_updated": "changed an action",
    "action_status_changed": "changed an action's status",
}


@dataclass(frozen=True)
class ActivityRow:
    event: AuditEvent
    actor: str
    action: str
    target: str


def activity_page(organisation_id: int | None, page: int = 1, per_page: int = 50):
    """A page of audit events, newest first, with actors and targets named.

    `organisation_id` None gives the site-level events (those of no organisation).
    Returns (pagination, rows).
    """
    query = (
        select(AuditEvent)
        .where(AuditEvent.organisation_id.is_(None) if organisation_id is None
               else AuditEvent.organisation_id == organisation_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    events = list(pagination.items)
    names = _names(events)
    rows = [
        ActivityRow(
            event=event,
            actor=names.get(("User", event.actor_id), "OrgWell"),
            action=ACTION_LABELS.get(event.action, event.action.replace("_", " ")),
            # "Alex logged in: Alex" says nothing more than "Alex logged in".
            target=""
            if (event.target_type, event.target_id) == ("User", event.actor_id)
            else names.get((event.target_type, event.target_id), ""),
        )
        for event in events
    ]
    return pagination, rows


def _names(events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    """Readable names of the actors and targets of `events`, one query per kind."""
    from orgwell.auth.models import User
    from orgwell.orgs.models import ImportJob, Membership, Organisation, Team

    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.actor_id:
            wanted["User"].add(event.actor_id)
        if event.target_type and event.target_id:
            wanted[event.target_type].add(event.target_id)
    labels = {
        "User": (User, lambda u: u.name),
        "Membership": (Membership, lambda m: m.user.name),
        "Team": (Team, lambda t: t.label),
        "Organisation": (Organisation, lambda o: o.name),
        "ImportJob": (ImportJob, lambda j: j.filename),
    }
    names = {}
    for kind, ids in wanted.items():
        if kind not in labels:
            continue
        model, label = labels[kind]
        for row in db.session.scalars(select(model).where(model.id.in_(ids))):
            names[(kind, row.id)] = label(row)
    return names
