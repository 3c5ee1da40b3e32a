"""`orgwell metrics rebuild [SLUG]` and the program week rollups."""
from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime, timedelta

from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import figures, queries
from orgwell.metrics.confidentiality import REASON_DIFFERENCING
from orgwell.metrics.models import ParticipationRollup, ProgramWeekRollup, ScaleRollup
from orgwell.metrics.rebuild import rebuild_program_weeks, rebuild_programs, week_start
from orgwell.orgs import staff
from orgwell.orgs.services import update_team
from orgwell.programs import enrollment, library
from orgwell.programs.models import Assignment
from tests import factories
from tests.metrics.conftest import answer_wave, close_wave, open_survey_wave
from tests.metrics.results_fixtures import login
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
    # North PT 6 people, South PT 5: every group reaches the completion threshold of 5.
    for team, more in ((world["team_a"], 5), (world["team_b"], 4)):
        for _ in range(more):
            factories.MembershipFactory(organisation=world["org_x"], teams=[team])
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
        return (len(released), len(completed), len(overdue),
                len({a.membership_id for a in released}))

    for week in weeks:
        got = [r for r in rows if r.week_start == week]
        assert (sum(r.released for r in got), sum(r.completed for r in got),
                sum(r.overdue for r in got), sum(r.people for r in got)) == expected(week)
    assert {r.team_id: r.people for r in rows if r.week_start == monday} == {
        world["team_a"].id: 6, world["team_b"].id: 5}
    cells = queries.completion_series(world["org_x"], team_scope=None)
    assert not any(c.suppressed for c in cells)
    org_cells = [c for c in cells if c.group.kind == "organisation"]
    assert [c.week_start for c in org_cells] == sorted(weeks)
    assert org_cells[0].completed == 1 and org_cells[0].rate == 1 / org_cells[0].released
    leader_scope = {world["clinic_a"].id, world["team_a"].id}
    leader_cells = queries.completion_series(world["org_x"], team_scope=leader_scope)
    assert leader_cells and {c.group.team_id for c in leader_cells} <= leader_scope
    starts = queries.enrollment_starts(world["org_x"], team_scope=None)
    assert starts == [(monday, program.name, sorted([world["team_a"].id, world["team_b"].id]))]
    assert queries.enrollment_starts(world["org_x"], team_scope=leader_scope) == [
        (monday, program.name, [world["team_a"].id])]


def test_completion_of_fewer_than_five_people_is_hidden_with_the_reason(world, time_machine):
    """North PT has 6 people enrolled, South PT 2 (staff_b and one more): South PT is hidden,
    and so is the organisation, which would give South PT away as organisation - North."""
    monday = date(2026, 3, 2)
    time_machine.move_to(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False)
    for team, more in ((world["team_a"], 5), (world["team_b"], 1)):
        for _ in range(more):
            factories.MembershipFactory(organisation=world["org_x"], teams=[team])
    program = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    db.session.commit()
    enrollment.enroll(program, start_on=monday, team_ids=[world["team_a"].id, world["team_b"].id],
                      notify=False, day=monday)
    db.session.commit()
    rebuild_program_weeks(world["org_x"], monday + timedelta(days=7))
    db.session.commit()
    cells = queries.completion_series(world["org_x"], team_scope=None)
    by_key = {}
    for c in cells:
        by_key.setdefault(c.group.key, []).append(c)
    south = by_key[f"clinic:{world['team_b'].id}"]
    assert all(c.suppressed and c.reason == "fewer than 5 people" for c in south)
    assert all((c.released, c.completed, c.overdue, c.rate) == (None,) * 4 for c in south)
    assert all(c.suppressed and c.reason == REASON_DIFFERENCING for c in by_key["org"])
    north = by_key[f"team:{world['team_a'].id}"]
    assert north and not any(c.suppressed for c in north)
    assert all(c.released > 0 for c in north)
    # The participation figure says why instead of leaving the weeks out.
    text = json.dumps(figures.participation([], cells).to_plotly_json(), cls=PlotlyJSONEncoder)
    assert "fewer than 5 people" in text


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


def test_program_weeks_keep_the_clinic_their_team_had(world, time_machine):
    """North PT moves from North clinic to South PT's clinic: the weeks already rolled up stay
    in North clinic (a rebuild keeps them there), the weeks after the move count in the new."""
    monday = date(2026, 3, 2)
    time_machine.move_to(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False)
    for _ in range(5):
        factories.MembershipFactory(organisation=world["org_x"], teams=[world["team_a"]])
    program = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    db.session.commit()
    enrollment.enroll(program, start_on=monday, team_ids=[world["team_a"].id], notify=False,
                      day=monday)
    db.session.commit()
    rebuild_program_weeks(world["org_x"], monday + timedelta(days=7))
    db.session.commit()

    def clinics():
        return {(c.week_start, c.group.key) for c in queries.completion_series(
            world["org_x"], team_scope=None) if c.group.kind == "clinic"}

    before = clinics()
    north, south = f"clinic:{world['clinic_a'].id}", f"clinic:{world['team_b'].id}"
    assert before == {(monday, north), (monday + timedelta(days=7), north)}
    update_team(world["team_a"], world["team_a"].name, world["team_b"].id)
    db.session.commit()
    rebuild_program_weeks(world["org_x"], monday + timedelta(days=14))
    db.session.commit()
    assert clinics() == before | {(monday + timedelta(days=14), south)}


def test_a_results_page_says_why_completion_is_hidden(world, client, time_machine):
    monday = date(2026, 3, 2)
    time_machine.move_to(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False)
    program = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    db.session.commit()
    enrollment.enroll(program, start_on=monday, team_ids=[world["team_b"].id], notify=False,
                      day=monday)
    db.session.commit()
    rebuild_program_weeks(world["org_x"], monday + timedelta(days=7))
    db.session.commit()
    login(client, world["owner_x"])
    page = client.get("/o/riverside/results/").get_data(as_text=True)
    card = page.split('data-stat="completion-rate"')[1].split("</div></div>")[0]
    assert "Hidden to protect confidentiality (fewer than 5 people)" in card
    rows = list(csv.DictReader(io.StringIO(
        client.get("/o/riverside/results/results.csv").get_data(as_text=True))))
    weeks = [r for r in rows if r["table"].startswith("Program")]
    assert weeks and all(r["suppressed"] == "yes" and r["reason"] == "fewer than 5 people"
                         and r["released"] == "" for r in weeks)


def test_a_leaver_and_a_mover_keep_the_organisations_completion_shown(world, time_machine):
    """North PT 6, South PT 6, all enrolled. In week 1 one of North PT completes work; in
    week 2 they leave (their open work is closed) and one of South PT moves to North PT. A
    leaver counted nowhere-in-particular would be a no-team group of one under k, and the
    organisation total, which gives that group away, would be hidden for every later week."""
    monday = date(2026, 3, 2)
    time_machine.move_to(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False)
    for team in (world["team_a"], world["team_b"]):
        for _ in range(6 - 1):
            factories.MembershipFactory(organisation=world["org_x"], teams=[team])
    program = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    db.session.commit()
    enrollment.enroll(program, start_on=monday, team_ids=[world["team_a"].id, world["team_b"].id],
                      notify=False, day=monday)
    db.session.commit()
    leaver = world["staff_a"].memberships[0]
    mover = world["staff_b"].memberships[0]
    done = db.session.scalars(select(Assignment).filter_by(membership_id=leaver.id)
                              .order_by(Assignment.release_on)).first()
    done.status, done.completed_at = "completed", datetime(2026, 3, 3, 12, tzinfo=UTC)
    db.session.commit()
    time_machine.move_to(datetime(2026, 3, 11, 9, tzinfo=UTC), tick=False)
    staff.mark_leaver(leaver, date(2026, 3, 11))
    staff.update_person(mover, team_ids=[world["team_a"].id], role="staff",
                        job_title=mover.job_title, patient_facing=True, on_leave=False)
    db.session.commit()
    assert db.session.scalars(select(Assignment.status).filter_by(membership_id=leaver.id)
                              .where(Assignment.status == "closed")).first()

    today = monday + timedelta(days=20)
    rebuild_program_weeks(world["org_x"], today)
    db.session.commit()
    rows = db.session.scalars(select(ProgramWeekRollup)).all()
    assert all(r.team_id is not None and r.released > 0 for r in rows)
    later = [r for r in rows if r.week_start > monday]
    assert {r.team_id: r.people for r in later} == {
        # North PT: its 5 others, the mover, and the leaver with the work they finished there.
        world["team_a"].id: 7, world["team_b"].id: 5}
    # The leaver's finished work still counts, every week.
    assert all(r.completed == (r.team_id == world["team_a"].id) for r in later)
    cells = queries.completion_series(world["org_x"], team_scope=None)
    org_cells = [c for c in cells if c.group.kind == "organisation"]
    assert len(org_cells) == 3 and not any(c.suppressed for c in org_cells)


def test_the_rebuild_writes_only_the_programs_it_locked(world, time_machine):
    """A program created after the hourly rebuild listed the programs is left to its own
    rebuild: the org-wide one deletes and inserts the locked programs' rows only."""
    monday = date(2026, 3, 2)
    time_machine.move_to(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False)
    first = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    second = library.copy_template(world["org_x"], "stress-reset", created_by=world["owner_x"])
    db.session.commit()
    for program in (first, second):
        enrollment.enroll(program, start_on=monday, team_ids=[world["team_a"].id],
                          notify=False, day=monday)
    db.session.commit()
    assert rebuild_program_weeks(world["org_x"], monday + timedelta(days=7)) > 0
    db.session.commit()

    def weeks_of(program):
        return {(r.team_key, r.week_start, r.released) for r in db.session.scalars(
            select(ProgramWeekRollup).filter_by(program_id=program.id))}

    second_rows = weeks_of(second)
    assert second_rows and weeks_of(first)
    # `second` as if created between the listing and the writing: its rows are its own
    # rebuild's, which may be running now; a later week for `first` only.
    written = rebuild_programs(world["org_x"].id, [first.id], monday + timedelta(days=14))
    db.session.commit()
    assert written == len(weeks_of(first)) and weeks_of(second) == second_rows
    assert {w for _, w, _ in weeks_of(first)} == {monday, monday + timedelta(days=7),
                                                  monday + timedelta(days=14)}
