"""Where each caller lands on `/`, and public sign-up.

Services flush but never commit: the view that calls them owns the transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.auth.services import create_user, find_user, invite_user
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation
from orgwell.templating import user_organisations

# Leaders see survey results only for groups of at least this many people. The metrics
# services own the real rule; this is the figure the staff home page explains.
MIN_REPORTING_GROUP = 5


@dataclass(frozen=True)
class Landing:
    """Where `/` sends a caller.

    kind is one of: setup (no user exists yet), login, admin, overview (an organisation's
    overview), member (the staff home of `organisation`), organisations (a list),
    create (may create an organisation, has none), no_access.
    """

    kind: str
    organisation: Organisation | None = None
    organisations: list[tuple[Organisation, str]] = field(default_factory=list)
    ended: list[Membership] = field(default_factory=list)


def landing_for(user) -> Landing:
    """Decide the home of `user` (the current user, possibly anonymous)."""
    if not user.is_authenticated:
        return Landing("login" if db.session.scalar(select(func.count(User.id))) else "setup")
    organisations = user_organisations(user)
    if not organisations:
        if user.is_site_admin:
            return Landing("admin")
        if user.can_create_organisations:
            return Landing("create")
        return Landing("no_access", ended=ended_memberships(user))
    consultant = user.consulting_firm is not None or any(
        role == "consultant" for _, role in organisations
    )
    if len(organisations) == 1 and not consultant:
        organisation, role = organisations[0]
        return Landing("member" if role == "staff" else "overview", organisation=organisation)
    return Landing("organisations", organisations=organisations)


def ended_memberships(user) -> list[Membership]:
    """The memberships of `user` that have ended, most recent first."""
    return list(
        db.session.scalars(
            select(Membership)
            .filter_by(user_id=user.id, status="left")
            .order_by(Membership.left_on.desc())
        )
    )


def active_staff_counts(organisation_ids: list[int]) -> dict[int, int]:
    """Active members per organisation, in one query."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(Membership.organisation_id, func.count(Membership.id))
        .where(Membership.organisation_id.in_(organisation_ids), Membership.status == "active")
        .group_by(Membership.organisation_id)
    )
    return dict(rows.all())


def sign_up(name: str, email: str) -> User | None:
    """Create an account that may create organisations and mail it a set-password link.

    The password is chosen through the link, which proves the address belongs to the person.
    Returns None, and changes nothing, when the address already has an account: the caller
    shows the same answer either way, so sign-up does not reveal who is registered.
    """
    if find_user(email) is not None:
        return None
    user = create_user(email, name)
    user.can_create_organisations = True
    invite_user(user)
    record("signed_up", target=user, actor_id=user.id)
    db.session.flush()
    return user
