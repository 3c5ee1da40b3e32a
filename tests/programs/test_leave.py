"""Time on leave: no due dates, releases or reminders while away; dates move by the time away."""
from __future__ import annotations

from datetime import timedelta

from orgwell.orgs import staff as people
from orgwell.programs import enrollment, release
from orgwell.programs.leave_models import LeavePeriod
from orgwell.programs.models import today
from tests.programs.conftest import (
    MONDAY,
    assignment_of,
    enroll_teams,
    enrollment_of,
    mails,
    member,
)


def _set_leave(world, name, on_leave: bool):
    m = member(world, name)
    people.update_person(m, team_ids=[t.id for t in m.current_teams], role=m.role,
                         job_title=m.job_title, patient_facing=True, on_leave=on_leave)


def test_leave_pauses_due_dates_and_moves_them_by_the_days_away(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    at(MONDAY + timedelta(days=2))
    _set_leave(world, "staff_a", True)
    db.session.commit()
    course = assignment_of(program, staff, "course-5033")
    later = assignment_of(program, staff, "micro-breaks")
    assert course.due_on is None and later.due_on is None
    assert not course.is_overdue_on(MONDAY + timedelta(days=60))
    period = db.session.query(LeavePeriod).one()
    assert period.started_on == MONDAY + timedelta(days=2) and period.ended_on is None

    # While away: nothing is released and nobody is reminded.
    at(MONDAY + timedelta(days=16))
    release.release_due(today())
    release.send_reminders(today())
    db.session.commit()
    assert later.status == "upcoming"
    assert mails("programs.reminder") == []

    _set_leave(world, "staff_a", False)  # back after 14 days
    db.session.commit()
    assert period.ended_on == MONDAY + timedelta(days=16)
    assert enrollment_of(program, staff).leave_days == 14
    assert course.due_on == MONDAY + timedelta(days=14 + 14)
    assert later.release_on == MONDAY + timedelta(days=14 + 14)
    assert later.due_on == MONDAY + timedelta(days=21 + 14)


def test_someone_enrolled_while_on_leave_starts_when_they_return(program, world, db, at):
    _set_leave(world, "staff_a", True)
    db.session.commit()
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    course = assignment_of(program, staff, "course-5033")
    assert course.status == "upcoming" and course.due_on is None
    assert mails("programs.release") == []
    at(MONDAY + timedelta(days=5))
    enrollment.end_leave(staff, today())
    staff.on_leave = False
    db.session.commit()
    assert course.due_on == MONDAY + timedelta(days=14 + 5)


def test_reminders_resume_on_the_shifted_dates_after_leave(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    course = assignment_of(program, staff, "course-5033")
    assert course.due_on == MONDAY + timedelta(days=14)
    days_before = program.reminder_days_before
    assert days_before  # the template reminds before the due date

    def run_days(first: int, last: int) -> list:
        reminded = []
        for offset in range(first, last + 1):
            day = MONDAY + timedelta(days=offset)
            at(day)
            release.release_due(today())
            release.send_reminders(today())
            db.session.commit()
            sent = mails(f"programs.reminder:{staff.id}:{day.isoformat()}")
            if any(course.module.title in m.text_body for m in sent):
                reminded.append(day)
        return reminded

    at(MONDAY + timedelta(days=2))
    _set_leave(world, "staff_a", True)
    db.session.commit()
    assert run_days(2, 15) == []  # the original reminder days pass while away
    at(MONDAY + timedelta(days=16))
    _set_leave(world, "staff_a", False)  # 14 days away
    db.session.commit()
    shifted = MONDAY + timedelta(days=14 + 14)
    assert course.due_on == shifted
    assert run_days(16, 28) == sorted(shifted - timedelta(days=d) for d in days_before)
