"""Organisation services: creating an organisation, its clinics and teams, the overview.

Services take plain arguments and flush but never commit: the view, task or command that
calls them owns the transaction. A rule broken by the caller's input raises `FieldError`,
which names the form field it belongs to so that views can show it beside that field.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation, Team, TeamAssignment

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 60


class FieldError(ValueError):
    """Input that breaks a rule only the database can check (a taken name, the last owner)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# --- organisations -------------------------------------------------------------------------


def suggest_slug(name: str) -> str:
    """A free slug derived from `name`: lower case ASCII, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:SLUG_MAX - 4].strip("-")
    base = base or "practice"
    slug, n = base, 1
    while slug_taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


def slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Organisation.id).filter_by(slug=slug)) is not None


def create_organisation(name: str, slug: str, owner: User) -> Organisation:
    """Create an organisation with `owner` as its first owner.

    `slug` must match SLUG_PATTERN (an empty slug is derived from the name). Raises
    FieldError("slug") when it is malformed or taken, FieldError("name") for an empty or
    over-long name. Flushes.
    """
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise FieldError("name", "Give a name of 1 to 120 characters.")
    slug = slug.strip() or suggest_slug(name)
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > SLUG_MAX:
        raise FieldError("slug", "Use lower-case letters, digits and single hyphens.")
    if slug_taken(slug):
        raise FieldError("slug", f"“{slug}” is taken; “{suggest_slug(slug)}” is free.")
    org = Organisation(name=name, slug=slug)
    db.session.add(org)
    db.session.flush()
    db.session.add(Membership(user_id=owner.id, organisation_id=org.id, role="owner"))
    record("organisation_created", target=org, organisation_id=org.id, owner_id=owner.id)
    db.session.flush()
    return org


# --- the overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    """One step of an owner's first run; `endpoint` is where the owner does it."""

    key: str
    label: str
    done: bool
    hint: str
    endpoint: str | None = None


def _organisation_created(org: Organisation) -> ChecklistItem:
    return ChecklistItem("organisation", "Organisation created", True, "")


def _places_added(org: Organisation) -> ChecklistItem:
    done = bool(db.session.scalar(select(func.count(Team.id)).filter_by(organisation_id=org.id)))
    return ChecklistItem(
        "teams", "Clinics and teams added", done,
        "Add each clinic (location), then the teams inside it.", "orgs.teams",
    )


def _staff_imported(org: Organisation) -> ChecklistItem:
    staff = db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == org.id, Membership.role != "owner"
        )
    )
    return ChecklistItem(
        "staff", "Staff imported", bool(staff),
        "Import your staff list from a CSV file, or add people one by one.", "orgs.staff",
    )


# Later steps (a program chosen, a survey scheduled) are appended here, in order.
CHECKLIST_STEPS: list[Callable[[Organisation], ChecklistItem]] = [
    _organisation_created,
    _places_added,
    _staff_imported,
]


def onboarding_checklist(org: Organisation) -> list[ChecklistItem]:
    """The owner's first-run checklist, each item ticked from the organisation's data."""
    return [step(org) for step in CHECKLIST_STEPS]


def current_member_ids(org: Organisation, team_scope: set[int] | None = None):
    """A select of the ids of active memberships, limited to `team_scope` when given."""
    stmt = select(Membership.id).where(
        Membership.organisation_id == org.id, Membership.status == "active"
    )
    if team_scope is not None:
        stmt = stmt.where(
            Membership.id.in_(
                select(TeamAssignment.membership_id).where(
                    TeamAssignment.team_id.in_(team_scope), TeamAssignment.ended_on.is_(None)
                )
            )
        )
    return stmt


def organisation_counts(org: Organisation, team_scope: set[int] | None = None) -> dict[str, int]:
    """Clinics, teams, current staff, people on leave and pending invitations.

    With `team_scope` (a leader's teams) only those teams and their people are counted.
    """
    teams = select(Team).filter_by(organisation_id=org.id)
    if team_scope is not None:
        teams = teams.where(Team.id.in_(team_scope))
    teams = teams.subquery()
    clinics = db.session.scalar(
        select(func.count()).select_from(teams).where(teams.c.parent_id.is_(None))
    )
    inner = db.session.scalar(
        select(func.count()).select_from(teams).where(teams.c.parent_id.is_not(None))
    )
    base = select(func.count(Membership.id)).where(
        Membership.id.in_(current_member_ids(org, team_scope))
    )
    staff = db.session.scalar(base)
    on_leave = db.session.scalar(base.where(Membership.on_leave.is_(True)))
    invited = db.session.scalar(
        base.join(User, User.id == Membership.user_id).where(User.password_hash.is_(None))
    )
    return {
        "clinics": clinics or 0,
        "teams": inner or 0,
        "staff": staff or 0,
        "on_leave": on_leave or 0,
        "invited": invited or 0,
    }


@dataclass(frozen=True)
class Overview:
    """The overview page: counts for everyone, the checklist for owners, teams for leaders."""

    counts: dict[str, int]
    checklist: list[ChecklistItem]
    places: list[PlaceRow]


def overview(org: Organisation, acting_as: str, team_scope: set[int] | None = None) -> Overview:
    """What the overview shows to someone acting as `acting_as` (owner, leader, consultant).

    Consultants get counts only; a leader's counts cover their `team_scope`.
    """
    return Overview(
        counts=organisation_counts(org, team_scope),
        checklist=onboarding_checklist(org) if acting_as == "owner" else [],
        places=clinics_and_teams(org, team_scope) if acting_as == "leader" else [],
    )


# --- clinics and teams ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceRow:
    """A clinic with its teams, or a team; `headcount` counts current staff."""

    team: Team
    headcount: int
    children: tuple[PlaceRow, ...] = ()


def clinics_and_teams(org: Organisation, team_scope: set[int] | None = None) -> list[PlaceRow]:
    """Clinics (each with its teams) in name order, limited to `team_scope` when given.

    A leader whose scope holds a team but not its clinic sees that team at the top level.
    """
    teams = list(db.session.scalars(
        select(Team).filter_by(organisation_id=org.id).order_by(Team.name)
    ))
    if team_scope is not None:
        teams = [t for t in teams if t.id in team_scope]
    counts = dict(
        db.session.execute(
            select(TeamAssignment.team_id, func.count(TeamAssignment.id))
            .join(Membership, Membership.id == TeamAssignment.membership_id)
            .where(
                Membership.organisation_id == org.id,
                Membership.status == "active",
                TeamAssignment.ended_on.is_(None),
            )
            .group_by(TeamAssignment.team_id)
        ).all()
    )
    shown = {t.id for t in teams}
    rows = []
    for team in teams:
        if team.parent_id is not None and team.parent_id in shown:
            continue
        children = tuple(
            PlaceRow(child, counts.get(child.id, 0))
            for child in teams if child.parent_id == team.id
        )
        rows.append(PlaceRow(team, counts.get(team.id, 0), children))
    return rows


def team_choices(org: Organisation, team_scope: set[int] | None = None) -> list[tuple[int, str]]:
    """(id, label) of the organisation's clinics and teams, clinics first by name."""
    return [
        (row.team.id, row.team.label)
        for clinic in clinics_and_teams(org, team_scope)
        for row in (clinic, *clinic.children)
    ]


def clinic_choices(org: Organisation, exclude: Team | None = None) -> list[tuple[int, str]]:
    """(id, name) of the clinics a team may be placed in."""
    stmt = select(Team).filter_by(organisation_id=org.id, parent_id=None).order_by(Team.name)
    return [(t.id, t.name) for t in db.session.scalars(stmt) if exclude is None or t != exclude]


def find_team_by_name(org: Organisation, name: str) -> Team | None:
    """The team called `name` in `org`, ignoring case and surrounding spaces."""
    return db.session.scalar(
        select(Team).where(
            Team.organisation_id == org.id, func.lower(Team.name) == name.strip().lower()
        )
    )


def create_team(org: Organisation, name: str, parent_id: int | None = None) -> Team:
    """Create a clinic (no parent) or a team inside the clinic `parent_id`.

    Raises FieldError("name") for a name already used in the organisation (ignoring case),
    FieldError("parent_id") when the parent is not a clinic of `org`. Flushes.
    """
    name = " ".join(name.split())
    _check_team_name(org, name)
    parent = _check_parent(org, parent_id)
    team = Team(organisation_id=org.id, name=name, parent=parent)
    db.session.add(team)
    db.session.flush()
    record("team_created", target=team, organisation_id=org.id, parent_id=parent_id)
    return team


def update_team(team: Team, name: str, parent_id: int | None) -> Team:
    """Rename a clinic or team, or move a team to another clinic (or make it a clinic).

    A clinic that has teams cannot itself go inside a clinic (one level only). Raises
    FieldError like `create_team`. Flushes.
    """
    org = team.organisation
    name = " ".join(name.split())
    if name.lower() != team.name.lower():
        _check_team_name(org, name)
    if parent_id == team.id:
        raise FieldError("parent_id", "A team cannot be inside itself.")
    parent = _check_parent(org, parent_id)
    if parent is not None and team.children:
        raise FieldError(
            "parent_id", "This clinic has teams of its own, so it cannot go inside another clinic."
        )
    changes = {}
    if name != team.name:
        changes["name"] = {"from": team.name, "to": name}
        team.name = name
    if team.parent_id != parent_id:
        changes["parent_id"] = {"from": team.parent_id, "to": parent_id}
        team.parent = parent
    if changes:
        record("team_updated", target=team, organisation_id=org.id, **changes)
    db.session.flush()
    return team


def _check_team_name(org: Organisation, name: str) -> None:
    if not name:
        raise FieldError("name", "Enter a name.")
    if find_team_by_name(org, name) is not None:
        raise FieldError("name", f"There is already a clinic or team called “{name}”.")


def _check_parent(org: Organisation, parent_id: int | None) -> Team | None:
    if parent_id is None:
        return None
    parent = db.session.get(Team, parent_id)
    if parent is None or parent.organisation_id != org.id or not parent.is_clinic:
        raise FieldError("parent_id", "Choose one of this organisation's clinics.")
    return parent
