"""Recomputing rollups from raw data: every wave of an organisation, and program weeks.

`rebuild_org` is the repair path (`orgwell metrics rebuild [SLUG]`, after bulk imports): it
gives exactly what the incremental updates produce, and running it twice equals running it
once (each part deletes its rows and inserts them again in the caller's transaction).

Program week rollups are always computed whole, per organisation: an assignment's history
(released, completed, excused, closed, due) is all in its own row, so recomputing from the
assignments is cheap and cannot drift. The hourly beat job `metrics.refresh` runs
`rebuild_program_weeks` for every organisation and refreshes invited counts of open waves.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import delete, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import rollups
from orgwell.metrics.models import ProgramWeekRollup
from orgwell.orgs.models import Membership, Organisation, Team, TeamAssignment
from orgwell.programs.models import Assignment, Enrollment
from orgwell.surveys.models import Wave


def rebuild_org(org: Organisation, today: date | None = None) -> int:
    """Recompute every rollup of `org`; returns the number of waves rebuilt. Flushes only."""
    waves = db.session.scalars(
        select(Wave).where(Wave.organisation_id == org.id).order_by(Wave.id)
    ).all()
    for wave in waves:
        rollups.rebuild_wave(wave)
    rebuild_program_weeks(org, today)
    return len(waves)


def refresh_open_waves(org: Organisation) -> None:
    """Set invited counts of the organisation's open waves (before anyone has answered)."""
    for wave in db.session.scalars(
        select(Wave).where(Wave.organisation_id == org.id, Wave.status == "open")
    ):
        rollups.refresh_invited(wave)


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def rebuild_program_weeks(org: Organisation, today: date | None = None) -> int:
    """Recompute released/completed/overdue per program, team and week; returns rows written.

    Counts are as of the end of each week (today for the current week), cumulative, for every
    week from the first release to today. Excused assignments and assignments closed by then
    are no longer expected, so they leave `released`. A person counts in the team they were
    in at the end of the week (the most specific one), or in no team.
    """
    today = today or utcnow().date()
    db.session.execute(
        delete(ProgramWeekRollup).where(ProgramWeekRollup.organisation_id == org.id)
    )
    rows = db.session.execute(
        select(Assignment, Enrollment.program_id)
        .join(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .where(Assignment.organisation_id == org.id, Assignment.release_on <= today)
    ).all()
    if not rows:
        return 0
    history = _team_history(org)
    counts: Counter = Counter()
    first = week_start(min(a.release_on for a, _ in rows))
    weeks = []
    week = first
    while week <= today:
        weeks.append(week)
        week += timedelta(days=7)
    for assignment, program_id in rows:
        for week in weeks:
            as_of = min(week + timedelta(days=6), today)
            state = _state_on(assignment, as_of)
            if state is None:
                continue
            team_id = _team_on(history.get(assignment.membership_id, ()), as_of)
            counts[(program_id, team_id, week, "released")] += 1
            if state != "open":
                counts[(program_id, team_id, week, state)] += 1
    now = utcnow()
    table: dict[tuple, dict] = {}
    for (program_id, team_id, week, what), count in counts.items():
        row = table.setdefault((program_id, team_id, week), {
            "organisation_id": org.id, "program_id": program_id,
            "team_key": rollups.team_key(team_id), "team_id": team_id, "week_start": week,
            "released": 0, "completed": 0, "overdue": 0, "updated_at": now,
        })
        row[what] += count
    db.session.execute(ProgramWeekRollup.__table__.insert(), list(table.values()))
    db.session.flush()
    return len(table)


def _state_on(a: Assignment, day: date) -> str | None:
    """None (not released or no longer expected), 'completed', 'overdue' or 'open' on `day`."""
    if a.release_on > day:
        return None
    for status, at in (("excused", a.excused_at), ("closed", a.closed_at)):
        if a.status == status and at is not None and at.date() <= day:
            return None
    if a.completed_at is not None and a.completed_at.date() <= day:
        return "completed"
    if a.due_on is not None and a.due_on < day:
        return "overdue"
    return "open"


def _team_history(org: Organisation) -> dict[int, list[tuple[date, date | None, int, bool]]]:
    rows = db.session.execute(
        select(TeamAssignment.membership_id, TeamAssignment.started_on, TeamAssignment.ended_on,
               Team.id, Team.parent_id)
        .join(Team, Team.id == TeamAssignment.team_id)
        .join(Membership, Membership.id == TeamAssignment.membership_id)
        .where(Membership.organisation_id == org.id)
    )
    history: dict[int, list] = {}
    for membership_id, started, ended, team_id, parent_id in rows:
        span = (started, ended, team_id, parent_id is not None)
        history.setdefault(membership_id, []).append(span)
    return history


def _team_on(spans, day: date) -> int | None:
    current = [
        (not is_team, team_id) for started, ended, team_id, is_team in spans
        if started <= day and (ended is None or ended > day)
    ]
    return min(current)[1] if current else None
