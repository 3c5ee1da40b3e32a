"""Deleting an organisation with everything in it.

The owner confirms by typing the organisation's web address (its slug). Every registered
part may first do what must happen while the rows still exist (the accounts part ends the
logins of the people who belonged only to this organisation); then the rows of every table
that belongs to the organisation are deleted in one pass, children before parents, so the
result does not depend on each foreign key's ON DELETE; then the parts' follow-ups run
(accounts of people who belonged only here are deleted, and their mail with them). Other
organisations are not touched: every DELETE is limited by the foreign-key path to this
organisation's id. A site-level audit entry records the deletion (name and slug only).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import exists, select

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.orgs.models import Organisation
from orgwell.privacy.registry import covered_tables, parts
from orgwell.privacy.scope import delete_org_rows


class ConfirmationMismatch(ValueError):
    """The typed confirmation is not the organisation's slug."""


@dataclass
class DeletionContext:
    org: Organisation
    org_id: int
    after: list[Callable[[], None]] = field(default_factory=list)
    # Users whose logins were ended (they belonged only to this organisation).
    ended_logins: set[int] = field(default_factory=set)


def confirmation_matches(org: Organisation, typed: str | None) -> bool:
    """Whether `typed` is the organisation's slug (surrounding spaces and case ignored)."""
    return (typed or "").strip().lower() == org.slug


def delete_organisation(
    org: Organisation, typed: str | None, *, actor_id: int | None = None
) -> DeletionContext:
    """Delete `org` and all its rows. Raises ConfirmationMismatch when `typed` is not its slug.

    Returns the context (ended_logins tells the view whether the caller is logged out).
    Flushes; the caller commits.
    """
    if not confirmation_matches(org, typed):
        raise ConfirmationMismatch("Type the organisation's web address exactly.")
    ctx = DeletionContext(org=org, org_id=org.id)
    name, slug = org.name, org.slug
    db.session.flush()
    for part in parts():
        if part.delete_org is not None:
            part.delete_org(ctx)
    counts = delete_org_rows(ctx.org_id, covered_tables())
    for follow_up in ctx.after:
        follow_up()
    db.session.expunge_all()
    actor_exists = actor_id is not None and db.session.scalar(
        select(exists().where(User.id == actor_id))
    )
    event = record(
        "organisation_deleted", organisation_id=None, actor_id=actor_id if actor_exists else None,
        name=name, slug=slug, rows=sum(counts.values()),
    )
    if not actor_exists:
        event.actor_id = None
    db.session.flush()
    return ctx
