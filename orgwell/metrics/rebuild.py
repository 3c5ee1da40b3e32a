"""Recomputing rollups from raw data: every wave of an organisation, and program weeks.

`rebuild_org` is the repair path (`orgwell metrics rebuild [SLUG]`, after bulk imports): it
gives exactly what the incremental updates produce, and running it twice equals running it
once (each part deletes its rows and inserts them again in the caller's transaction).

Program week rollups are always computed whole, per program: an assignment's history
(released, completed, excused, closed, due) is all in its own row, so recomputing from the
assignments is cheap and cannot drift. The worker runs `rebuild_program` after a program's
assignments or enrollments change (orgwell/metrics/hooks.py); the hourly beat job
`metrics.refresh` runs `rebuild_program_weeks` for every organisation (what no event announces:
days passing make work released or overdue, and a new week begins) and refreshes invited
counts of open waves.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import delete, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import rollups
from orgwell.metrics.models import NO_TEAM, ProgramWeekRollup
from orgwell.orgs.models import Membership, Organisation, Team, TeamAssignment
from orgwell.programs.models import Assignment, Enrollment, Program
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
    """Recompute released/completed/overdue/people per program, team and week of `org`;
    returns the rows written.

    Counts are as of the end of each week (today for the current week), cumulative, for every
    week from the first release to today. Excused assignments and assignments closed by then
    are no longer expected, so they leave `released`. A person counts in the team they were
    in at the end of the week (the most specific one), after leaving every team in the last
    one they were in, or else in no team, and the team in the
    clinic it had when the week was first rolled up (`_delete_weeks`); `people` counts the
    distinct people with work counted in that team and week (released and still expected:
    open, completed or overdue). Work excused or closed by then counts nowhere, so it does
    not count its person either: a leaver (no team after leaving) would otherwise stand as a
    no-team group of people with nothing released, hiding the organisation's completion for
    every later week.

    Only the programs listed (and then locked) are deleted and written: a program created
    meanwhile is left to its own `rebuild_program`; writing it here too, beside that rebuild,
    could insert its rows twice.
    """
    program_ids = db.session.scalars(
        select(Program.id).where(Program.organisation_id == org.id)
    ).all()
    return rebuild_programs(org.id, program_ids, today)


def rebuild_programs(org_id: int, program_ids, today: date | None = None) -> int:
    """`rebuild_program_weeks` for `program_ids` of organisation `org_id` and nothing else:
    their rows are locked, deleted and written again; every other program's rows stay as they
    are. Returns the rows written. Flushes only."""
    locked = [
        program_id for program_id in sorted(set(program_ids))  # in id order: no deadlock
        if _lock_program(program_id) is not None
    ]
    if not locked:
        return 0
    clinics = _delete_weeks(ProgramWeekRollup.program_id.in_(locked))
    return _write_weeks(org_id, locked, today or utcnow().date(), clinics)


def rebuild_program(program_id: int, today: date | None = None) -> int:
    """`rebuild_program_weeks` for one program (every week, every team); returns rows written.

    What the worker runs after an assignment or enrollment of the program changed (and after
    people moved teams): the same rows the organisation-wide rebuild writes, so the two paths
    can never disagree. Flushes only.
    """
    program = _lock_program(program_id)
    if program is None:
        return 0
    clinics = _delete_weeks(ProgramWeekRollup.program_id == program_id)
    return _write_weeks(program.organisation_id, [program_id], today or utcnow().date(), clinics)


def _lock_program(program_id: int) -> Program | None:
    """Take the program's row lock (PostgreSQL) until the transaction ends.

    Two rebuilds of one program (a completion's task and the hourly sweep) then run one after
    the other, each deleting and inserting on its own, instead of both inserting the same
    keys. SQLite has no row locks; there the delete that follows takes the database's write
    lock before anything is read, which serialises them the same way.
    """
    return db.session.scalar(
        select(Program).where(Program.id == program_id).with_for_update()
    )


def _delete_weeks(condition) -> dict[tuple, int]:
    """Delete the rows matching `condition`; returns the clinic each deleted row stored, by
    (program id, team key, week).

    A week keeps the clinic its team had when the week was first rolled up: a team that
    moves to another clinic later leaves the old weeks' clinic totals as they were (team
    parents have no history to recompute them from). New weeks take the team's clinic now.
    """
    rows = db.session.execute(
        delete(ProgramWeekRollup).where(condition).returning(
            ProgramWeekRollup.program_id, ProgramWeekRollup.team_key,
            ProgramWeekRollup.week_start, ProgramWeekRollup.clinic_key)
    ).all()
    return {(program, team, week): clinic for program, team, week, clinic in rows if clinic}


def _write_weeks(org_id: int, program_ids: list[int], today: date,
                 clinics: dict[tuple, int]) -> int:
    """Insert the week rows of `program_ids` (locked, their old rows deleted)."""
    rows = db.session.execute(
        select(Assignment, Enrollment.program_id)
        .join(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .where(Assignment.organisation_id == org_id, Assignment.release_on <= today,
               Enrollment.program_id.in_(program_ids))
    ).all()
    if not rows:
        db.session.flush()
        return 0
    history = _team_history(org_id)
    counts: Counter = Counter()
    people: dict[tuple, set[int]] = {}
    first = week_start(min(a.release_on for a, _ in rows))
    weeks = []
    week = first
    while week <= today:
        weeks.append(week)
        week += timedelta(days=7)
    for assignment, program in rows:
        for week in weeks:
            as_of = min(week + timedelta(days=6), today)
            if assignment.release_on > as_of:
                continue
            state = _state_on(assignment, as_of)
            if state is None:
                continue
            team_id = _team_on(history.get(assignment.membership_id, ()), as_of)
            people.setdefault((program, team_id, week), set()).add(assignment.membership_id)
            counts[(program, team_id, week, "released")] += 1
            if state != "open":
                counts[(program, team_id, week, state)] += 1
    now = utcnow()
    parents = dict(db.session.execute(
        select(Team.id, Team.parent_id).where(Team.organisation_id == org_id)).all())
    table = {
        (program, team_id, week): {
            "organisation_id": org_id, "program_id": program,
            "team_key": rollups.team_key(team_id), "team_id": team_id,
            "clinic_key": clinics.get((program, rollups.team_key(team_id), week))
            or _clinic_now(team_id, parents),
            "week_start": week, "released": 0, "completed": 0, "overdue": 0,
            "people": len(who), "updated_at": now,
        }
        for (program, team_id, week), who in people.items()
    }
    for (program, team_id, week, what), count in counts.items():
        table[(program, team_id, week)][what] += count
    db.session.execute(ProgramWeekRollup.__table__.insert(), list(table.values()))
    db.session.flush()
    return len(table)


def _clinic_now(team_id: int | None, parents: dict[int, int | None]) -> int:
    if team_id is None:
        return NO_TEAM
    return parents.get(team_id) or team_id


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


def _team_history(org_id: int) -> dict[int, list[tuple[date, date | None, int, bool]]]:
    rows = db.session.execute(
        select(TeamAssignment.membership_id, TeamAssignment.started_on, TeamAssignment.ended_on,
               Team.id, Team.parent_id)
        .join(Team, Team.id == TeamAssignment.team_id)
        .join(Membership, Membership.id == TeamAssignment.membership_id)
        .where(Membership.organisation_id == org_id)
    )
    history: dict[int, list] = {}
    for membership_id, started, ended, team_id, parent_id in rows:
        span = (started, ended, team_id, parent_id is not None)
        history.setdefault(membership_id, []).append(span)
    return history


def _team_on(spans, day: date) -> int | None:
    """The team someone counts in on `day`: the most specific one they are in, else the one
    they were last in (a leaver's finished work stays with the team that did it: moved to a
    no-team group of one it would hide the organisation's completion for every later week),
    else None (never in a team by then)."""
    current = [
        (not is_team, team_id) for started, ended, team_id, is_team in spans
        if started <= day and (ended is None or ended > day)
    ]
    if current:
        return min(current)[1]
    ended = [(ended, is_team, -team_id) for started, ended, team_id, is_team in spans
             if started <= day and ended is not None and ended <= day]
    return -max(ended)[2] if ended else None
