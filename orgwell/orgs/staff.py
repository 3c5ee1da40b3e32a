"""Staff services: the staff list, adding a person, changing a person, leavers, invitations.

Services take plain arguments and flush but never commit. Every change records an audit
event (ids and changed fields only: no secrets, no email addresses).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import contains_eager, selectinload

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.auth.services import create_user, find_user, invite_user
from orgwell.auth.sessions import end_all_sessions
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.events import emit
from orgwell.orgs.models import ROLES, Membership, Organisation, Team, TeamAssignment
from orgwell.orgs.services import FieldError

# Filter values of the staff page; "current" (everyone who has not left) is the default.
STATUS_FILTERS = {
    "current": "Current staff",
    "invited": "Invited",
    "active": "Active",
    "on_leave": "On leave",
    "left": "Left",
    "all": "Everyone",
}
PER_PAGE = 50


def today() -> date:
    """Today in UTC, the date every team move and leaving date is compared with."""
    return utcnow().date()


def membership_status(membership: Membership) -> str:
    """What the staff page shows: 'left', 'on leave', 'invited' or 'active'."""
    if membership.status == "left":
        return "left"
    if membership.on_leave:
        return "on leave"
    if not membership.user.has_password:
        return "invited"
    return "active"


@dataclass(frozen=True)
class StaffFilter:
    team_id: int | None = None
    status: str = "current"
    page: int = 1


def list_staff(org: Organisation, flt: StaffFilter, team_scope: set[int] | None = None):
    """One page (a Flask-SQLAlchemy Pagination) of the organisation's memberships by name.

    `team_scope` limits the list to people currently in those teams (a leader's view);
    `flt.team_id` to one team or clinic (a clinic includes its teams).
    """
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == org.id)
        .options(
            contains_eager(Membership.user),
            selectinload(Membership.team_assignments)
            .joinedload(TeamAssignment.team)
            .joinedload(Team.parent),
        )
        .order_by(func.lower(User.name), Membership.id)
    )
    if team_scope is not None:
        stmt = stmt.where(_in_teams(team_scope))
    if flt.team_id is not None:
        children = select(Team.id).where(Team.parent_id == flt.team_id)
        wanted = {flt.team_id, *db.session.scalars(children)}
        stmt = stmt.where(_in_teams(wanted))
    stmt = _with_status(stmt, flt.status)
    return db.paginate(stmt, page=max(flt.page, 1), per_page=PER_PAGE, error_out=False)


def _in_teams(team_ids):
    return exists().where(
        TeamAssignment.membership_id == Membership.id,
        TeamAssignment.team_id.in_(team_ids),
        TeamAssignment.ended_on.is_(None),
    )


def _with_status(stmt, status: str):
    active = Membership.status == "active"
    if status == "current":
        return stmt.where(active)
    if status == "left":
        return stmt.where(Membership.status == "left")
    if status == "on_leave":
        return stmt.where(active, Membership.on_leave.is_(True))
    if status == "invited":
        return stmt.where(active, Membership.on_leave.is_(False), User.password_hash.is_(None))
    if status == "active":
        return stmt.where(active, Membership.on_leave.is_(False), User.password_hash.is_not(None))
    return stmt


def add_person(
    org: Organisation,
    *,
    name: str,
    email: str,
    team_ids: list[int],
    role: str = "staff",
    job_title: str | None = None,
    patient_facing: bool = True,
    start_date: date | None = None,
    invited_by: User | None = None,
) -> Membership:
    """Add someone to `org`: their user (when the email is new), membership and teams.

    Queues an invitation when the user has no password yet (it is sent after the commit).
    Raises FieldError("email") when the person already has a membership here, whatever its
    status, and FieldError("team_ids") for a team of another organisation. Flushes.
    """
    if role not in ROLES:
        raise FieldError("role", "Choose a role.")
    teams = _teams_of(org, team_ids)
    user = find_user(email)
    if user is not None and _membership_of(org, user) is not None:
        raise FieldError("email", "This person already has a membership in this organisation.")
    if user is None:
        user = create_user(email, name)
    membership = Membership(
        user=user, organisation=org, role=role, job_title=job_title or None,
        patient_facing=patient_facing, start_date=start_date,
    )
    db.session.add(membership)
    started = start_date or today()
    for team in teams:
        db.session.add(TeamAssignment(membership=membership, team=team, started_on=started))
    db.session.flush()
    invite_if_needed(membership, invited_by=invited_by)
    if teams:
        emit("joined_teams", membership, team_ids=[t.id for t in teams], on=started)
    record(
        "person_added", target=membership, organisation_id=org.id,
        actor_id=invited_by.id if invited_by else None,
        role=role, team_ids=[t.id for t in teams],
    )
    return membership


def invite_if_needed(membership: Membership, *, invited_by: User | None = None) -> bool:
    """Invite the member when they have never set a password; True when a mail was queued.

    People who already have an account simply find the organisation in their menu.
    """
    if membership.user.has_password:
        return False
    invite_user(membership.user, invited_by=invited_by, organisation=membership.organisation)
    return True


def update_person(
    membership: Membership,
    *,
    team_ids: list[int],
    role: str,
    job_title: str | None,
    patient_facing: bool,
    on_leave: bool,
) -> Membership:
    """Change a current member's teams, role, job and leave.

    A team move ends the old TeamAssignment today and starts a new one, so history is kept.
    Raises FieldError("role") when this would leave the organisation without an active
    owner, FieldError("team_ids") for foreign teams. Flushes.
    """
    if membership.status != "active":
        raise FieldError("role", "This person has left; their record can no longer change.")
    if role not in ROLES:
        raise FieldError("role", "Choose a role.")
    if membership.role == "owner" and role != "owner":
        _check_other_owner(membership)
    org = membership.organisation
    wanted = {t.id: t for t in _teams_of(org, team_ids)}
    moved_on = today()
    current = {a.team_id: a for a in membership.team_assignments if a.ended_on is None}
    for team_id, assignment in current.items():
        if team_id not in wanted:
            assignment.ended_on = moved_on
    for team_id, team in wanted.items():
        if team_id not in current:
            db.session.add(TeamAssignment(membership=membership, team=team, started_on=moved_on))
    changes = {}
    for field, value in (
        ("role", role), ("job_title", job_title or None),
        ("patient_facing", patient_facing), ("on_leave", on_leave),
    ):
        if getattr(membership, field) != value:
            changes[field] = {"from": getattr(membership, field), "to": value}
            setattr(membership, field, value)
    if set(current) != set(wanted):
        changes["team_ids"] = {"from": sorted(current), "to": sorted(wanted)}
    db.session.flush()
    # Other domains react after the change is flushed (programs: leave, joiners).
    if "on_leave" in changes:
        emit("leave_started" if on_leave else "leave_ended", membership, on=moved_on)
    joined = sorted(set(wanted) - set(current))
    if joined:
        emit("joined_teams", membership, team_ids=joined, on=moved_on)
    if changes:
        record("person_updated", target=membership, organisation_id=org.id, **changes)
    return membership


def mark_leaver(membership: Membership, left_on: date, *, actor: User | None = None) -> None:
    """Record that a person left on `left_on`: they lose access and their sessions end.

    Their team assignments end that day (history stays). Raises FieldError("left_on") for a
    future date or one before they started, FieldError("left_on") when they are the last
    owner or the caller themself. Flushes.
    """
    if membership.status == "left":
        raise FieldError("left_on", "This person has already left.")
    if actor is not None and membership.user_id == actor.id:
        raise FieldError("left_on", "You cannot mark yourself as a leaver.")
    if left_on > today():
        raise FieldError("left_on", "Use their last day once it has come; it is in the future.")
    if membership.start_date and left_on < membership.start_date:
        raise FieldError("left_on", "They cannot leave before their start date.")
    if membership.role == "owner":
        _check_other_owner(membership, field="left_on")
    membership.status = "left"
    membership.left_on = left_on
    for assignment in membership.team_assignments:
        if assignment.ended_on is None:
            assignment.ended_on = max(left_on, assignment.started_on)
    # Every login ends, not only this organisation's pages: a copied cookie stops working.
    end_all_sessions(membership.user)
    db.session.flush()
    emit("left", membership, on=left_on)
    record(
        "person_left", target=membership, organisation_id=membership.organisation_id,
        left_on=left_on.isoformat(),
    )


def resend_invitation(membership: Membership, *, invited_by: User | None = None) -> None:
    """Send a new invitation link to a current member who has not set a password yet.

    The earlier links keep working until they expire. Raises FieldError("email") when
    there is nothing to resend. Flushes.
    """
    user, org = membership.user, membership.organisation
    if membership.status != "active" or user.has_password:
        raise FieldError("email", "This person has already set a password.")
    invite_user(user, invited_by=invited_by, organisation=org, resend=True)
    record("invitation_resent", target=membership, organisation_id=org.id)


def team_history(membership: Membership) -> list[TeamAssignment]:
    """Every team assignment of the member, the current ones first, then newest first."""
    return sorted(
        membership.team_assignments,
        key=lambda a: (a.ended_on is not None, -a.started_on.toordinal(), a.id),
    )


def _teams_of(org: Organisation, team_ids: list[int]) -> list[Team]:
    ids = set(team_ids)
    if not ids:
        return []
    teams = list(db.session.scalars(
        select(Team).where(Team.organisation_id == org.id, Team.id.in_(ids)).order_by(Team.name)
    ))
    if len(teams) != len(ids):
        raise FieldError("team_ids", "Choose teams of this organisation.")
    return teams


def _membership_of(org: Organisation, user: User) -> Membership | None:
    return db.session.scalar(
        select(Membership).filter_by(organisation_id=org.id, user_id=user.id)
    )


def _check_other_owner(membership: Membership, field: str = "role") -> None:
    others = db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == membership.organisation_id,
            Membership.role == "owner",
            Membership.status == "active",
            Membership.id != membership.id,
        )
    )
    if not others:
        raise FieldError(field, "The organisation needs at least one other owner first.")
