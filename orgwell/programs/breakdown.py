"""Who counts where on the progress pages: a group's assignment counts, and the team rows.

`team_breakdown` gives one row per team for a viewer who sees people; when people are hidden
from the viewer, the rows are the groups `confidentiality.decide` shows (`decided_breakdown`),
so no hidden group can be worked out from the total and the rows shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from orgwell.home.services import MIN_REPORTING_GROUP
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Node
from orgwell.programs.models import Assignment

NO_TEAM = "No team"
WHOLE_CLINIC = "{clinic} (all teams)"
TOO_FEW = f"fewer than {MIN_REPORTING_GROUP} people"
TOTAL_KEY = "total"


@dataclass
class Counts:
    """Assignment counts of a group; `rate` is completed / (released - excused), in %."""

    label: str
    people: int = 0
    released: int = 0
    completed: int = 0
    overdue: int = 0
    excused: int = 0
    team_id: int | None = None
    _members: set = field(default_factory=set, repr=False)
    # The assignments counted (each once), for the completion rate over time.
    items: list = field(default_factory=list, repr=False)

    def add(self, assignment: Assignment, day: date) -> None:
        self._members.add(assignment.membership_id)
        self.items.append(assignment)
        self.people = len(self._members)
        if assignment.status in ("upcoming", "closed"):
            return
        self.released += 1
        if assignment.status == "completed":
            self.completed += 1
        elif assignment.status == "excused":
            self.excused += 1
        elif assignment.is_overdue_on(day):
            self.overdue += 1

    @property
    def expected(self) -> int:
        return self.released - self.excused

    @property
    def rate(self) -> int | None:
        return round(100 * self.completed / self.expected) if self.expected else None


@dataclass(frozen=True)
class HiddenRow:
    """A group left out, and why (TOO_FEW or confidentiality.REASON_DIFFERENCING)."""

    label: str
    reason: str

    def __str__(self) -> str:
        return f"{self.label} ({self.reason})"


@dataclass
class TeamBreakdown:
    """Team rows and the total; `hidden` names the groups left out and why."""

    rows: list[Counts]
    total: Counts
    hidden: list[HiddenRow] = field(default_factory=list)
    total_hidden: bool = False
    total_reason: str | None = None


def team_breakdown(assignments, teams_of: dict[int, list], team_scope: set[int] | None,
                   day: date, *, hide_small: bool = False) -> TeamBreakdown:
    """Per-team counts and the total of `assignments`.

    A viewer who sees people gets one row per current team in scope (a person counts in
    each). With `hide_small` (people are hidden from the viewer) the rows are the groups
    `confidentiality.decide` shows (see `decided_breakdown`).
    """
    if hide_small:
        return decided_breakdown(assignments, teams_of, team_scope, day)
    rows: dict[object, Counts] = {}
    total = Counts("All teams")
    for assignment in assignments:
        total.add(assignment, day)
        teams = [t for t in teams_of.get(assignment.membership_id, [])
                 if team_scope is None or t.id in team_scope]
        for team in teams or [None]:
            key = team.id if team else None
            if key not in rows:
                rows[key] = Counts(team.label if team else NO_TEAM, team_id=key)
            rows[key].add(assignment, day)
    ordered = sorted(rows.values(), key=lambda r: (r.team_id is None, r.label))
    return TeamBreakdown(ordered, total)


def decided_breakdown(assignments, teams_of: dict[int, list], team_scope: set[int] | None,
                      day: date) -> TeamBreakdown:
    """The family total > clinics > teams (and "No team"), decided once on people.

    Each person counts in ONE team -- their most specific current team in scope, as the
    metrics rollups attribute them -- so the groups nest and a clinic counts everyone in it
    and its teams; someone counted in two teams would let their own numbers be worked out
    from the total. The family is decided with k = MIN_REPORTING_GROUP: a shown group has
    at least k people, and the total (or a clinic) minus the groups shown under it is 0 or
    at least k people, so no hidden group can be derived. Hidden groups carry the reason.
    """
    total = Counts("All teams")
    groups: dict[str, Counts] = {}
    parents: dict[str, str] = {}
    for assignment in assignments:
        total.add(assignment, day)
        team = _most_specific(teams_of.get(assignment.membership_id, []), team_scope)
        for key, label, parent, team_id in _chain(team):
            if key not in groups:
                groups[key] = Counts(label, team_id=team_id)
                parents[key] = parent
            groups[key].add(assignment, day)
    with_teams = set(parents.values())
    for key, row in groups.items():
        if key in with_teams:
            row.label = WHOLE_CLINIC.format(clinic=row.label)
    decision = confidentiality.decide(
        [Node(TOTAL_KEY, None, (total.people,))]
        + [Node(key, parents[key], (row.people,)) for key, row in groups.items()],
        MIN_REPORTING_GROUP, too_few=TOO_FEW,
    )
    order = sorted(groups, key=lambda key: (key == NO_TEAM, groups[key].label))
    return TeamBreakdown(
        [groups[key] for key in order if decision.is_shown(key)],
        total,
        [HiddenRow(groups[key].label, decision.reason(key))
         for key in order if not decision.is_shown(key)],
        not decision.is_shown(TOTAL_KEY),
        decision.reason(TOTAL_KEY),
    )


def _most_specific(teams, team_scope: set[int] | None):
    """A team inside a clinic before a clinic, then the lowest id (metrics.rebuild does so)."""
    teams = [t for t in teams if team_scope is None or t.id in team_scope]
    return min(teams, key=lambda t: (t.parent_id is None, t.id), default=None)


def _chain(team) -> list[tuple[str, str, str, int | None]]:
    """(key, label, parent key, team id) of each group a person of `team` counts in."""
    if team is None:
        return [(NO_TEAM, NO_TEAM, TOTAL_KEY, None)]
    if team.parent_id is None:
        return [(f"clinic:{team.id}", team.name, TOTAL_KEY, team.id)]
    clinic = team.parent
    return [(f"team:{team.id}", team.label, f"clinic:{clinic.id}", team.id),
            (f"clinic:{clinic.id}", clinic.name, TOTAL_KEY, clinic.id)]
