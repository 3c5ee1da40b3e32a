"""`orgwell metrics rebuild [SLUG]` and the program week rollups."""
from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import queries
from orgwell.metrics.models import ParticipationRollup, ProgramWeekRollup, ScaleRollup
from orgwell.metrics.rebuild import rebuild_program_weeks, week_start
from orgwell.programs import enrollment, library
from orgwell.programs.models import Assignment
from tests.metrics.conftest import answer_wave, close_wave, open_survey_wave
from tests.metrics.test_rollups import snapshot


def test_the_command_rebuilds_every_rollup_the_same_each_time(cli, build_org):
    practice = build_org([(0, [7, 9])])
    wave = open_survey_wave(practice, date(2026, 1, 5))
    answer_wave(wave, random.Random(3))
    close_wave(wave)
    before = snapshot(practice.org.id)
    db.session.execute(ScaleRollup.__table__.delete())
    db.session.execute(ParticipationRollup.__table__.delete())
    db.session.commit()
    result = cli("metrics", "rebuild", "practice")
    assert result.exit_code == 0, result.output
    assert "Rebuilt the rollups of Bay Physio (1 waves)" in result.output
    assert snapshot(practice.org.id) == before
    assert cli("metrics", "rebuild").exit_code == 0  # every organisation, again
    assert snapshot(practice.org.id) == before


def test_an_unknown_slug_is_refused(cli, db):
    result = cli("metrics", "rebuild", "nowhere")
    assert result.exit_code == 2 and "no organisation" in result.output


def test_program_weeks_count_released_completed_and_overdue(world, time_machine):
    monday = date(2026, 3, 2)
    time_machine.move_to(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False)
    program = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    db.session.commit()
    enrollment.enroll(program, start_on=monday, team_ids=[world["team_a"].id, world["team_b"].id])
    db.session.commit()
    assignments = db.session.scalars(select(Assignment).order_by(Assignment.id)).all()
    first = [a for a in assignments if a.release_on == monday]
    assert first
    # Released by the job; one completed on Wednesday of week 1; the rest left undone.
    for a in assignments:
        if a.release_on <= monday + timedelta(days=20):
            a.status, a.released_at = "available", datetime(2026, 3, 2, 9, tzinfo=UTC)
    done = first[0]
    done.status, done.completed_at = "completed", datetime(2026, 3, 4, 12, tzinfo=UTC)
    db.session.commit()

    today = monday + timedelta(days=20)
    written = rebuild_program_weeks(world["org_x"], today)
    db.session.commit()
    assert written > 0
    assert rebuild_program_weeks(world["org_x"], today) == written  # idempotent
    db.session.commit()
    rows = db.session.scalars(select(ProgramWeekRollup)).all()
    weeks = {r.week_start for r in rows}
    assert weeks == {monday, monday + timedelta(days=7), monday + timedelta(days=14)}
    assert all(week_start(w) == w for w in weeks)

    def expected(week):
        as_of = min(week + timedelta(days=6), today)
        released = [a for a in assignments if a.release_on <= as_of]
        completed = [a for a in released if a.completed_at and a.completed_at.date() <= as_of]
        overdue = [a for a in released if a not in completed and a.due_on and a.due_on < as_of]
        return len(released), len(completed), len(overdue)

    for week in weeks:
        got = [r for r in rows if r.week_start == week]
        assert (sum(r.released for r in got), sum(r.completed for r in got),
                sum(r.overdue for r in got)) == expected(week)
    cells = queries.completion_series(world["org_x"], team_scope=None)
    org_cells = [c for c in cells if c.group.kind == "organisation"]
    assert [c.week_start for c in org_cells] == sorted(weeks)
    assert org_cells[0].completed == 1 and org_cells[0].rate == 1 / org_cells[0].released
    leader_scope = {world["clinic_a"].id, world["team_a"].id}
    leader_cells = queries.completion_series(world["org_x"], team_scope=leader_scope)
    assert {c.group.team_id for c in leader_cells} <= leader_scope | {None}
    starts = queries.enrollment_starts(world["org_x"], team_scope=None)
    assert starts == [(monday, program.name, sorted([world["team_a"].id, world["team_b"].id]))]
    assert queries.enrollment_starts(world["org_x"], team_scope=leader_scope) == [
        (monday, program.name, [world["team_a"].id])]


def test_erasing_a_person_leaves_rollups_unchanged_and_deleting_the_org_removes_them(build_org):
    from orgwell.metrics.rebuild import rebuild_org
    from orgwell.orgs.models import Membership
    from orgwell.privacy import deletion, erasure

    practice = build_org([(0, [6, 6])])
    other = build_org([(0, [5])], slug="other", name="Other Physio")
    for p in (practice, other):
        wave = open_survey_wave(p, date(2026, 1, 5))
        answer_wave(wave, random.Random(5), rate=1.0)
        close_wave(wave)
    before = snapshot(practice.org.id)
    person = db.session.scalars(
        select(Membership).filter_by(organisation_id=practice.org.id).order_by(Membership.id)
    ).first()
    person.status, person.left_on = "left", date(2026, 1, 20)
    erasure.erase_member(person)
    db.session.commit()
    assert snapshot(practice.org.id) == before
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == before  # the raw data still gives the same rollups

    other_before = snapshot(other.org.id)
    org_id, other_id = practice.org.id, other.org.id
    deletion.delete_organisation(practice.org, "practice")
    db.session.commit()
    assert snapshot(org_id) == ({}, {})
    assert snapshot(other_id) == other_before
