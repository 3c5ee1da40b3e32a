"""GET /api/v1/orgs/<slug>/metrics/burnout and /participation: protected numbers, by role."""
from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sqlalchemy import select

from orgwell.auth.services import create_api_token
from orgwell.extensions import db
from orgwell.surveys.models import Response, ResponseScore, WaveMember
from tests import factories, snapshots
from tests.metrics.conftest import close_wave, open_survey_wave, random_answers
from tests.surveys.conftest import store_response

WAVE = date(2026, 2, 2)


@pytest.fixture
def results(world):
    """Riverside: North PT (team of North clinic) with 7 answers, South PT (a clinic) with 3."""
    from orgwell.metrics import hooks

    hooks.register()
    return snapshots.reuse("api_results", lambda: _answered_wave(world))


def _answered_wave(world):
    from orgwell.surveys import events

    for team, n in ((world["team_a"], 7), (world["team_b"], 4)):
        for _ in range(n):
            factories.MembershipFactory(organisation=world["org_x"], teams=[team])
    db.session.commit()
    practice = type("P", (), {"org": world["org_x"], "campaigns": {}})()
    wave = open_survey_wave(practice, WAVE)
    instrument = practice.campaigns["cbi-work"].instrument_version.instrument
    rng = random.Random(7)
    answered = {world["team_a"].id: 7, world["team_b"].id: 3}
    for member in db.session.scalars(
        select(WaveMember).filter_by(wave_id=wave.id).order_by(WaveMember.id)
    ):
        if answered.get(member.team_id, 0) > 0:
            answered[member.team_id] -= 1
            response = store_response(wave, member.team_id, random_answers(instrument, rng, 0))
            db.session.flush()
            events.response_stored(response)
    db.session.commit()
    close_wave(wave)
    return wave


@pytest.fixture
def api(client, world):
    tokens = {}

    def get(person, path, **params):
        if person not in tokens:
            tokens[person] = create_api_token(world[person], "test")
            db.session.commit()
        return client.get(f"/api/v1/orgs/riverside/metrics/{path}", query_string=params,
                          headers={"Authorization": f"Bearer {tokens[person]}"})

    return get


def by_team(body):
    return {entry["team"]: entry for entry in body["series"]}


def test_owner_gets_every_group_with_numbers_checked_by_scipy(api, results, world):
    response = api("owner_x", "burnout", instrument="cbi-work", scale="work")
    assert response.status_code == 200
    body = response.get_json()
    assert body["threshold"] == 5
    series = by_team(body)
    assert set(series) == {None, "North clinic", "North PT", "South PT"}
    scores = np.array(db.session.scalars(
        select(ResponseScore.score).join(Response)
        .where(Response.wave_id == results.id, ResponseScore.scale_key == "work")
    ).all())
    total = series[None]
    assert total["wave"] == "2026-02-02" and total["n"] == 10 and total["suppressed"] is False
    assert total["wave_id"] == results.id and total["campaign"] == "Pulse cbi-work"
    assert total["mean"] == pytest.approx(scores.mean())
    low, high = scipy_stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(),
                                       scale=scipy_stats.sem(scores))
    assert (total["ci_low"], total["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert total["pct_high"] == pytest.approx(100 * (scores >= 50).mean())


def test_a_small_team_is_suppressed_with_a_reason_and_nulls(api, results):
    series = by_team(api("owner_x", "burnout", instrument="cbi-work", scale="work").get_json())
    south = series["South PT"]
    assert south["suppressed"] is True and south["reason"] == "fewer than 5 responses"
    assert [south[k] for k in ("n", "mean", "ci_low", "ci_high", "pct_high")] == [None] * 5
    # organisation 10 = North 7 + South 3: showing both org and North would reveal South's 3,
    # so one of them is hidden too, with its reason -- the same side as on participation (one
    # decision per wave: there the clinic's 1 invited non-respondent, leader_a, must not be
    # derivable either, so the North groups are the ones hidden)
    shown = {team for team, e in series.items() if not e["suppressed"]}
    assert shown == {None}
    hidden = [e for e in series.values() if e["suppressed"] and e["team"] != "South PT"]
    assert hidden and all(e["reason"].startswith("hidden so that") for e in hidden)
    participation = by_team(api("owner_x", "participation").get_json())
    assert {t for t, e in participation.items() if not e["suppressed"]} == shown


def test_leaders_see_their_clinic_only_never_the_organisation_total(api, results):
    owner = by_team(api("owner_x", "burnout", instrument="cbi-work", scale="work").get_json())
    leader = by_team(api("leader_a", "burnout", instrument="cbi-work", scale="work").get_json())
    assert set(leader) == {"North clinic", "North PT"}
    assert all(leader[t] == owner[t] for t in leader)  # the same decision for everyone
    participation = by_team(api("leader_a", "participation").get_json())
    assert set(participation) == {"North clinic", "North PT"}
    response = api("leader_a", "burnout", instrument="cbi-work", scale="work", team="South PT")
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "team"


def test_team_filter_and_dates(api, results):
    body = api("owner_x", "burnout", instrument="cbi-work", scale="work",
               team="North PT").get_json()
    assert [e["team"] for e in body["series"]] == ["North PT"]
    body = api("owner_x", "burnout", instrument="cbi-work", scale="work",
               **{"from": "2026-03-01"}).get_json()
    assert body["series"] == []
    body = api("owner_x", "burnout", instrument="cbi-work", scale="work",
               **{"from": "2026-02-01", "to": "2026-02-02"}).get_json()
    assert len(body["series"]) == 4


def test_participation(api, results):
    response = api("consultant_x", "participation")
    assert response.status_code == 200
    series = by_team(response.get_json())
    # Organisation: 15 invited (the owner, leader_a in the clinic itself, North PT 8 with
    # staff_a, South PT 5 with staff_b), 10 answers: 7 in North, 3 in South. Showing a North
    # group beside the organisation would reveal South's 3, so only one side is shown.
    total = series[None]
    assert (total["invited"], total["responded"]) == (15, 10)
    assert total["rate"] == pytest.approx(10 / 15) and total["instrument"] == "cbi-work"
    for name in ("North clinic", "North PT"):
        assert series[name]["suppressed"] and series[name]["reason"].startswith("hidden so")
    south = series["South PT"]
    assert south["suppressed"] and south["invited"] is None and south["responded"] is None
    assert south["reason"] == "fewer than 5 responses"
    assert api("owner_x", "participation", instrument="cbi-work").status_code == 200


@pytest.mark.parametrize("params, parameter", [
    ({"scale": "work"}, "instrument"),
    ({"instrument": "cbi-work"}, "scale"),
    ({"instrument": "nope", "scale": "work"}, "instrument"),
    ({"instrument": "cbi-work", "scale": "personal"}, "scale"),
    ({"instrument": "cbi-work", "scale": "work", "from": "yesterday"}, "from"),
    ({"instrument": "cbi-work", "scale": "work", "from": "2026-03-01", "to": "2026-01-01"},
     "from"),
    ({"instrument": "cbi-work", "scale": "work", "team": "Nowhere"}, "team"),
    ({"instrument": "cbi-work", "scale": "work", "limit": "5"}, "limit"),
])
def test_bad_parameters_are_400_json(api, results, params, parameter):
    response = api("owner_x", "burnout", **params)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == parameter
    assert response.get_json()["status"] == 400


@pytest.mark.parametrize("person, status", [
    ("owner_y", 404), ("consultant_y", 404), ("staff_a", 403), ("consultant_x", 200),
])
def test_access(api, results, person, status):
    assert api(person, "burnout", instrument="cbi-work", scale="work").status_code == status
    assert api(person, "participation").status_code == status


def test_no_token_is_401(client, results):
    assert client.get("/api/v1/orgs/riverside/metrics/burnout").status_code == 401
