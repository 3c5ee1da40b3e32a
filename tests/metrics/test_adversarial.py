"""The adversarial confidentiality test of the issue, on every surface M1 owns.

Organisations with clinics of 1-4 teams, teams of 1-12 people, people attached to a clinic
directly or to no team, and random response patterns (some teams silent, some complete).
For each organisation every number shown is collected -- queries for the owner, for each
clinic leader's scope and for each team filter, on every scale, participation included,
and the JSON API -- and two independent checks run over all of it together:

1. `assert_nothing_derivable` (blocks and nested differences; confidentiality_checks.py);
2. linear algebra against the TRUE counts: for every group whose true count is 1..k-1 and
   that is not shown, its membership vector over the smallest units (teams, a clinic's direct
   members, the unassigned) is not in the span of the shown groups' vectors, i.e. no sum or
   difference of shown numbers equals it.
"""
from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select

from orgwell.auth.services import create_api_token
from orgwell.extensions import db
from orgwell.metrics import queries
from orgwell.orgs.models import Team
from orgwell.surveys import events
from orgwell.surveys.models import Campaign, Response, ResponseScore, WaveMember
from tests import factories
from tests.metrics.confidentiality_checks import assert_nothing_derivable
from tests.metrics.conftest import close_wave, make_practice, open_survey_wave, random_answers
from tests.surveys.conftest import store_response

ORGS = 12
SCALES = ("work",)


def _random_practice(rng: random.Random, index: int):
    structure = [
        (rng.choice([0, 0, 1, 2]), [rng.randint(1, 12) for _ in range(rng.randint(1, 4))])
        for _ in range(rng.randint(1, 3))
    ]
    practice = make_practice(structure, slug=f"adv-{index}", name=f"Practice {index}",
                             unassigned=rng.choice([0, 0, 1, 3]))
    owner = factories.MembershipFactory(organisation=practice.org, role="owner").user
    leaders = {}
    for clinic in practice.clinics:
        leaders[clinic.id] = factories.MembershipFactory(
            organisation=practice.org, role="leader", teams=[clinic]).user
    db.session.commit()
    return practice, owner, leaders


def _answer_unevenly(wave, rng):
    """Per-team response rates from 0 to 1, so hidden, borderline and full teams all occur."""
    instrument = db.session.get(Campaign, wave.campaign_id).instrument_version.instrument
    rates = {}
    members = db.session.scalars(
        select(WaveMember).filter_by(wave_id=wave.id).order_by(WaveMember.id)).all()
    for member in members:
        rate = rates.setdefault(member.team_id, rng.choice([0.0, 0.3, 0.6, 0.9, 1.0]))
        if rng.random() < rate:
            response = store_response(
                wave, member.team_id, random_answers(instrument, rng, 0.05))
            db.session.flush()
            events.response_stored(response)
    db.session.commit()


def _surfaces(practice, owner, leaders, client, waves):
    """Every (wave, key, numbers) shown by queries and the API, plus group parents."""
    org = practice.org
    shown, parents = [], {}
    teams = db.session.scalars(select(Team).filter_by(organisation_id=org.id)).all()
    scopes = [None] + [
        {clinic.id} | {t.id for t in teams if t.parent_id == clinic.id}
        for clinic in practice.clinics
    ]
    filters = [None] + [frozenset({t.id}) for t in teams]
    for scope in scopes:
        for team_ids in filters:
            for scale in SCALES:
                f = queries.Filters("cbi-work", scale, team_ids)
                _, cells = queries.burnout_series(org, f, team_scope=scope)
                for c in cells:
                    parents[c.group.key] = c.group.parent_key
                    shown.append(((c.wave_id, scale), c.group.key, {"n": c.n}))
            _, cells = queries.participation_series(
                org, queries.Filters("cbi-work", "", team_ids), team_scope=scope)
            for c in cells:
                shown.append(((c.wave_id, "participation"), c.group.key,
                              {"responded": c.responded, "invited": c.invited}))
    by_name = {t.name: (f"team:{t.id}" if t.parent_id else f"clinic:{t.id}") for t in teams}
    by_date = {w.opens_on.isoformat(): w.id for w in waves}
    for user in [owner, *leaders.values()]:
        token = create_api_token(user, "adversary")
        db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        for scale in SCALES:
            body = client.get(f"/api/v1/orgs/{org.slug}/metrics/burnout",
                              query_string={"instrument": "cbi-work", "scale": scale},
                              headers=headers).get_json()
            for e in body["series"]:
                key = by_name[e["team"]] if e["team"] else "org"
                shown.append(((by_date[e["wave"]], scale), key, {"n": e["n"]}))
        body = client.get(f"/api/v1/orgs/{org.slug}/metrics/participation",
                          headers=headers).get_json()
        for e in body["series"]:
            key = by_name[e["team"]] if e["team"] else "org"
            shown.append(((by_date[e["wave"]], "participation"), key,
                          {"responded": e["responded"], "invited": e["invited"]}))
    return shown, parents


def _atoms(practice, wave, scale):
    """True respondent counts per smallest unit, and each group's units."""
    teams = db.session.scalars(select(Team).filter_by(organisation_id=practice.org.id)).all()
    counts = dict(db.session.execute(
        select(Response.team_id, func.count(ResponseScore.score))
        .join(ResponseScore, ResponseScore.response_id == Response.id)
        .where(Response.wave_id == wave.id, ResponseScore.scale_key == scale)
        .group_by(Response.team_id)
    ).all()) if scale != "participation" else dict(db.session.execute(
        select(Response.team_id, func.count()).where(Response.wave_id == wave.id)
        .group_by(Response.team_id)
    ).all())
    units = [None] + [t.id for t in teams]  # None: the unassigned; a clinic id: its direct members
    groups = {"org": set(units)}
    for t in teams:
        key = f"team:{t.id}" if t.parent_id else f"clinic:{t.id}"
        below = {c.id for c in teams if c.parent_id == t.id} if not t.parent_id else set()
        groups[key] = {t.id} | below
    return units, {u: counts.get(u, 0) for u in units}, groups


def _in_span(vector, rows) -> bool:
    if not rows:
        return False
    matrix = np.array(rows, dtype=float)
    return np.linalg.matrix_rank(np.vstack([matrix, vector])) == np.linalg.matrix_rank(matrix)


def test_no_surface_lets_a_small_group_or_small_difference_be_derived(app, client):
    rng = random.Random(20260305)
    checked_hidden = 0
    for index in range(ORGS):
        practice, owner, leaders = _random_practice(rng, index)
        waves = []
        for w in range(2):
            wave = open_survey_wave(practice, date(2026, 1, 5) + timedelta(days=30 * w), k=5)
            _answer_unevenly(wave, rng)
            close_wave(wave)
            waves.append(wave)
        shown, parents = _surfaces(practice, owner, leaders, client, waves)
        assert_nothing_derivable(shown, parents, 5)

        for wave in waves:
            for scale in (*SCALES, "participation"):
                units, truth, groups = _atoms(practice, wave, scale)
                measure = "responded" if scale == "participation" else "n"
                visible = {key for (wv, key, numbers) in shown
                           if wv == (wave.id, scale) and numbers.get(measure) is not None}
                rows = [[1 if u in groups[key] else 0 for u in units] for key in visible]
                for key, members in groups.items():
                    true_n = sum(truth[u] for u in members)
                    if key in visible or not 0 < true_n < 5:
                        continue
                    vector = [1 if u in members else 0 for u in units]
                    assert not _in_span(vector, rows), f"{key} ({true_n}) is derivable"
                    checked_hidden += 1
                for u in units:  # single units too (one clinic's direct members, the unassigned)
                    if 0 < truth[u] < 5:
                        vector = [1 if x == u else 0 for x in units]
                        assert not _in_span(vector, rows), f"unit {u} ({truth[u]}) is derivable"
    assert checked_hidden > 20  # the generator really produced small hidden groups


def test_the_span_check_can_fail():
    shown = [[1, 1, 1], [0, 1, 0]]
    assert _in_span([1, 0, 1], shown)  # org minus team 1
    assert not _in_span([0, 0, 1], shown)
