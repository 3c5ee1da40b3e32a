"""Enrollment: cohorts of teams and people, joiners, leavers, excusing, and time on leave.

A person has at most one active enrollment per program, so enrolling a team twice, or a
person both by name and through their team, never doubles their work. Whatever is already
due when someone is enrolled is released at once through the same service the daily job
uses (`release.release_due`), so the first mail leaves with the commit. Services flush; the
caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from orgwell.audit.services import record
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Team, TeamAssignment
from orgwell.orgs.services import FieldError
from orgwell.programs import release
from orgwell.programs.builder import add_assignment, set_dates
from orgwell.programs.learning import refresh_enrollment
from orgwell.programs.leave_models import LeavePeriod
from orgwell.programs.models import (
    OPEN_STATUSES,
    Assignment,
    Cohort,
    CohortTeam,
    Enrollment,
    Program,
    ProgramVersion,
    today,
)


@dataclass
class EnrollResult:
    cohort: Cohort
    enrolled: list[Enrollment] = field(default_factory=list)
    skipped: list[Membership] = field(default_factory=list)


def with_child_teams(team_ids) -> set[int]:
    """The teams plus the teams inside them (a clinic stands for its teams)."""
    ids = set(team_ids)
    if ids:
        ids |= set(db.session.scalars(select(Team.id).where(Team.parent_id.in_(ids))))
    return ids


def members_of_teams(org_id: int, team_ids) -> list[Membership]:
    """Active members currently in `team_ids` (or teams inside them), by id."""
    ids = with_child_teams(team_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(Membership).where(
            Membership.organisation_id == org_id,
            Membership.status == "active",
            Membership.id.in_(
                select(TeamAssignment.membership_id).where(
                    TeamAssignment.team_id.in_(ids), TeamAssignment.ended_on.is_(None)
                )
            ),
        ).order_by(Membership.id)
    ))


def in_scope(membership: Membership, team_scope: set[int] | None) -> bool:
    """Whether a leader limited to `team_scope` may act on this person (None: everyone)."""
    return team_scope is None or bool({t.id for t in membership.current_teams} & team_scope)


def active_enrollment(program_id: int, membership_id: int) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).filter_by(
            program_id=program_id, membership_id=membership_id, status="active"
        )
    )


def enroll(
    program: Program,
    *,
    start_on: date,
    team_ids=(),
    membership_ids=(),
    auto_enroll_joiners: bool = False,
    team_scope: set[int] | None = None,
    created_by=None,
    source: str = "leader",
    name: str = "",
    day: date | None = None,
    notify: bool = True,
) -> EnrollResult:
    """Enroll teams and/or people in the program's current version as one new cohort.

    People already actively enrolled in the program are skipped (listed in `skipped`).
    A leader (`team_scope`) may name only teams and people in their scope. Raises
    FieldError for an unpublished or archived program, foreign or out-of-scope teams and
    people, or an empty choice. Releases what is already due and queues the mails. Flushes.
    """
    version = program.current_version
    if version is None:
        raise FieldError("program", "Publish the program before enrolling anyone.")
    if program.archived:
        raise FieldError("program", "This program is archived.")
    teams = _teams(program.organisation_id, team_ids, team_scope)
    people = _people(program.organisation_id, membership_ids, team_scope)
    if not teams and not people:
        raise FieldError("team_ids", "Choose at least one team or person.")
    cohort = Cohort(
        organisation_id=program.organisation_id, program_id=program.id, version_id=version.id,
        start_on=start_on, auto_enroll_joiners=auto_enroll_joiners,
        self_enrolled=source == "self", created_by_id=getattr(created_by, "id", None),
        name=name or _cohort_name(teams, people, start_on),
    )
    cohort.cohort_teams = [CohortTeam(team_id=t.id) for t in teams]
    db.session.add(cohort)
    db.session.flush()
    result = EnrollResult(cohort)
    targets = {m.id: m for m in people}
    for member in members_of_teams(program.organisation_id, [t.id for t in teams]):
        if in_scope(member, team_scope):
            targets.setdefault(member.id, member)
    for member in targets.values():
        if active_enrollment(program.id, member.id) is not None:
            result.skipped.append(member)
            continue
        kind = source if source != "leader" or member in people else "team"
        result.enrolled.append(enroll_person(cohort, member, start_on, version, source=kind))
    db.session.flush()
    release.release_due(day or today(), enrollment_ids=[e.id for e in result.enrolled],
                        notify=notify)
    record("program_enrolled", target=cohort, organisation_id=program.organisation_id,
           actor_id=getattr(created_by, "id", None), people=len(result.enrolled),
           team_ids=[t.id for t in teams], skipped=len(result.skipped))
    return result


def enroll_person(cohort: Cohort, membership: Membership, start_on: date,
                  version: ProgramVersion, *, source: str = "leader") -> Enrollment:
    """One enrollment with an upcoming assignment per module of `version`. Flushes."""
    enrollment = Enrollment(
        organisation_id=cohort.organisation_id, program_id=cohort.program_id, cohort=cohort,
        membership=membership, start_on=start_on, source=source,
    )
    db.session.add(enrollment)
    db.session.flush()
    if membership.on_leave:
        # Enrolled while away: the program waits for them (no due dates until they return).
        _open_leave(membership, today())
    for module in version.modules:
        add_assignment(enrollment, module)
    db.session.flush()
    return enrollment


def _teams(org_id: int, team_ids, team_scope) -> list[Team]:
    ids = set(team_ids or ())
    if not ids:
        return []
    teams = list(db.session.scalars(
        select(Team).where(Team.organisation_id == org_id, Team.id.in_(ids)).order_by(Team.name)
    ))
    if len(teams) != len(ids) or (team_scope is not None and not ids <= team_scope):
        raise FieldError("team_ids", "Choose teams you lead.")
    return teams


def _people(org_id: int, membership_ids, team_scope) -> list[Membership]:
    ids = set(membership_ids or ())
    if not ids:
        return []
    people = list(db.session.scalars(
        select(Membership).where(
            Membership.organisation_id == org_id, Membership.id.in_(ids),
            Membership.status == "active",
        ).order_by(Membership.id)
    ))
    if len(people) != len(ids) or not all(in_scope(m, team_scope) for m in people):
        raise FieldError("membership_ids", "Choose current staff of your teams.")
    return people


def _cohort_name(teams, people, start_on: date) -> str:
    names = [t.name for t in teams] + [m.user.name for m in people]
    label = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"{label} · from {start_on:%d %b %Y}"[:120]


# --- people joining, leaving, going on leave (called from orgwell/programs/hooks.py) --------


def enroll_joiner(membership: Membership, team_ids, joined_on: date) -> list[Enrollment]:
    """Enroll someone who joined `team_ids` in every cohort that auto-enrolls those teams.

    A cohort enrolled a clinic stands for its teams too. They start on their join date (not
    before the cohort's start) with the program's current version. Nobody is enrolled twice
    in one cohort, nor again in a program they follow or completed. Flushes.
    """
    if membership.status != "active":
        return []
    joined = set(team_ids)
    parents = set(db.session.scalars(
        select(Team.parent_id).where(Team.id.in_(joined), Team.parent_id.is_not(None))
    ))
    cohorts = db.session.scalars(
        select(Cohort).join(CohortTeam, CohortTeam.cohort_id == Cohort.id).where(
            Cohort.organisation_id == membership.organisation_id,
            Cohort.auto_enroll_joiners.is_(True),
            CohortTeam.team_id.in_(joined | parents),
        ).order_by(Cohort.id)
    ).unique()
    enrolled = []
    for cohort in cohorts:
        program = cohort.program
        version = program.current_version
        if program.archived or version is None:
            continue
        if not _may_join(cohort, membership):
            continue
        start = max(joined_on, cohort.start_on)
        enrolled.append(enroll_person(cohort, membership, start, version, source="joiner"))
    if enrolled:
        release.release_due(today(), enrollment_ids=[e.id for e in enrolled])
        record("program_joiner_enrolled", target=membership,
               organisation_id=membership.organisation_id,
               cohort_ids=[e.cohort_id for e in enrolled])
    return enrolled


def _may_join(cohort: Cohort, membership: Membership) -> bool:
    """Not when they follow the program now, were ever in this cohort (a move between two
    teams of an enrolled clinic), or already completed the program in any cohort."""
    found = db.session.scalar(
        select(Enrollment.id).where(
            Enrollment.membership_id == membership.id,
            (Enrollment.cohort_id == cohort.id) | (
                (Enrollment.program_id == cohort.program_id)
                & Enrollment.status.in_(("active", "completed"))
            ),
        ).limit(1)
    )
    return found is None


def close_for_leaver(membership: Membership, left_on: date) -> int:
    """Close a leaver's active enrollments and open assignments; how many assignments closed."""
    closed = 0
    now = utcnow()
    for enrollment in _active_enrollments(membership):
        for assignment in enrollment.assignments:
            if assignment.status in OPEN_STATUSES:
                assignment.status, assignment.closed_at = "closed", now
                closed += 1
        enrollment.status, enrollment.closed_on = "closed", left_on
    db.session.flush()
    return closed


def start_leave(membership: Membership, started_on: date) -> None:
    """Pause the person's programs: open assignments lose their due dates. Flushes."""
    _open_leave(membership, started_on)
    for enrollment in _active_enrollments(membership):
        for assignment in enrollment.assignments:
            if assignment.status in OPEN_STATUSES:
                assignment.due_on = None
    db.session.flush()


def end_leave(membership: Membership, ended_on: date) -> None:
    """Resume the person's programs: open dates move by the days away. Flushes.

    Only the part of the leave after an enrollment started counts for that enrollment.
    """
    period = db.session.scalar(
        select(LeavePeriod).filter_by(membership_id=membership.id, ended_on=None)
        .order_by(LeavePeriod.id.desc())
    )
    if period is None:
        return
    period.ended_on = max(ended_on, period.started_on)
    for enrollment in _active_enrollments(membership):
        away = (period.ended_on - max(period.started_on, enrollment.start_on)).days
        enrollment.leave_days += max(away, 0)
        for assignment in enrollment.assignments:
            if assignment.status in OPEN_STATUSES:
                set_dates(assignment, enrollment, assignment.module, on_leave=False)
    db.session.flush()


def _open_leave(membership: Membership, started_on: date) -> LeavePeriod:
    period = db.session.scalar(
        select(LeavePeriod).filter_by(membership_id=membership.id, ended_on=None)
    )
    if period is None:
        period = LeavePeriod(organisation_id=membership.organisation_id,
                             membership_id=membership.id, started_on=started_on)
        db.session.add(period)
        db.session.flush()
    return period


def _active_enrollments(membership: Membership) -> list[Enrollment]:
    return list(db.session.scalars(
        select(Enrollment).filter_by(membership_id=membership.id, status="active")
    ))


# --- excusing --------------------------------------------------------------------------------


def excuse(assignment: Assignment, reason: str, *, excused_by=None) -> None:
    """Excuse an open assignment with a reason (no reminders, not counted as overdue).

    Raises FieldError("reason") without a reason, FieldError("assignment_id") when the
    assignment is already completed, excused or closed. Flushes.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise FieldError("reason", "Give a reason.")
    if assignment.status not in OPEN_STATUSES:
        raise FieldError("assignment_id", "Only open modules can be excused.")
    assignment.status = "excused"
    assignment.excused_at = utcnow()
    assignment.excused_by_id = getattr(excused_by, "id", None)
    assignment.excuse_reason = reason[:300]
    refresh_enrollment(assignment.enrollment, today())
    db.session.flush()
    record("assignment_excused", target=assignment, organisation_id=assignment.organisation_id,
           actor_id=getattr(excused_by, "id", None))
