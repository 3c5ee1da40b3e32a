"""Progress for leaders: per team counts, completion rate over time, and (if allowed) per person.

Numbers come from assignments of the cohort, attributed to each person's current teams and
limited to a leader's team scope. Whether leaders see individual people is the
organisation's setting (owners always do; consultants never). When people are hidden, which
groups are shown is decided by `metrics.confidentiality.decide`, the one place that rule
lives: the total, each clinic and each team form one family (measure: people, k =
MIN_REPORTING_GROUP), so neither a small team nor "the total minus the teams shown" can
single someone out. Hidden groups are listed with the reason.
Nothing here reads `Assignment.reflection_text`: it is private to the staff member.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from orgwell.extensions import db
from orgwell.home.services import MIN_REPORTING_GROUP
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Node
from orgwell.orgs.models import Membership, TeamAssignment
from orgwell.programs.breakdown import (
    NO_TEAM,
    TOTAL_KEY,
    Counts,
    HiddenRow,
    TeamBreakdown,
    team_breakdown,
)
from orgwell.programs.models import (
    Assignment,
    Cohort,
    Enrollment,
    Program,
    ProgramSettings,
)


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


@dataclass(frozen=True)
class WeekPoint:
    week_ending: date
    released: int
    completed: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.completed / self.released) if self.released else None


def _counted(assignments) -> list[Assignment]:
    return [a for a in assignments if a.status not in ("excused", "closed")]


def week_endings(assignments, start_on: date, day: date) -> list[date]:
    """The end of each week since `start_on` up to `day` (the last one cut at `day`).

    After the last due date the curve only flattens: it stops a week after it.
    """
    last_due = max((a.due_on for a in _counted(assignments) if a.due_on), default=None)
    if last_due is not None:
        day = min(day, last_due + timedelta(days=7))
    cuts = []
    week_end = start_on + timedelta(days=6)
    while True:
        cuts.append(min(week_end, day))
        if week_end >= day or len(cuts) >= 104:
            return cuts
        week_end += timedelta(days=7)


def point_at(assignments, cut: date) -> WeekPoint:
    """Released by `cut` (release date passed; excused and closed work left out) and
    completed on or before it."""
    counted = _counted(assignments)
    released = sum(1 for a in counted if a.release_on <= cut and a.status != "upcoming")
    completed = sum(1 for a in counted if a.completed_at is not None
                    and a.completed_at.date() <= cut)
    return WeekPoint(cut, released, completed)


def completion_over_time(assignments, start_on: date, day: date) -> list[WeekPoint]:
    """Completion rate at the end of each week since `start_on`, up to `day`."""
    return [point_at(assignments, cut) for cut in week_endings(assignments, start_on, day)]


@dataclass(frozen=True)
class WeekRow:
    """One week of the over-time table: a point per shown team row, and the total."""

    week_ending: date
    teams: list[WeekPoint]
    total: WeekPoint | None


def weeks_by_team(breakdown: TeamBreakdown, assignments, start_on: date,
                  day: date) -> list[WeekRow]:
    """Completion over time for each team row shown (same weeks for all) and the total."""
    return [
        WeekRow(cut, [point_at(row.items, cut) for row in breakdown.rows],
                None if breakdown.total_hidden else point_at(assignments, cut))
        for cut in week_endings(assignments, start_on, day)
    ]


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
    weeks: list[WeekRow]
    people: list[PersonRow] | None
    hidden: list[HiddenRow] = field(default_factory=list)
    total_hidden: bool = False
    total_reason: str | None = None


def cohort_progress(cohort: Cohort, *, team_scope: set[int] | None, show_people: bool,
                    day: date) -> CohortProgress:
    """Everything the cohort progress page shows, scoped to the caller's teams.

    Without `show_people` the groups shown are decided on people (`breakdown.decided_breakdown`).
    """
    assignments = scoped_assignments([cohort.id], team_scope)
    teams_of = current_teams_of({a.membership_id for a in assignments})
    found = team_breakdown(assignments, teams_of, team_scope, day, hide_small=not show_people)
    weeks = weeks_by_team(found, assignments, cohort.start_on, day)
    people = person_rows(assignments, teams_of, day) if show_people else None
    return CohortProgress(cohort, found.rows, found.total, weeks, people, found.hidden,
                          found.total_hidden, found.total_reason)


@dataclass
class ProgramSummary:
    program: Program
    active: int
    completed: int


def program_summaries(org_id: int, team_scope: set[int] | None = None) -> list[ProgramSummary]:
    """The organisation's programs (not archived first) with enrollment counts.

    A leader (`team_scope`) counts only people currently in their teams.
    """
    programs = db.session.scalars(
        select(Program).filter_by(organisation_id=org_id)
        .options(selectinload(Program.versions))
        .order_by(Program.archived, func.lower(Program.name))
    ).all()
    counts = defaultdict(int)
    stmt = (
        select(Enrollment.program_id, Enrollment.status, func.count(Enrollment.id))
        .where(Enrollment.organisation_id == org_id)
        .group_by(Enrollment.program_id, Enrollment.status)
    )
    if team_scope is not None:
        stmt = stmt.where(Enrollment.membership_id.in_(
            select(TeamAssignment.membership_id).where(
                TeamAssignment.team_id.in_(team_scope), TeamAssignment.ended_on.is_(None))
        ))
    for program_id, status, number in db.session.execute(stmt):
        counts[(program_id, status)] = number
    return [ProgramSummary(p, counts[(p.id, "active")], counts[(p.id, "completed")])
            for p in programs]


@dataclass
class CohortSummary:
    cohort: Cohort
    total: Counts
    hidden: bool = False


def cohort_summaries(program: Program, team_scope: set[int] | None, day: date, *,
                     hide_small: bool = False) -> list[CohortSummary]:
    """The program's cohorts that have people in scope, newest first, with totals.

    With `hide_small` a total of fewer than MIN_REPORTING_GROUP people is marked hidden (the
    same decision the cohort page makes on its total).
    """
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
    return [CohortSummary(c, totals[c.id], hide_small and not _total_shown(totals[c.id]))
            for c in cohorts if c.id in totals]


def _total_shown(total: Counts) -> bool:
    """A cohort total alone (no groups beside it) under the one confidentiality rule."""
    return confidentiality.decide(
        [Node(TOTAL_KEY, None, (total.people,))], MIN_REPORTING_GROUP
    ).is_shown(TOTAL_KEY)
