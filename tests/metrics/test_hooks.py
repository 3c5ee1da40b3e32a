"""orgwell/metrics/hooks.py: which writes note a program's week rollups for a refresh."""
from __future__ import annotations

from datetime import date

from orgwell.after_commit import pending
from orgwell.extensions import db
from orgwell.metrics import hooks
from orgwell.orgs import staff
from orgwell.programs import enrollment, library
from orgwell.programs.models import Assignment


def _enrolled_leader(world):
    """leader_a (on North clinic) enrolled on their own in a program; committed."""
    program = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    db.session.flush()
    membership = world["leader_a"].memberships[0]
    enrollment.enroll(program, start_on=date(2026, 3, 2), membership_ids=[membership.id],
                      notify=False)
    db.session.commit()
    return program, membership


def test_a_team_added_through_the_staff_service_refreshes_the_persons_programs(world):
    program, membership = _enrolled_leader(world)
    # Someone else's program: not touched by leader_a's move.
    other = library.copy_template(world["org_x"], "stress-reset", created_by=world["owner_x"])
    db.session.flush()
    enrollment.enroll(other, start_on=date(2026, 3, 2),
                      membership_ids=[world["staff_b"].memberships[0].id], notify=False)
    db.session.commit()
    assert pending(db.session, hooks.queue_refreshes) == set()
    # A new TeamAssignment only: North clinic stays, North PT is added.
    staff.update_person(membership, team_ids=[world["clinic_a"].id, world["team_a"].id],
                        role=membership.role, job_title=membership.job_title,
                        patient_facing=membership.patient_facing, on_leave=False)
    assert pending(db.session, hooks.queue_refreshes) == {program.id}
    db.session.commit()
    assert pending(db.session, hooks.queue_refreshes) == set()


def test_a_change_in_a_savepoint_waits_for_the_outer_commit(world):
    program, membership = _enrolled_leader(world)
    assignment = db.session.query(Assignment).filter_by(membership_id=membership.id).first()
    savepoint = db.session.begin_nested()
    assignment.status = "excused"
    db.session.flush()
    savepoint.commit()  # released, not committed: the refresh is still only noted
    assert pending(db.session, hooks.queue_refreshes) == {program.id}
    failed = db.session.begin_nested()
    assignment.due_on = date(2026, 4, 1)
    db.session.flush()
    failed.rollback()  # the outer change stays noted
    assert pending(db.session, hooks.queue_refreshes) == {program.id}
    db.session.commit()
    assert pending(db.session, hooks.queue_refreshes) == set()
