"""Enrolling teams and people: cohorts, no doubles, scope, joiners, leavers, excusing."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from orgwell.auth.models import User
from orgwell.orgs import staff as people
from orgwell.orgs.services import FieldError
from orgwell.programs import enrollment
from orgwell.programs.models import Assignment, Enrollment
from tests.programs.conftest import (
    MONDAY,
    assignment_of,
    enroll_teams,
    enrollment_of,
    mails,
    member,
)


def test_enrolling_a_clinic_enrolls_the_people_of_its_teams(program, world, db, at):
    result = enroll_teams(program, [world["clinic_a"]], auto_enroll_joiners=True)
    enrolled = {e.membership_id for e in result.enrolled}
    # leader_a is in the clinic itself, staff_a in its team North PT; staff_b is elsewhere.
    assert enrolled == {member(world, "leader_a").id, member(world, "staff_a").id}
    assert [t.id for t in result.cohort.teams] == [world["clinic_a"].id]
    first = enrollment_of(program, member(world, "staff_a"))
    assert len(first.assignments) == 8 and first.source == "team"
    course = assignment_of(program, member(world, "staff_a"), "course-5033")
    assert (course.release_on, course.due_on) == (MONDAY, MONDAY + timedelta(days=14))


def test_what_is_due_at_enrollment_is_released_at_once_with_one_mail(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    statuses = {a.module.module_key: a.status for a in enrollment_of(program, staff).assignments}
    assert statuses["course-5033"] == statuses["compassion-reading"] == "available"
    assert statuses["micro-breaks"] == "upcoming"
    sent = mails("programs.release")
    assert [m.to_addr for m in sent] == [world["staff_a"].email]
    assert "2 new modules" in sent[0].subject
    assert "Compassion, not empathy overload" in sent[0].text_body
    assert "http://orgwell.test/o/riverside/learning/" in sent[0].text_body


def test_nobody_is_enrolled_twice_in_the_same_program(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    again = enrollment.enroll(program, start_on=MONDAY, team_ids=[world["clinic_a"].id],
                              membership_ids=[member(world, "staff_a").id])
    db.session.commit()
    assert [m.id for m in again.skipped] == [member(world, "staff_a").id]
    assert [e.membership_id for e in again.enrolled] == [member(world, "leader_a").id]
    count = db.session.scalar(select(func.count(Enrollment.id)).filter_by(
        membership_id=member(world, "staff_a").id))
    assert count == 1
    assert len(mails("programs.release")) == 2  # staff_a once, leader_a once


def test_a_leader_enrolls_only_their_own_teams_and_people(program, world, db, at):
    scope = {world["clinic_a"].id, world["team_a"].id}
    with pytest.raises(FieldError) as problem:
        enrollment.enroll(program, start_on=MONDAY, team_ids=[world["team_b"].id],
                          team_scope=scope)
    assert problem.value.field == "team_ids"
    with pytest.raises(FieldError) as problem:
        enrollment.enroll(program, start_on=MONDAY,
                          membership_ids=[member(world, "staff_b").id], team_scope=scope)
    assert problem.value.field == "membership_ids"
    with pytest.raises(FieldError):
        enrollment.enroll(program, start_on=MONDAY, team_ids=[world["team_y"].id])
    with pytest.raises(FieldError):
        enrollment.enroll(program, start_on=MONDAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0


def test_people_joining_an_auto_enrolled_team_are_enrolled_from_their_join_date(
    program, world, db, at
):
    enroll_teams(program, [world["clinic_a"]], auto_enroll_joiners=True)
    at(MONDAY + timedelta(days=10))
    joiner = people.add_person(world["org_x"], name="New Hire", email="new@clinic.example",
                               team_ids=[world["team_a"].id])
    db.session.commit()
    found = enrollment_of(program, joiner)
    assert found is not None and found.source == "joiner"
    assert found.start_on == MONDAY + timedelta(days=10)
    # Moving staff_b into team A enrolls them too; no auto-enroll cohort, no enrollment.
    staff_b = member(world, "staff_b")
    people.update_person(staff_b, team_ids=[world["team_a"].id], role="staff",
                         job_title="PT", patient_facing=True, on_leave=False)
    db.session.commit()
    assert enrollment_of(program, staff_b).start_on == MONDAY + timedelta(days=10)


def test_joiners_are_not_enrolled_without_the_option(program, world, db, at):
    enroll_teams(program, [world["team_a"]], auto_enroll_joiners=False)
    joiner = people.add_person(world["org_x"], name="New Hire", email="new@clinic.example",
                               team_ids=[world["team_a"].id])
    db.session.commit()
    assert enrollment_of(program, joiner) is None


def test_leavers_open_assignments_close_and_completed_work_stays(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    done = assignment_of(program, staff, "compassion-reading")
    done.status = "completed"
    db.session.commit()
    at(MONDAY + timedelta(days=3))
    people.mark_leaver(staff, MONDAY + timedelta(days=3))
    db.session.commit()
    found = enrollment_of(program, staff)
    assert found.status == "closed" and found.closed_on == MONDAY + timedelta(days=3)
    statuses = {a.status for a in found.assignments if a.id != done.id}
    assert statuses == {"closed"}
    assert done.status == "completed"


def test_excusing_needs_a_reason_and_an_open_assignment(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    target = assignment_of(program, member(world, "staff_a"), "course-5033")
    with pytest.raises(FieldError) as problem:
        enrollment.excuse(target, "   ", excused_by=world["leader_a"])
    assert problem.value.field == "reason" and target.status == "available"
    enrollment.excuse(target, "Took this course last year", excused_by=world["leader_a"])
    db.session.commit()
    assert target.status == "excused" and target.excused_by_id == world["leader_a"].id
    assert target.excuse_reason == "Took this course last year"
    assert not target.is_overdue_on(date(2027, 1, 1))
    with pytest.raises(FieldError):
        enrollment.excuse(target, "again")


def test_an_import_enrolls_joiners_too(program, world, db, at):
    from orgwell.orgs import imports

    enroll_teams(program, [world["team_b"]], auto_enroll_joiners=True)
    csv = b"name,email,team,role\nIm Ported,imported@clinic.example,South PT,staff\n"
    job, checked = imports.prepare_import(world["org_x"], "staff.csv", csv)
    assert job is not None, checked.errors
    imports.confirm_import(job)
    for _ in imports.run_import(job.id):
        db.session.commit()
    imported = db.session.scalar(select(User).filter_by(email="imported@clinic.example"))
    found = enrollment_of(program, imported.memberships[0])
    assert found is not None and found.source == "joiner"
    assert db.session.scalar(select(func.count(Assignment.id)).filter_by(
        enrollment_id=found.id)) == 8


def test_the_checklist_ticks_program_chosen_once_someone_is_enrolled(world, at):
    from orgwell.orgs.services import onboarding_checklist
    from orgwell.programs import library

    def step():
        return next(i for i in onboarding_checklist(world["org_x"]) if i.key == "program")

    assert not step().done
    copied = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    assert not step().done  # a program alone is not a choice until someone takes it
    enroll_teams(copied, [world["team_a"]])
    assert step().done


def _complete_program(program, membership):
    found = enrollment_of(program, membership)
    for assignment in found.assignments:
        assignment.status = "completed"
    enrollment.refresh_enrollment(found, MONDAY + timedelta(days=5))
    return found


def test_moving_within_an_enrolled_clinic_after_completing_adds_no_second_enrollment(
    program, world, db, at
):
    from tests import factories

    enroll_teams(program, [world["clinic_a"]], auto_enroll_joiners=True)
    staff = member(world, "staff_a")
    done = _complete_program(program, staff)
    assert done.status == "completed"
    other = factories.TeamFactory(organisation=world["org_x"], name="North OT",
                                  parent=world["clinic_a"])
    db.session.commit()
    at(MONDAY + timedelta(days=9))
    people.update_person(staff, team_ids=[other.id], role="staff", job_title="PT",
                         patient_facing=True, on_leave=False)
    db.session.commit()
    rows = db.session.scalars(select(Enrollment).filter_by(membership_id=staff.id)).all()
    assert [(e.id, e.status) for e in rows] == [(done.id, "completed")]


def test_someone_who_completed_the_program_is_not_restarted_by_another_team(
    program, world, db, at
):
    enroll_teams(program, [world["team_a"]])
    enroll_teams(program, [world["team_b"]], auto_enroll_joiners=True)
    staff = member(world, "staff_a")
    done = _complete_program(program, staff)
    db.session.commit()
    at(MONDAY + timedelta(days=9))
    people.update_person(staff, team_ids=[world["team_b"].id], role="staff", job_title="PT",
                         patient_facing=True, on_leave=False)
    db.session.commit()
    rows = db.session.scalars(select(Enrollment).filter_by(membership_id=staff.id)).all()
    assert [e.id for e in rows] == [done.id]
    # Someone new to the program moving in is still enrolled.
    leader = member(world, "leader_a")
    people.update_person(leader, team_ids=[world["team_b"].id], role="leader", job_title=None,
                         patient_facing=False, on_leave=False)
    db.session.commit()
    assert enrollment_of(program, leader).cohort.teams == [world["team_b"]]
