"""Progress numbers: per team, over time, per person, scoped and private."""
from __future__ import annotations

from datetime import timedelta

from orgwell.programs import enrollment, progress
from orgwell.programs.learning import mark_complete
from orgwell.programs.models import Assignment, today
from tests.programs.conftest import MONDAY, assignment_of, enroll_teams, member


def test_team_counts_overdue_and_completion_rate(program, world, db, at):
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    mark_complete(assignment_of(program, member(world, "staff_a"), "compassion-reading"))
    enrollment.excuse(assignment_of(program, member(world, "staff_b"), "course-5033"), "Done")
    db.session.commit()
    at(MONDAY + timedelta(days=8))
    data = progress.cohort_progress(result.cohort, team_scope=None, show_people=True,
                                    day=today())
    rows = {r.label: r for r in data.teams}
    north = rows["North clinic › North PT"]
    assert (north.people, north.released, north.completed, north.overdue) == (1, 2, 1, 0)
    assert north.rate == 50
    south = rows["South PT"]
    assert (south.released, south.completed, south.overdue, south.excused) == (2, 0, 1, 1)
    assert south.rate == 0
    assert data.total.people == 2 and data.total.overdue == 1
    assert [p.name for p in data.people] == sorted(
        [world["staff_a"].name, world["staff_b"].name], key=str.lower)


def test_overdue_is_derived_the_same_in_python_and_sql(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    day = MONDAY + timedelta(days=8)
    in_sql = set(db.session.scalars(
        db.select(Assignment.id).where(Assignment.is_overdue_on(day))))
    in_python = {a.id for a in db.session.scalars(db.select(Assignment))
                 if a.is_overdue_on(day)}
    assert in_sql == in_python and len(in_sql) == 1
    assert db.session.get(Assignment, in_sql.pop()).display_status(day) == "overdue"


def test_leaders_see_only_their_teams(program, world, db, at):
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    scope = {world["clinic_a"].id, world["team_a"].id}
    data = progress.cohort_progress(result.cohort, team_scope=scope, show_people=True,
                                    day=today())
    assert [r.label for r in data.teams] == ["North clinic › North PT"]
    assert [p.name for p in data.people] == [world["staff_a"].name]


def test_completion_over_time_by_week(program, world, db, at):
    result = enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    at(MONDAY + timedelta(days=3))
    mark_complete(assignment_of(program, staff, "compassion-reading"))
    db.session.commit()
    at(MONDAY + timedelta(days=15))
    from orgwell.programs import release

    release.release_due(today())
    db.session.commit()
    weeks = progress.completion_over_time(
        progress.scoped_assignments([result.cohort.id], None), MONDAY, today())
    assert [w.week_ending for w in weeks] == [MONDAY + timedelta(days=d) for d in (6, 13, 15)]
    assert [(w.released, w.completed) for w in weeks] == [(2, 1), (4, 1), (5, 1)]
    assert weeks[0].rate == 50


def test_the_setting_decides_whether_leaders_see_people(world, db):
    org_id = world["org_x"].id
    assert progress.may_see_people(org_id, "leader")
    assert progress.may_see_people(org_id, "owner")
    assert not progress.may_see_people(org_id, "consultant")
    progress.save_settings(org_id, leaders_see_people=False)
    db.session.commit()
    assert not progress.may_see_people(org_id, "leader")
    assert progress.may_see_people(org_id, "owner")
