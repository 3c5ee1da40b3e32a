"""Demo programs for Riverside: two cohorts of "Burnout prehab" with realistic progress.

Riverside North started six months ago (the surveys demo shows North getting better after
it: use `north_cohort_start`), so nearly everything is done, with a few modules overdue,
one excused and one person on leave. Riverside South started 17 days ago, so it shows
upcoming, available, completed and overdue work now. Seeding is deterministic (fixed
random seed), sends no mail, and does nothing when the programs exist already.
"""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.orgs.models import Team
from orgwell.programs import enrollment, library
from orgwell.programs.learning import refresh_enrollment
from orgwell.programs.models import Cohort, PracticeLogEntry, Program
from orgwell.programs.models import today as programs_today

DEMO_PROGRAM_START_MONTHS = 6
SOUTH_START_DAYS_AGO = 17
STAFF_EMAIL = "staff@riverside.example"  # the demo staff account keeps open work to try


def north_cohort_start(today: date | None = None) -> date:
    """The start of Riverside North's prehab cohort: DEMO_PROGRAM_START_MONTHS before today."""
    day = today or programs_today()
    month = day.month - DEMO_PROGRAM_START_MONTHS
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, 28))


def seed_programs(org, today: date | None = None) -> bool:
    """Copy "Burnout prehab" into `org` and enroll Riverside North and South with progress;
    copy the self-enrollment "Two-week stress reset" beside it.

    Returns False (and changes nothing) when the demo program exists already. Flushes.
    """
    day = today or programs_today()
    exists = db.session.scalar(
        select(Program.id).filter_by(organisation_id=org.id, copied_from="burnout-prehab")
    )
    if exists is not None:
        return False
    owner = next((m.user for m in _members(org) if m.role == "owner"), None)
    program = library.copy_template(org, "burnout-prehab", created_by=owner)
    # Open to everyone: what "My results" suggests to someone above the reference line.
    library.copy_template(org, "stress-reset", created_by=owner)
    rng = random.Random(20260302)
    north = _cohort(program, org, "Riverside North", north_cohort_start(day), day, owner)
    south = _cohort(program, org, "Riverside South", day - timedelta(days=SOUTH_START_DAYS_AGO),
                    day, owner)
    if north is not None:
        _progress(north, day, rng, done_rate=0.9)
        _already_reminded(north, program)
        _excuse_one(north, owner)
        _one_on_leave(north, day)
    if south is not None:
        _progress(south, day, rng, done_rate=0.7)
    db.session.flush()
    return True


def _members(org):
    from orgwell.orgs.models import Membership

    return db.session.scalars(
        select(Membership).filter_by(organisation_id=org.id, status="active")
        .order_by(Membership.id)
    ).all()


def _cohort(program, org, clinic_name: str, start: date, day: date, owner) -> Cohort | None:
    clinic = db.session.scalar(select(Team).filter_by(organisation_id=org.id, name=clinic_name))
    if clinic is None:
        return None
    result = enrollment.enroll(
        program, start_on=start, team_ids=[clinic.id], auto_enroll_joiners=True,
        created_by=owner, day=day, notify=False,
    )
    return result.cohort


def _progress(cohort: Cohort, day: date, rng: random.Random, *, done_rate: float) -> None:
    """Complete released work at plausible dates; the rest stays open (some overdue)."""
    for person in cohort.enrollments:
        keen = rng.random()  # some people do everything, some fall behind
        is_demo_staff = person.membership.user.email == STAFF_EMAIL
        for assignment in person.assignments:
            if assignment.status != "available":
                continue
            module = assignment.module
            chance = done_rate * (1.12 if keen > 0.2 else 0.9) * (1 if module.required else 0.85)
            if is_demo_staff and module.module_key in ("compassion-reflection",
                                                       "closing-reflection", "micro-breaks"):
                continue  # left open so the demo staff member has something to do
            if rng.random() > chance:
                continue
            window = max((assignment.due_on or day) - assignment.release_on, timedelta(0)).days
            finished = assignment.release_on + timedelta(days=rng.randint(0, window + 2))
            if finished >= day:
                continue
            _complete(assignment, finished, rng)
        if refresh_enrollment(person, day):
            person.completed_on = max(
                a.completed_at.date() for a in person.assignments if a.completed_at
            )
    db.session.flush()


def _complete(assignment, finished: date, rng: random.Random) -> None:
    module = assignment.module
    if module.kind == "practice":
        # Some days between release and the finish, and always the finishing day itself:
        # a practice log is never complete without an entry.
        days = {assignment.release_on + timedelta(days=offset) for offset in range(21)}
        logged = sorted(d for d in days if d < finished and rng.random() < 0.7) + [finished]
        for practised in logged:
            db.session.add(PracticeLogEntry(assignment=assignment, day=practised,
                                            minutes=rng.choice((3, 3, 5, 10)), note=""))
    if module.kind == "reflection":
        assignment.reflection_text = "Noticed I carried a patient's frustration home; " \
            "tried naming it and planning one next step instead."
    assignment.status = "completed"
    assignment.completed_at = datetime.combine(
        finished, time(hour=rng.randint(7, 19), minute=rng.randint(0, 59)), tzinfo=UTC
    )


def _already_reminded(cohort: Cohort, program) -> None:
    """Months-old overdue work was reminded about long ago: the worker stays quiet now."""
    for person in cohort.enrollments:
        for assignment in person.assignments:
            if assignment.status == "available" and assignment.due_on:
                assignment.reminders_sent = program.overdue_reminder_max
                assignment.last_reminded_on = assignment.due_on + timedelta(days=7)


def _excuse_one(cohort: Cohort, owner) -> None:
    for person in cohort.enrollments:
        for assignment in person.assignments:
            if assignment.module.module_key == "course-3939" and assignment.status == "available":
                enrollment.excuse(assignment, "Took this course last year",
                                  excused_by=owner)
                return


def _one_on_leave(cohort: Cohort, day: date) -> None:
    """The first person with open work (not the demo staff account) is on leave."""
    for person in cohort.enrollments:
        membership = person.membership
        if membership.user.email == STAFF_EMAIL or membership.role != "staff":
            continue
        if any(a.status == "available" for a in person.assignments):
            membership.on_leave = True
            enrollment.start_leave(membership, day - timedelta(days=12))
            return
