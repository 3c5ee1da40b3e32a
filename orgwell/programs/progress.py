"""Progress for leaders: per team counts, completion rate over time, and (if allowed) per person.

Numbers come from assignments of the cohort, attributed to each person's current teams and
limited to a leader's team scope. Whether leaders see individual people is the
organisation's setting (owners always do; consultants never). Nothing here reads
`Assignment.reflection_text`: it is private to the staff member.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from orgwell.extensions import db
from orgwell.orgs.models import Membership, TeamAssignment
from orgwell.programs.models import (
    Assignment,
    Cohort,
    Enrollment,
    Program,
    ProgramSettings,
)

NO_TEAM = "No team"


def settings_for(org_id: int) -> ProgramSettings:
    """The organisation's program settings (an unsaved default row when none exists)."""
    found = db.session.scalar(select(ProgramSettings).filter_by(organisation_id=org_id))
    return found or ProgramSettings(organisation_id=org_id, leaders_see_people=True)


def save_settings(org_id: int, *, leaders_see_people: bool) -> ProgramSettings:
    """Store the organisation's choice. Flushes."""
    found = db.session.scalar(select(ProgramSettings).filter_by(organisation_id=org_id))
    if found is None:
        found = ProgramSettings(organisation_id=org_id)
        db.session.add(found)
    found.leaders_see_people = leaders_see_people
    db.session.flush()
    return found


def may_see_people(org_id: int, acting_as: str) -> bool:
    """Owners see people; leaders when the organisation allows it; consultants never."""
    if acting_as == "owner":
        return True
    if acting_as == "leader":
        return settings_for(org_id).leaders_see_people
    return False


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

    def add(self, assignment: Assignment, day: date) -> None:
        self._members.add(assignment.membership_id)
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


def current_teams_of(membership_ids) -> dict[int, list]:
    """membership id -> current teams (with parents loaded), for attribution."""
    rows = db.session.scalars(
        select(TeamAssignment)
        .where(TeamAssignment.membership_id.in_(list(membership_ids)),
               TeamAssignment.ended_on.is_(None))
        .options(joinedload(TeamAssignment.team))
    )
    teams = defaultdict(list)
    for row in rows:
        teams[row.membership_id].append(row.team)
    return teams


def scoped_assignments(cohort_ids, team_scope: set[int] | None) -> list[Assignment]:
    """The cohorts' assignments of people in `team_scope` (all people when None)."""
    if not cohort_ids:
        return []
    stmt = (
        select(Assignment)
        .join(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .where(Enrollment.cohort_id.in_(list(cohort_ids)))
        .options(joinedload(Assignment.module))
        .order_by(Assignment.id)
    )
    if team_scope is not None:
        stmt = stmt.where(Assignment.membership_id.in_(
            select(TeamAssignment.membership_id).where(
                TeamAssignment.team_id.in_(team_scope), TeamAssignment.ended_on.is_(None)
            )
        ))
    return list(db.session.scalars(stmt).unique())


def team_rows(assignments, teams_of: dict[int, list], team_scope: set[int] | None,
              day: date) -> tuple[list[Counts], Counts]:
    """Per-team counts (a person counts in each current team in scope) and the total."""
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
    return sorted(rows.values(), key=lambda r: (r.team_id is None, r.label)), total


@dataclass(frozen=True)
class WeekPoint:
    week_ending: date
    released: int
    completed: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.completed / self.released) if self.released else None


def completion_over_time(assignments, start_on: date, day: date) -> list[WeekPoint]:
    """Completion rate at the end of each week since `start_on`, up to `day`.

    Released by then: release date passed (excused and closed work left out); completed by
    then: completed on or before that day.
    """
    counted = [a for a in assignments if a.status not in ("excused", "closed")]
    # After the last due date the curve only flattens: stop a week after it.
    last_due = max((a.due_on for a in counted if a.due_on), default=None)
    if last_due is not None:
        day = min(day, last_due + timedelta(days=7))
    points = []
    week_end = start_on + timedelta(days=6)
    while True:
        cut = min(week_end, day)
        released = sum(1 for a in counted if a.release_on <= cut and (
            a.status != "upcoming"))
        completed = sum(1 for a in counted if a.completed_at is not None
                        and a.completed_at.date() <= cut)
        points.append(WeekPoint(cut, released, completed))
        if week_end >= day or len(points) >= 104:
            return points
        week_end += timedelta(days=7)


@dataclass
class PersonRow:
    enrollment: Enrollment
    name: str
    teams: str
    counts: Counts
    next_due: date | None


def person_rows(assignments, teams_of: dict[int, list], day: date) -> list[PersonRow]:
    """One row per enrollment: completion counts and the next due date (no reflections)."""
    by_enrollment: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_enrollment[assignment.enrollment_id].append(assignment)
    enrollments = {e.id: e for e in db.session.scalars(
        select(Enrollment).where(Enrollment.id.in_(list(by_enrollment)))
        .options(joinedload(Enrollment.membership).joinedload(Membership.user))
    )}
    rows = []
    for enrollment_id, items in by_enrollment.items():
        enrollment = enrollments[enrollment_id]
        counts = Counts(enrollment.membership.user.name)
        for assignment in items:
            counts.add(assignment, day)
        open_due = [a.due_on for a in items if a.status == "available" and a.due_on]
        label = ", ".join(t.label for t in teams_of.get(enrollment.membership_id, [])) or NO_TEAM
        rows.append(PersonRow(enrollment, counts.label, label, counts,
                              min(open_due) if open_due else None))
    return sorted(rows, key=lambda r: r.name.lower())


@dataclass
class CohortProgress:
    cohort: Cohort
    teams: list[Counts]
    total: Counts
    weeks: list[WeekPoint]
    people: list[PersonRow] | None


def cohort_progress(cohort: Cohort, *, team_scope: set[int] | None, show_people: bool,
                    day: date) -> CohortProgress:
    """Everything the cohort progress page shows, scoped to the caller's teams."""
    assignments = scoped_assignments([cohort.id], team_scope)
    teams_of = current_teams_of({a.membership_id for a in assignments})
    teams, total = team_rows(assignments, teams_of, team_scope, day)
    weeks = completion_over_time(assignments, cohort.start_on, day)
    people = person_rows(assignments, teams_of, day) if show_people else None
    return CohortProgress(cohort, teams, total, weeks, people)


@dataclass
class ProgramSummary:
    program: Program
    active: int
    completed: int


def program_summaries(org_id: int) -> list[ProgramSummary]:
    """The organisation's programs (not archived first) with enrollment counts."""
    programs = db.session.scalars(
        select(Program).filter_by(organisation_id=org_id)
        .options(selectinload(Program.versions))
        .order_by(Program.archived, func.lower(Program.name))
    ).all()
    counts = defaultdict(int)
    for program_id, status, number in db.session.execute(
        select(Enrollment.program_id, Enrollment.status, func.count(Enrollment.id))
        .where(Enrollment.organisation_id == org_id)
        .group_by(Enrollment.program_id, Enrollment.status)
    ):
        counts[(program_id, status)] = number
    return [ProgramSummary(p, counts[(p.id, "active")], counts[(p.id, "completed")])
            for p in programs]


@dataclass
class CohortSummary:
    cohort: Cohort
    total: Counts


def cohort_summaries(program: Program, team_scope: set[int] | None,
                     day: date) -> list[CohortSummary]:
    """The program's cohorts that have people in scope, newest first, with totals."""
    cohorts = db.session.scalars(
        select(Cohort).filter_by(program_id=program.id)
        .order_by(Cohort.start_on.desc(), Cohort.id.desc())
    ).all()
    assignments = scoped_assignments([c.id for c in cohorts], team_scope)
    totals: dict[int, Counts] = {}
    cohort_of = dict(db.session.execute(
        select(Enrollment.id, Enrollment.cohort_id).where(Enrollment.program_id == program.id)
    ).all())
    for assignment in assignments:
        cohort_id = cohort_of[assignment.enrollment_id]
        totals.setdefault(cohort_id, Counts("All")).add(assignment, day)
    return [CohortSummary(c, totals[c.id]) for c in cohorts if c.id in totals]
