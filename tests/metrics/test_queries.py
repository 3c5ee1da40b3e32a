"""What queries.py hands every surface: one decision per wave over all its measures, groups as
they were when the wave opened, leaders without the organisation total, waves told apart by id.
"""
from __future__ import annotations

import csv
import io
import json
import random
from datetime import date

import pytest
from sqlalchemy import select, update

from orgwell.auth.services import create_api_token
from orgwell.extensions import db
from orgwell.metrics import dashboard, exports, figures, headlines, queries
from orgwell.metrics.filters import parse_filters
from orgwell.metrics.rebuild import rebuild_org
from orgwell.orgs.services import update_team
from orgwell.surveys import campaigns, events, waves
from orgwell.surveys.models import Campaign, WaveMember
from tests import factories
from tests.metrics.confidentiality_checks import assert_nothing_derivable, family_of
from tests.metrics.conftest import answer_wave, close_wave, make_practice, open_survey_wave
from tests.metrics.test_rollups import snapshot
from tests.surveys.conftest import settings, store_response

K = 5
SCALES = ("personal", "work", "client")


def _answer(wave, members, *, patient_facing=True):
    instrument = db.session.get(Campaign, wave.campaign_id).instrument_version.instrument
    for member in members:
        response = store_response(wave, member.team_id, {i.key: 50 for i in instrument.items},
                                  patient_facing=patient_facing)
        db.session.flush()
        events.response_stored(response)
    db.session.commit()


def _members(wave, team):
    return db.session.scalars(
        select(WaveMember).filter_by(wave_id=wave.id, team_id=team.id).order_by(WaveMember.id)
    ).all()


def _shown(cells, wave_id):
    return {c.group.key for c in cells if c.wave_id == wave_id and not c.suppressed}


def test_a_scale_answered_by_fewer_than_k_hides_the_group_on_every_surface(build_org):
    """Team 2: 5 responded, but 2 of them do not work with patients, so its client-related
    burnout has 3 scores. Decided separately, participation showed team 2's 5 respondents and
    the work scale its mean, while the client scale hid it (and another group to cover it);
    decided once, team 2 is hidden everywhere and every surface shows the same groups."""
    practice = make_practice([(0, [7, 5])])
    team_1, team_2 = practice.teams
    wave = open_survey_wave(practice, date(2026, 1, 5), instrument="cbi")
    _answer(wave, _members(wave, team_1))
    _answer(wave, _members(wave, team_2)[:3])
    _answer(wave, _members(wave, team_2)[3:], patient_facing=False)
    close_wave(wave)

    org = practice.org
    _, participation = queries.participation_series(org, queries.Filters("cbi"), team_scope=None)
    by_scale = {scale: queries.burnout_series(org, queries.Filters("cbi", scale),
                                              team_scope=None)[1] for scale in SCALES}
    team_2_cells = [c for c in participation + by_scale["work"]
                    if c.group.key == f"team:{team_2.id}"]
    assert team_2_cells and all(
        c.suppressed and c.reason == "fewer than 5 responses" for c in team_2_cells)
    shown = _shown(participation, wave.id)
    assert shown == {"org", f"clinic:{practice.clinics[0].id}"}
    for scale in SCALES:
        assert _shown(by_scale[scale], wave.id) == shown, scale
    everything = list(participation)
    for scale, cells in by_scale.items():
        everything += [((c.wave_id, scale), c.group.key, {"n": c.n}) for c in cells]
    assert_nothing_derivable(everything, family_of(participation), K)


def test_a_scale_nobody_in_a_group_answered_leaves_the_group_shown(build_org):
    """Nobody in team 2 works with patients: its client scale has no scores at all, which
    gives no answer away, so team 2's other results still show; its client cell says why."""
    practice = make_practice([(0, [6, 6])])
    team_1, team_2 = practice.teams
    wave = open_survey_wave(practice, date(2026, 1, 5), instrument="cbi")
    _answer(wave, _members(wave, team_1))
    _answer(wave, _members(wave, team_2), patient_facing=False)
    close_wave(wave)
    key = f"team:{team_2.id}"
    _, work = queries.burnout_series(practice.org, queries.Filters("cbi", "work"),
                                     team_scope=None)
    _, client = queries.burnout_series(practice.org, queries.Filters("cbi", "client"),
                                       team_scope=None)
    assert [c.n for c in work if c.group.key == key] == [6]
    hidden = [c for c in client if c.group.key == key]
    assert [(c.suppressed, c.n, c.reason) for c in hidden] == [
        (True, None, "nobody answered this scale")]


def _clinic_numbers(org, instrument="cbi-work"):
    _, cells = queries.burnout_series(org, queries.Filters(instrument, "work"), team_scope=None)
    _, part = queries.participation_series(org, queries.Filters(instrument), team_scope=None)
    return (sorted((c.wave_id, c.group.key, c.n, c.mean) for c in cells),
            sorted((c.wave_id, c.group.key, c.invited, c.responded) for c in part))


@pytest.mark.parametrize("frozen", [True, False], ids=["frozen-audience", "no-frozen-clinic"])
def test_moving_a_team_leaves_old_waves_grouped_as_they_were(build_org, frozen):
    practice = make_practice([(0, [6, 6]), (0, [6])])
    clinic_1, clinic_2 = practice.clinics
    moved = practice.teams[1]
    wave = open_survey_wave(practice, date(2026, 1, 5))
    answer_wave(wave, random.Random(4), rate=1.0)
    close_wave(wave)
    if not frozen:  # waves seeded or imported without a frozen clinic (the demo, imports)
        db.session.execute(update(WaveMember).values(clinic_id=None))
        db.session.commit()
    before = _clinic_numbers(practice.org)
    rows_before = snapshot(practice.org.id)
    assert (wave.id, f"clinic:{clinic_1.id}", 12) in {(w, k, n) for w, k, n, _ in before[0]}

    update_team(moved, moved.name, clinic_2.id)
    db.session.commit()
    assert _clinic_numbers(practice.org) == before  # the old wave keeps its clinics
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == rows_before  # the repair path agrees
    assert _clinic_numbers(practice.org) == before

    # A wave after the move counts the team in its new clinic.
    later = open_survey_wave(practice, date(2026, 2, 2))
    answer_wave(later, random.Random(5), rate=1.0)
    close_wave(later)
    numbers = {(w, k): n for w, k, n, _ in _clinic_numbers(practice.org)[0]}
    assert numbers[(later.id, f"clinic:{clinic_1.id}")] == 6
    assert numbers[(later.id, f"clinic:{clinic_2.id}")] == 12
    assert numbers[(wave.id, f"clinic:{clinic_2.id}")] == 6
    labels = {c.group.label for c in queries.burnout_series(
        practice.org, queries.Filters("cbi-work", "work"), team_scope=None)[1]
        if c.group.key == f"team:{moved.id}"}
    assert labels == {f"Clinic 1 › {moved.name}", f"Clinic 2 › {moved.name}"}


def test_leaders_get_their_own_groups_only_and_headlines_speak_of_them(build_org):
    practice = make_practice([(0, [6, 7]), (0, [8])])
    wave = open_survey_wave(practice, date(2026, 1, 5))
    answer_wave(wave, random.Random(2), rate=1.0)
    close_wave(wave)
    clinic = practice.clinics[0]
    scope = {clinic.id} | {t.id for t in practice.teams[:2]}
    k, cells = queries.burnout_series(practice.org, queries.Filters("cbi-work", "work"),
                                      team_scope=scope)
    _, part = queries.participation_series(practice.org, queries.Filters("cbi-work"),
                                           team_scope=scope)
    for found in (cells, part):
        assert {c.group.team_id for c in found} == scope
        assert not any(c.group.kind == "organisation" for c in found)
    # with a team filter too
    _, one = queries.burnout_series(
        practice.org, queries.Filters("cbi-work", "work", frozenset({practice.teams[0].id})),
        team_scope=scope)
    assert [c.group.key for c in one] == [f"team:{practice.teams[0].id}"]
    # headlines fall back to the broadest group the leader sees: their clinic
    assert headlines.focus_group_key(cells) == f"clinic:{clinic.id}"
    assert "Clinic 1" in headlines.trend_headline(cells, scale_name="Work-related burnout")
    assert "Clinic 1" in headlines.participation_headline(part)
    choices = dashboard.choices_for(practice.org, scope)
    results = dashboard.build_results(practice.org, parse_filters({}, choices), choices,
                                      team_scope=scope)
    assert results.focus_key == f"clinic:{clinic.id}"
    assert results.response is not None and results.response.group.key == f"clinic:{clinic.id}"
    assert all(s.latest is not None and s.latest.group.key == f"clinic:{clinic.id}"
               for s in results.summaries)


def test_two_waves_on_the_same_day_stay_apart_everywhere(build_org, client):
    """Two campaigns on one instrument open waves on the same day: every surface keys them by
    wave id and names them apart."""
    practice = make_practice([(0, [6, 6])], slug="same-day")
    day = date(2026, 1, 5)
    first = open_survey_wave(practice, day)
    second_campaign = campaigns.create_campaign(
        practice.org, settings(instrument_key="cbi-work", name="Second pulse", start_date=day),
        today=day)
    db.session.commit()
    second = waves.open_wave(second_campaign, day, source="manual")
    db.session.commit()
    instrument = second_campaign.instrument_version.instrument
    for wave, value in ((first, 25), (second, 75)):
        for member in db.session.scalars(select(WaveMember).filter_by(wave_id=wave.id)):
            response = store_response(wave, member.team_id, {
                i.key: 100 - value if i.reversed else value for i in instrument.items})
            db.session.flush()
            events.response_stored(response)
        db.session.commit()
        close_wave(wave)

    org = practice.org
    _, cells = queries.burnout_series(org, queries.Filters("cbi-work", "work"), team_scope=None)
    totals = [c for c in cells if c.group.key == "org"]
    assert [(c.wave_id, c.mean) for c in totals] == [(first.id, 25.0), (second.id, 75.0)]
    labels = [c.wave_label for c in totals]
    assert labels == ["5 Jan 2026 · Pulse cbi-work", "5 Jan 2026 · Second pulse"]

    heatmap = figures.heatmap(cells, scale_name="Work-related burnout").to_plotly_json()
    assert list(heatmap["data"][0]["x"]) == labels
    assert list(heatmap["data"][0]["z"][0]) == [25.0, 75.0]  # the organisation's row
    assert "Second pulse" in headlines.heatmap_headline(cells, scale_name="Work")
    over_time = json.dumps(figures.exhaustion_over_time(
        cells, cutoff=50, scale_name="Work").to_plotly_json(), default=str)
    assert "Second pulse" in over_time and "Pulse cbi-work" in over_time

    owner = factories.MembershipFactory(organisation=org, role="owner").user
    token = create_api_token(owner, "same day")
    db.session.commit()
    body = client.get("/api/v1/orgs/same-day/metrics/burnout",
                      query_string={"instrument": "cbi-work", "scale": "work"},
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    entries = [e for e in body["series"] if e["team"] is None]
    assert [(e["wave"], e["wave_id"], e["campaign"], e["mean"]) for e in entries] == [
        ("2026-01-05", first.id, "Pulse cbi-work", 25.0),
        ("2026-01-05", second.id, "Second pulse", 75.0)]

    choices = dashboard.choices_for(org, None)
    results = dashboard.build_results(org, parse_filters({"instrument": "cbi-work"}, choices),
                                      choices, team_scope=None)
    rows = list(csv.DictReader(io.StringIO(exports.results_csv(results))))
    org_rows = [(r["wave_id"], r["campaign"], r["mean"]) for r in rows
                if r["group_kind"] == "organisation" and r["mean"]]
    assert org_rows == [(str(first.id), "Pulse cbi-work", "25.0"),
                        (str(second.id), "Second pulse", "75.0")]
