"""Erasing a person from an organisation, on request or some time after they left.

What happens (the policy; README "Data and privacy" says the same):

* Only people who have left can be erased: an owner marks a current staff member as a leaver
  first (that ends their logins and closes their open program work). Nobody can erase
  themselves, and a person is erased once.
* The membership stays as an anonymous shell attached to a stand-in account ("Erased
  person", an address at erased.invalid, no password, deactivated): its role, job, patient-
  facing flag, dates and team history stay, because reports count through them (program
  completion per team and week, headcounts). Nothing in it leads back to the person.
* The person's account: if it belongs to nothing else (no other organisation, no consultant
  grant, not the site administrator), its name and email are replaced in place and its
  logins, links and API tokens are deleted; the account becomes the stand-in. Otherwise the
  account stays for the other organisations and this organisation's records (membership,
  things they created or excused, audit entries) move to a new stand-in account.
* Surveys: confidential answers are unlinked (survey_responses.membership_id = NULL) and
  stay as anonymous answers of their wave and team; wave members and invitations lose the
  link to the membership and invitations their link token, so invited and responded counts
  per wave and team are unchanged.
* Programs: enrollments and assignments stay (completion counts), without the private
  reflection text, practice-log notes and excuse reasons; leave periods are deleted (due
  dates already include the time away).
* Mail: messages to the person's address are emptied (and never sent, if still waiting).
* Audit: an entry "person_erased" (membership id and reason only) is added; older entries
  lose the person's IP addresses, and their name or email address wherever a detail held it.
* Finally every text column of every table of the organisation is scanned and the person's
  full name and email address are replaced by "[erased]" wherever they still appear.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import exists, select

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import ConsultantGrant, Membership
from orgwell.privacy.models import Erasure
from orgwell.privacy.registry import parts
from orgwell.privacy.scrub import scrub_organisation

ERASED_NAME = "Erased person"
ERASED_DOMAIN = "erased.invalid"


class ErasureRefused(ValueError):
    """The membership cannot be erased (still current, already erased)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ErasureContext:
    """What every part needs to erase one person from one organisation.

    `name` and `email` are captured before anything changes. `keep_account`: the person's
    account stays for other organisations, and `stand_in` is a new anonymous account;
    otherwise `stand_in` is the person's own account, anonymised at the end.
    """

    membership: Membership
    org_id: int
    user_id: int
    name: str
    email: str
    keep_account: bool
    stand_in: User

    @property
    def needles(self) -> list[str]:
        return [self.name, self.email]


def erased_address() -> str:
    """A unique address that can never receive mail (the .invalid top-level domain)."""
    return f"erased-{secrets.token_hex(8)}@{ERASED_DOMAIN}"


def is_erased(membership: Membership) -> bool:
    return db.session.scalar(
        select(exists().where(Erasure.membership_id == membership.id))
    )


def erasure_problem(membership: Membership) -> str | None:
    """Why `membership` cannot be erased now, or None when it can."""
    if is_erased(membership):
        return "This person's data has already been erased."
    if membership.status != "left":
        return ("Only people who have left can be erased. Mark them as a leaver first: that "
                "ends their access and closes their open program work.")
    return None


def has_other_ties(user: User, membership: Membership) -> bool:
    """Whether the account is needed elsewhere (another organisation, consulting, admin)."""
    if user.is_site_admin:
        return True
    other = db.session.scalar(select(exists().where(
        Membership.user_id == user.id, Membership.id != membership.id
    )))
    grant = db.session.scalar(select(exists().where(ConsultantGrant.consultant_id == user.id)))
    return bool(other or grant)


def erase_member(
    membership: Membership, *, reason: str = "request", actor_id: int | None = None
) -> Erasure:
    """Erase the person behind `membership` from its organisation (the policy above).

    Runs every registered part, then scrubs the organisation's text. Raises ErasureRefused
    when `erasure_problem` names a reason. Flushes; the caller commits.
    """
    problem = erasure_problem(membership)
    if problem:
        raise ErasureRefused(problem)
    user = membership.user
    keep = has_other_ties(user, membership)
    if keep:
        stand_in = User(name=ERASED_NAME, email=erased_address(), active=False)
        db.session.add(stand_in)
        db.session.flush()
    else:
        stand_in = user
    ctx = ErasureContext(
        membership=membership, org_id=membership.organisation_id, user_id=user.id,
        name=user.name, email=user.email, keep_account=keep, stand_in=stand_in,
    )
    db.session.flush()
    for part in parts():
        if part.erase_member is not None:
            part.erase_member(ctx)
    db.session.flush()
    scrub_organisation(ctx.org_id, ctx.needles)
    db.session.expire_all()
    erasure = Erasure(organisation_id=ctx.org_id, membership_id=membership.id, reason=reason)
    db.session.add(erasure)
    event = record(
        "person_erased", target=membership, organisation_id=ctx.org_id, actor_id=actor_id,
        reason=reason,
    )
    if reason == "automatic":
        event.actor_id = None
    db.session.flush()
    return erasure


# --- leavers erased automatically ------------------------------------------------------------


def erase_after_days() -> int:
    """ERASE_LEAVERS_AFTER_DAYS: days after leaving before a person is erased; 0 = never."""
    return current_app.config["ERASE_LEAVERS_AFTER_DAYS"]


def due_leaver_ids(today: date | None = None) -> list[int]:
    """Memberships that left at least ERASE_LEAVERS_AFTER_DAYS ago and are not erased."""
    days = erase_after_days()
    if days <= 0:
        return []
    cutoff = (today or utcnow().date()) - timedelta(days=days)
    return list(db.session.scalars(
        select(Membership.id)
        .where(
            Membership.status == "left",
            Membership.left_on.is_not(None),
            Membership.left_on <= cutoff,
            ~exists().where(Erasure.membership_id == Membership.id),
        )
        .order_by(Membership.id)
    ))


def erase_due_leaver(membership_id: int, today: date | None = None) -> bool:
    """Erase one leaver if they are (still) due; True when erased. Safe to run twice."""
    membership = db.session.get(Membership, membership_id)
    days = erase_after_days()
    if membership is None or days <= 0 or membership.status != "left" or not membership.left_on:
        return False
    if membership.left_on > (today or utcnow().date()) - timedelta(days=days):
        return False
    if is_erased(membership):
        return False
    erase_member(membership, reason="automatic")
    return True
