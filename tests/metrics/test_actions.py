"""Acting on results: a plan with a team enrollment in one step, scope, bad input, follow-up."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.metrics import actions
from orgwell.metrics.action_models import Action
from orgwell.orgs.services import FieldError
from orgwell.programs import library
from orgwell.programs.models import Cohort, Enrollment, Program, today
from tests import factories
from tests.metrics.action_fixtures import make_campaign, make_wave, put_result


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _login(client, user):
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})


def _form(**overrides) -> dict:
    data = {
        "title": "Protect a 15-minute lunch break",
        "owner_text": "Clinic lead with the front desk",
        "due_on": (today() + timedelta(days=30)).isoformat(),
        "notes": "Check at the next survey.",
        "program": "",
        "start_on": (today() + timedelta(days=7)).isoformat(),
    }
    data.update(overrides)
    return data


def _enrolled_members(cohort_id: int) -> set[int]:
    return set(db.session.scalars(
        select(Enrollment.membership_id).where(Enrollment.cohort_id == cohort_id)))


@pytest.fixture
def program(world):
    program = library.copy_template(world["org_x"], "stress-reset")
    db.session.commit()
    return program


# --- creating ---------------------------------------------------------------------------------


def test_leader_creates_action_and_enrolls_the_team_in_one_step(client, world, program):
    _login(client, world["leader_a"])
    team = world["team_a"]
    response = client.post(
        f"/o/riverside/actions/teams/{team.id}/new",
        data=_form(program=f"program:{program.id}"),
    )
    assert response.status_code == 302
    action = db.session.scalars(select(Action)).one()
    assert response.headers["Location"].endswith(f"/o/riverside/actions/{action.id}")
    assert (action.team_id, action.title, action.owner_text, action.status) == (
        team.id, "Protect a 15-minute lunch break", "Clinic lead with the front desk", "open")
    assert action.started_on == today() and action.created_by_id == world["leader_a"].id
    cohort = db.session.get(Cohort, action.cohort_id)
    assert cohort.program_id == program.id
    assert cohort.start_on == today() + timedelta(days=7)
    assert [t.id for t in cohort.teams] == [team.id] and cohort.auto_enroll_joiners
    staff_a = world["staff_a"].memberships[0]
    assert _enrolled_members(cohort.id) == {staff_a.id}

    page = client.get(f"/o/riverside/actions/{action.id}").get_data(as_text=True)
    assert "Protect a 15-minute lunch break" in page and program.name in page


def test_a_library_template_is_copied_once_and_then_reused(client, world):
    _login(client, world["owner_x"])
    team_a, team_b = world["team_a"], world["team_b"]
    for team in (team_a, team_b):
        response = client.post(f"/o/riverside/actions/teams/{team.id}/new",
                               data=_form(program="template:burnout-prehab"))
        assert response.status_code == 302
    programs = db.session.scalars(
        select(Program).where(Program.organisation_id == world["org_x"].id)).all()
    assert [p.copied_from for p in programs] == ["burnout-prehab"]
    cohorts = {a.team_id: a.cohort for a in db.session.scalars(select(Action))}
    assert {c.program_id for c in cohorts.values()} == {programs[0].id}
    assert _enrolled_members(cohorts[team_b.id].id) == {world["staff_b"].memberships[0].id}
    # The choice list now offers the copy, not the template again.
    values = [value for value, _ in actions.program_choices(world["org_x"])]
    assert f"program:{programs[0].id}" in values and "template:burnout-prehab" not in values


def test_consultant_may_act_for_any_team_of_a_client(client, world, program):
    _login(client, world["consultant_x"])
    response = client.post(f"/o/riverside/actions/teams/{world['team_b'].id}/new",
                           data=_form(program=f"program:{program.id}"))
    assert response.status_code == 302
    action = db.session.scalars(select(Action)).one()
    assert action.team_id == world["team_b"].id and action.cohort_id is not None
    assert action.created_by_id == world["consultant_x"].id


def test_a_plan_without_a_program(client, world):
    _login(client, world["owner_x"])
    response = client.post(f"/o/riverside/actions/teams/{world['team_b'].id}/new",
                           data=_form(program="", start_on=""))
    assert response.status_code == 302
    action = db.session.scalars(select(Action)).one()
    assert action.cohort_id is None
    assert _count(Cohort) == 0


@pytest.mark.parametrize("overrides, message", [
    ({"title": "   "}, "This field is required."),
    ({"owner_text": ""}, "This field is required."),
    ({"due_on": ""}, "This field is required."),
    ({"due_on": "not a date"}, "Not a valid date value."),
    ({"due_on": (date.today() - timedelta(days=3)).isoformat()}, "Choose today or a later date."),
    ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
    ({"program": "template:burnout-prehab", "start_on": ""}, "Choose when the program starts."),
    ({"program": "template:no-such-thing"}, "Not a valid choice."),
    ({"program": "program:99999"}, "Not a valid choice."),
    ({"program": "template:burnout-prehab", "start_on": "2001-01-01"},
     "Choose a start date within a year of today."),
])
def test_bad_input_re_renders_with_errors_and_changes_nothing(client, world, overrides, message):
    _login(client, world["owner_x"])
    response = client.post(f"/o/riverside/actions/teams/{world['team_a'].id}/new",
                           data=_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(Action) == _count(Cohort) == _count(Program) == 0


def test_every_problem_is_shown_at_once(client, world):
    _login(client, world["owner_x"])
    response = client.post(f"/o/riverside/actions/teams/{world['team_a'].id}/new",
                           data=_form(title="", program="template:burnout-prehab", start_on=""))
    page = response.get_data(as_text=True)
    assert "This field is required." in page and "Choose when the program starts." in page
    assert _count(Action) == _count(Program) == 0


def test_another_organisations_program_cannot_be_chosen(client, world):
    foreign = library.copy_template(world["org_y"], "stress-reset")
    db.session.commit()
    _login(client, world["owner_x"])
    response = client.post(f"/o/riverside/actions/teams/{world['team_a'].id}/new",
                           data=_form(program=f"program:{foreign.id}"))
    assert response.status_code == 200
    assert "Not a valid choice." in response.get_data(as_text=True)
    assert _count(Action) == _count(Cohort) == 0


def test_service_refuses_foreign_or_unpublished_programs_and_out_of_scope_teams(world):
    org = world["org_x"]
    plan = actions.Plan("Walk meetings", "Team lead", today() + timedelta(days=10))
    foreign = library.copy_template(world["org_y"], "stress-reset")
    with pytest.raises(FieldError) as problem:
        actions.create_action(org, world["team_a"], plan, program_choice=f"program:{foreign.id}",
                              start_on=today())
    assert problem.value.field == "program"
    with pytest.raises(FieldError) as problem:
        actions.create_action(org, world["team_b"], plan, team_scope={world["team_a"].id})
    assert problem.value.field == "team_id"
    with pytest.raises(FieldError) as problem:
        actions.create_action(org, world["team_y"], plan)
    assert problem.value.field == "team_id"
    with pytest.raises(FieldError) as problem:
        actions.create_action(org, world["team_a"], actions.Plan("Walk", "Lead", date(2000, 1, 1)))
    assert problem.value.field == "due_on"
    db.session.rollback()
    assert _count(Action) == 0


# --- who may see and change what ----------------------------------------------------------------


@pytest.fixture
def two_actions(world):
    org = world["org_x"]
    plan = actions.Plan("Team huddle on Mondays", "Lead PT", today() + timedelta(days=14))
    in_scope = actions.create_action(org, world["team_a"], plan)
    outside = actions.create_action(org, world["team_b"], actions.Plan(
        "Fewer double bookings", "Front desk", today() + timedelta(days=21)))
    db.session.commit()
    return in_scope, outside


def test_leader_sees_and_changes_only_actions_of_their_teams(client, world, two_actions):
    in_scope, outside = two_actions
    _login(client, world["leader_a"])
    listing = client.get("/o/riverside/actions/").get_data(as_text=True)
    assert "Team huddle on Mondays" in listing and "Fewer double bookings" not in listing
    assert client.get(f"/o/riverside/actions/{in_scope.id}").status_code == 200
    for url in (f"/o/riverside/actions/{outside.id}", f"/o/riverside/actions/{outside.id}/edit",
                f"/o/riverside/actions/teams/{world['team_b'].id}",
                f"/o/riverside/actions/teams/{world['team_b'].id}/new"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/o/riverside/actions/{outside.id}/status", data={"status": "done"})
    assert response.status_code == 404
    db.session.refresh(outside)
    assert outside.status == "open"


def test_staff_never_see_actions(client, world, two_actions):
    _login(client, world["staff_a"])
    assert client.get("/o/riverside/actions/").status_code == 403
    assert client.get(f"/o/riverside/actions/{two_actions[0].id}").status_code == 403


def test_another_organisations_action_is_a_404(client, world, two_actions):
    foreign_team = world["team_y"]
    foreign = actions.create_action(world["org_y"], foreign_team, actions.Plan(
        "Harbor plan", "Harbor lead", today() + timedelta(days=5)))
    db.session.commit()
    _login(client, world["owner_x"])
    assert client.get(f"/o/riverside/actions/{foreign.id}").status_code == 404
    assert client.post(f"/o/riverside/actions/{foreign.id}/status",
                       data={"status": "dropped"}).status_code == 404
    assert client.get("/o/riverside/actions/999999").status_code == 404
    client.post("/logout")
    _login(client, world["owner_y"])
    assert client.get(f"/o/riverside/actions/{two_actions[0].id}").status_code == 404


# --- status and editing ---------------------------------------------------------------------------


def test_status_changes(client, world, two_actions):
    action = two_actions[0]
    _login(client, world["leader_a"])
    url = f"/o/riverside/actions/{action.id}/status"
    assert client.post(url, data={"status": "done"}).status_code == 302
    db.session.refresh(action)
    assert (action.status, action.closed_on) == ("done", today())
    response = client.post(url, data={"status": "open", "next": "team"})
    assert response.headers["Location"].endswith(f"/actions/teams/{action.team_id}")
    db.session.refresh(action)
    assert (action.status, action.closed_on) == ("open", None)
    client.post(url, data={"status": "dropped"})
    db.session.refresh(action)
    assert action.status == "dropped"
    response = client.post(url, data={"status": "exploded"}, follow_redirects=True)
    assert "Please choose open, done or dropped" in response.get_data(as_text=True)
    db.session.refresh(action)
    assert action.status == "dropped"


def test_edit_the_plan(client, world, two_actions):
    action = two_actions[0]
    _login(client, world["leader_a"])
    url = f"/o/riverside/actions/{action.id}/edit"
    assert "Team huddle on Mondays" in client.get(url).get_data(as_text=True)
    bad = client.post(url, data={"title": "", "owner_text": "Lead PT",
                                 "due_on": action.due_on.isoformat()})
    assert bad.status_code == 200 and "This field is required." in bad.get_data(as_text=True)
    early = client.post(url, data={"title": "Huddle", "owner_text": "Lead PT",
                                   "due_on": (action.started_on - timedelta(days=1)).isoformat()})
    assert "on or after the day the action was decided" in early.get_data(as_text=True)
    db.session.refresh(action)
    assert action.title == "Team huddle on Mondays"
    ok = client.post(url, data={"title": "Huddle on Mondays and Thursdays", "owner_text": "Sam",
                                "due_on": action.due_on.isoformat(), "notes": "Twice a week"})
    assert ok.status_code == 302
    db.session.refresh(action)
    assert (action.title, action.owner_text, action.notes) == (
        "Huddle on Mondays and Thursdays", "Sam", "Twice a week")


def test_pages_list_actions_per_team_with_status(client, world, two_actions):
    in_scope, outside = two_actions
    actions.set_status(outside, "done")
    db.session.commit()
    _login(client, world["owner_x"])
    page = client.get("/o/riverside/actions/").get_data(as_text=True)
    assert world["team_a"].label in page and world["team_b"].label in page
    done = client.get("/o/riverside/actions/?status=done").get_data(as_text=True)
    assert "Fewer double bookings" in done and "Team huddle on Mondays" not in done
    team_page = client.get(f"/o/riverside/actions/teams/{world['team_a'].id}")
    assert "Team huddle on Mondays" in team_page.get_data(as_text=True)
    assert client.get("/o/riverside/actions/?status=<script>").status_code == 200


# --- follow-up and the time axis ----------------------------------------------------------------


def test_follow_up_waves_are_the_teams_waves_after_the_action(world):
    org, team_a, team_b = world["org_x"], world["team_a"], world["team_b"]
    day = today()
    everyone = make_campaign(org, name="Everyone")
    only_b = make_campaign(org, name="South only", audience="teams", team_ids=[team_b.id])
    clinic = make_campaign(org, name="North clinic", audience="teams",
                           team_ids=[world["clinic_a"].id])
    before = make_wave(everyone, day - timedelta(days=30))
    same_day = make_wave(everyone, day, status="open")
    after = make_wave(clinic, day + timedelta(days=1), status="open")
    later = make_wave(everyone, day + timedelta(days=30), status="scheduled")
    make_wave(only_b, day + timedelta(days=2))
    action = actions.create_action(org, team_a, actions.Plan("Plan", "Lead", day))
    assert [w.id for w in actions.follow_up_waves(action)] == [after.id]
    assert actions.baseline_wave(action).id == before.id
    later.status = "open"
    db.session.flush()
    assert [w.id for w in actions.follow_up_waves(action)] == [after.id, later.id]
    assert same_day.id not in [w.id for w in actions.follow_up_waves(action)]


def test_actions_for_the_time_axis(world, program):
    org = world["org_x"]
    day = today()
    first = actions.create_action(org, world["team_a"], actions.Plan("Huddles", "Lead", day),
                                  started_on=day - timedelta(days=20))
    actions.create_action(org, world["team_b"], actions.Plan("Breaks", "Desk", day),
                          program_choice=f"program:{program.id}", start_on=day)
    dropped = actions.create_action(org, world["team_a"], actions.Plan("Dropped", "Lead", day))
    actions.set_status(dropped, "dropped")
    marks = actions.actions_for(org, None)
    assert marks == [
        (day - timedelta(days=20), "Action: Huddles", [world["team_a"].id]),
        (day, f"Action: Breaks (+ {program.name})", [world["team_b"].id]),
    ]
    leader_scope = {world["clinic_a"].id, world["team_a"].id}
    assert actions.actions_for(org, leader_scope) == [marks[0]]
    assert first.started_on == day - timedelta(days=20)


def test_action_page_shows_follow_up_results_only_as_protected(client, world):
    """Before/after numbers come through confidentiality: a hidden team shows the reason."""
    org = world["org_x"]
    north_ot = factories.TeamFactory(organisation=org, name="North OT", parent=world["clinic_a"])
    campaign = make_campaign(org)
    day = today()
    before = make_wave(campaign, day - timedelta(days=30))
    after = make_wave(campaign, day + timedelta(days=1))
    for wave, mean in ((before, 62.0), (after, 48.0)):
        put_result(wave, world["team_a"], 6, mean)
        put_result(wave, north_ot, 6, 40.0)
        put_result(wave, world["team_b"], 6, 45.0)
    action = actions.create_action(org, world["team_a"], actions.Plan("Huddles", "Lead", day))
    db.session.commit()
    _login(client, world["owner_x"])
    page = client.get(f"/o/riverside/actions/{action.id}").get_data(as_text=True)
    assert "62" in page and "48" in page and "-14 since the action" in page

    # Now the team is too small in the follow-up wave: no number, the reason instead.
    late = make_wave(campaign, day + timedelta(days=31))
    put_result(late, world["team_a"], 2, 99.0)
    put_result(late, north_ot, 6, 40.0)
    put_result(late, world["team_b"], 6, 45.0)
    db.session.commit()
    page = client.get(f"/o/riverside/actions/{action.id}").get_data(as_text=True)
    assert "hidden:" in page and "99" not in page
