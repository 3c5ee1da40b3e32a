"""Site administration services: what the admin pages show and the changes they make.

Services flush but never commit: the view that calls them owns the transaction. Nothing
here reads survey data; the site admin sees organisations and accounts only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from orgwell.audit.services import record
from orgwell.auth.models import User, UserToken
from orgwell.auth.services import create_user, invite_user
from orgwell.auth.sessions import end_all_sessions
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import ConsultantGrant, Membership, Organisation

USERS_PER_PAGE = 50


class AdminError(Exception):
    """A change the admin asked for that cannot be made; the message says why."""


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    owners: list[User]
    staff_count: int


@dataclass(frozen=True)
class ConsultantRow:
    consultant: User
    grants: list[ConsultantGrant]
    invitation_pending: bool


@dataclass(frozen=True)
class InvitedOwner:
    user: User
    status: str  # "ready" (password set), "invited" or "expired"
    invitation_expires_at: datetime | None


# ----- what the pages show -----------------------------------------------------------------

def site_counts() -> dict[str, int]:
    """Organisations, accounts, consultants and pending invitations on the whole site."""
    return {
        "organisations": db.session.scalar(select(func.count(Organisation.id))),
        "users": db.session.scalar(select(func.count(User.id))),
        "pending_invitations": db.session.scalar(
            select(func.count(func.distinct(UserToken.user_id))).where(*_live_invite())
        ),
        "consultants": db.session.scalar(
            select(func.count(User.id)).where(User.consulting_firm.is_not(None))
        ),
    }


def organisation_rows() -> list[OrganisationRow]:
    """Every organisation with its owners and its number of active members."""
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    counts = dict(
        db.session.execute(
            select(Membership.organisation_id, func.count(Membership.id))
            .where(Membership.status == "active")
            .group_by(Membership.organisation_id)
        ).all()
    )
    owners: dict[int, list[User]] = {}
    for membership in db.session.scalars(
        select(Membership)
        .where(Membership.role == "owner", Membership.status == "active")
        .join(Membership.user)
        .order_by(User.name)
    ):
        owners.setdefault(membership.organisation_id, []).append(membership.user)
    return [
        OrganisationRow(org, owners.get(org.id, []), counts.get(org.id, 0)) for org in organisations
    ]


def organisation_choices() -> list[tuple[int, str]]:
    return [
        (org.id, f"{org.name} ({org.slug})")
        for org in db.session.scalars(select(Organisation).order_by(Organisation.name))
    ]


def consultant_rows() -> list[ConsultantRow]:
    """Every consultant with the organisations they may currently open."""
    consultants = db.session.scalars(
        select(User).where(User.consulting_firm.is_not(None)).order_by(User.name)
    ).all()
    grants: dict[int, list[ConsultantGrant]] = {}
    for grant in db.session.scalars(
        select(ConsultantGrant)
        .where(ConsultantGrant.revoked_at.is_(None))
        .join(ConsultantGrant.organisation)
        .order_by(Organisation.name)
    ):
        grants.setdefault(grant.consultant_id, []).append(grant)
    return [
        ConsultantRow(user, grants.get(user.id, []), not user.has_password) for user in consultants
    ]


def invited_owners() -> list[InvitedOwner]:
    """People allowed to create an organisation who do not own one yet."""
    owning = select(Membership.user_id).filter_by(role="owner", status="active")
    users = db.session.scalars(
        select(User)
        .where(User.can_create_organisations, User.id.not_in(owning))
        .order_by(User.created_at.desc())
    ).all()
    expiry = dict(
        db.session.execute(
            select(UserToken.user_id, func.max(UserToken.expires_at))
            .where(UserToken.purpose == "invite", UserToken.used_at.is_(None))
            .group_by(UserToken.user_id)
        ).all()
    )
    now = utcnow()

    def status(user: User) -> str:
        if user.has_password:
            return "ready"
        return "invited" if expiry.get(user.id) and expiry[user.id] > now else "expired"

    return [InvitedOwner(u, status(u), expiry.get(u.id)) for u in users]


def find_users(query: str = "", page: int = 1):
    """A page of accounts, searched by name or email (a flask-sqlalchemy Pagination)."""
    statement = select(User).order_by(User.name)
    if query.strip():
        pattern = f"%{query.strip()}%"
        statement = statement.where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    return db.paginate(statement, page=page, per_page=USERS_PER_PAGE, error_out=False)


def membership_counts(user_ids: list[int]) -> dict[int, int]:
    """Active memberships per user, in one query."""
    if not user_ids:
        return {}
    return dict(
        db.session.execute(
            select(Membership.user_id, func.count(Membership.id))
            .where(Membership.user_id.in_(user_ids), Membership.status == "active")
            .group_by(Membership.user_id)
        ).all()
    )


def _live_invite():
    return (
        UserToken.purpose == "invite",
        UserToken.used_at.is_(None),
        UserToken.expires_at > utcnow(),
    )


# ----- changes -----------------------------------------------------------------------------

def invite_owner(name: str, email: str, *, invited_by: User) -> User:
    """Create an account that may create organisations and mail it an invitation.

    The account has no password until the invitee sets one through the link.
    """
    user = create_user(email, name)
    user.can_create_organisations = True
    invite_user(user, invited_by=invited_by)
    record("owner_invited", target=user, email=user.email)
    db.session.flush()
    return user


def invite_consultant(
    name: str, email: str, firm: str, *, organisation_ids: list[int], invited_by: User
) -> User:
    """Create a consultant's account, grant it the given organisations and mail an invitation."""
    user = create_user(email, name)
    user.consulting_firm = firm.strip()
    invite_user(user, invited_by=invited_by)
    record("consultant_invited", target=user, email=user.email, firm=user.consulting_firm)
    for organisation_id in organisation_ids:
        grant_access(user, db.session.get(Organisation, organisation_id), granted_by=invited_by)
    db.session.flush()
    return user


def grant_access(consultant: User, organisation: Organisation, *, granted_by: User):
    """Let `consultant` open `organisation`; a revoked grant is restored.

    Raises AdminError when the consultant already has access.
    """
    grant = db.session.scalar(
        select(ConsultantGrant).filter_by(
            consultant_id=consultant.id, organisation_id=organisation.id
        )
    )
    if grant is not None and grant.revoked_at is None:
        raise AdminError(f"{consultant.name} already has access to {organisation.name}.")
    if grant is None:
        grant = ConsultantGrant(consultant=consultant, organisation=organisation)
        db.session.add(grant)
    grant.revoked_at = None
    grant.granted_by_id = granted_by.id
    db.session.flush()
    record("consultant_granted", target=grant, organisation_id=organisation.id,
           consultant_id=consultant.id)
    return grant


def revoke_access(grant: ConsultantGrant) -> None:
    """End a consultant's access to one organisation (the row stays, as history)."""
    if grant.revoked_at is not None:
        raise AdminError("This access was already revoked.")
    grant.revoked_at = utcnow()
    record("consultant_revoked", target=grant, organisation_id=grant.organisation_id,
           consultant_id=grant.consultant_id)
    db.session.flush()


def resend_invitation(user: User, *, by: User) -> None:
    """Mail a fresh set-password link to someone who has not chosen a password yet."""
    if user.has_password:
        raise AdminError(f"{user.name} has already chosen a password.")
    if not user.active:
        raise AdminError(f"{user.name} is deactivated; reactivate the account first.")
    invite_user(user, invited_by=by, resend=True)
    record("invitation_resent", target=user)
    db.session.flush()


def set_active(user: User, active: bool, *, by: User) -> None:
    """Deactivate (ending every login at once) or reactivate an account."""
    if user.id == by.id and not active:
        raise AdminError("You cannot deactivate your own account.")
    if user.active == active:
        raise AdminError(f"{user.name} is already {'active' if active else 'deactivated'}.")
    user.active = active
    if not active:
        end_all_sessions(user)
    record("user_reactivated" if active else "user_deactivated", target=user)
    db.session.flush()
