"""The read-only programs API: scoped by the caller's role, no reflections, strict params."""
from __future__ import annotations

from datetime import timedelta

import pytest

from orgwell.auth.services import create_api_token
from orgwell.extensions import db
from orgwell.programs import learning
from orgwell.programs.models import ProgramSettings
from tests.programs.learning_fixtures import *  # noqa: F403
from tests.programs.learning_fixtures import START, assignment_of, membership_of, move_to

SECRET = "private words about a hard week"


@pytest.fixture
def api(client, world):
    """api(person, path, **params) -> response, authenticated with that person's token."""
    tokens = {}

    def call(person, path, **params):
        if person not in tokens:
            tokens[person] = create_api_token(world[person], "test")
            db.session.commit()
        return client.get(f"/api/v1/orgs/riverside/{path}", query_string=params,
                          headers={"Authorization": f"Bearer {tokens[person]}"})

    return call


def _people(response) -> set[str]:
    assert response.status_code == 200, response.get_json()
    return {row["person"] for row in response.get_json()["items"]}


def test_no_token_is_401_json(client, enrolled):
    response = client.get("/api/v1/orgs/riverside/assignments")
    assert response.status_code == 401
    assert response.get_json()["status"] == 401


def test_owner_sees_everyone(api, world, enrolled):
    names = {world["staff_a"].name, world["staff_b"].name}
    assert _people(api("owner_x", "assignments")) == names
    assert _people(api("owner_x", "enrollments")) == names


def test_leader_sees_only_their_teams(api, world, enrolled):
    assert _people(api("leader_a", "assignments")) == {world["staff_a"].name}
    assert _people(api("leader_a", "enrollments")) == {world["staff_a"].name}


def test_staff_see_only_themselves(api, world, enrolled):
    assert _people(api("staff_b", "assignments")) == {world["staff_b"].name}
    assert _people(api("staff_b", "enrollments")) == {world["staff_b"].name}
    # Naming a team does not widen it.
    assert _people(api("staff_b", "assignments", team=world["team_b"].id)) == {
        world["staff_b"].name}


def test_consultants_get_programs_but_no_people(api, world, enrolled):
    assert api("consultant_x", "programs").status_code == 200
    assert api("consultant_x", "assignments").status_code == 403
    assert api("consultant_x", "enrollments").status_code == 403


def test_other_organisations_do_not_exist(api, enrolled):
    assert api("owner_y", "assignments").status_code == 404
    assert api("owner_y", "programs").status_code == 404


def test_aggregates_only_setting_hides_people_from_leaders(api, world, enrolled):
    db.session.add(ProgramSettings(organisation_id=world["org_x"].id, leaders_see_people=False))
    db.session.commit()
    response = api("leader_a", "assignments")
    assert response.status_code == 403
    assert "aggregates only" in response.get_json()["error"]
    assert api("leader_a", "enrollments").status_code == 403
    assert api("leader_a", "programs").status_code == 200
    assert api("owner_x", "assignments").status_code == 200
    assert api("staff_a", "assignments").status_code == 200  # their own


def test_reflection_text_never_in_the_api(api, world, enrolled, clock):
    move_to(clock, START + timedelta(days=7))
    reflection = assignment_of(world, "staff_a", "compassion-reflection")
    learning.save_reflection(reflection, SECRET)
    learning.mark_complete(reflection)
    db.session.commit()
    for person in ("owner_x", "leader_a", "staff_a"):
        for path in ("programs", "enrollments", "assignments"):
            response = api(person, path)
            assert response.status_code == 200
            assert SECRET not in response.get_data(as_text=True)
            assert "reflection_text" not in response.get_data(as_text=True)
    rows = api("staff_a", "assignments", status="completed").get_json()["items"]
    assert [r["module"]["key"] for r in rows] == ["compassion-reflection"]


def test_team_filter(api, world, enrolled):
    assert _people(api("owner_x", "assignments", team=world["team_b"].id)) == {
        world["staff_b"].name}
    # A clinic stands for its teams.
    assert _people(api("owner_x", "enrollments", team=world["clinic_a"].id)) == {
        world["staff_a"].name}


def test_status_filter_and_overdue(api, world, enrolled, clock):
    move_to(clock, START + timedelta(days=8))  # compassion-reading was due on day 7
    rows = api("staff_a", "assignments", status="overdue").get_json()["items"]
    assert [r["module"]["key"] for r in rows] == ["compassion-reading"]
    assert rows[0]["status"] == "overdue"
    available = api("staff_a", "assignments", status="available").get_json()["items"]
    assert "compassion-reading" not in {r["module"]["key"] for r in available}
    assert available and {r["status"] for r in available} == {"available"}


def test_pagination(api, world, enrolled):
    first = api("owner_x", "assignments", limit=3).get_json()
    assert len(first["items"]) == 3 and first["limit"] == 3 and first["next_offset"] == 3
    total = first["total"]
    last = api("owner_x", "assignments", limit=3, offset=total - 1).get_json()
    assert len(last["items"]) == 1 and last["next_offset"] is None
    seen = set()
    offset = 0
    while offset is not None:
        page = api("owner_x", "assignments", limit=5, offset=offset).get_json()
        seen |= {r["id"] for r in page["items"]}
        offset = page["next_offset"]
    assert len(seen) == total


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "finished"}, "status"),
        ({"status": ""}, "status"),
        ({"team": "abc"}, "team"),
        ({"team": "0"}, "team"),
        ({"team": "-3"}, "team"),
        ({"team": "99999999999999999999"}, "team"),
        ({"team": "²"}, "team"),
        ({"team": "٣"}, "team"),
        ({"limit": "1²"}, "limit"),
        ({"offset": "𝟘"}, "offset"),
        ({"program": "x"}, "program"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"staus": "overdue"}, "staus"),
    ],
)
def test_bad_query_values_are_400_with_a_message(api, enrolled, params, parameter):
    for path in ("assignments", "enrollments"):
        response = api("owner_x", path, **params)
        assert response.status_code == 400, (path, params)
        body = response.get_json()
        assert body["status"] == 400 and body["parameter"] == parameter
        assert parameter in body["error"]


def test_teams_one_cannot_see_are_refused(api, world, enrolled):
    foreign = api("owner_x", "assignments", team=world["team_y"].id)
    assert foreign.status_code == 400 and foreign.get_json()["parameter"] == "team"
    outside = api("leader_a", "assignments", team=world["team_b"].id)
    assert outside.status_code == 400


def test_programs_list(api, world, enrolled, prehab):
    body = api("staff_a", "programs").get_json()
    [program] = body["items"]
    assert program["name"] == "Burnout prehab" and program["version"] == 1
    course = next(m for m in program["modules"] if m["key"] == "course-5033")
    assert course["course_number"] == "5033" and course["ce_hours"] == 2.0
    prehab.archived = True
    db.session.commit()
    assert api("staff_a", "programs").get_json()["items"] == []
    assert len(api("owner_x", "programs").get_json()["items"]) == 1
    assert api("owner_x", "programs", team="1").status_code == 400  # no filters here


def test_progress_in_enrollments(api, world, enrolled):
    learning.mark_complete(assignment_of(world, "staff_a", "course-5033"))
    db.session.commit()
    [row] = api("staff_a", "enrollments").get_json()["items"]
    assert row["progress"] == {"required": 6, "done": 1, "percent": 17}
    assert row["membership_id"] == membership_of(world, "staff_a").id
