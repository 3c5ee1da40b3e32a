"""Rollups kept incrementally equal a rebuild from raw data; concurrent writers lose nothing."""
from __future__ import annotations

import random
import threading
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import rollups
from orgwell.metrics.models import ParticipationRollup, ScaleRollup
from orgwell.metrics.rebuild import rebuild_org
from orgwell.surveys import events
from orgwell.surveys.models import Response, ResponseScore, WaveMember
from tests.metrics.conftest import answer_wave, close_wave, open_survey_wave
from tests.surveys.conftest import store_response

START = date(2026, 1, 5)


def sig(value: float) -> float:
    """Sums to 10 significant digits: adding the same floats in another order may differ in the
    last bits, which is not a difference in any number shown."""
    return float(f"{value:.10g}")


def snapshot(org_id: int):
    """Every rollup row of the organisation as comparable values."""
    db.session.expire_all()
    scales = {
        (r.wave_id, r.team_key, r.scale_key): (
            r.team_id, r.instrument_key, r.opens_on, r.n, sig(r.total), sig(r.total_sq),
            r.n_high,
        )
        for r in db.session.scalars(select(ScaleRollup).filter_by(organisation_id=org_id))
    }
    participation = {
        (r.wave_id, r.team_key): (r.team_id, r.invited, r.responded)
        for r in db.session.scalars(
            select(ParticipationRollup).filter_by(organisation_id=org_id))
    }
    return scales, participation


def independent(org_id: int):
    """Rollup values computed in Python from the raw responses (no SQL aggregation)."""
    scales: dict = {}
    for response in db.session.scalars(select(Response).filter_by(organisation_id=org_id)):
        for score in response.scores:
            key = (response.wave_id, response.team_id or 0, score.scale_key)
            n, total, total_sq, high = scales.get(key, (0, 0.0, 0.0, 0))
            if score.score is not None:
                n, total, total_sq = n + 1, total + score.score, total_sq + score.score ** 2
            scales[key] = (n, total, total_sq, high + (score.band == "high"))
    return scales


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_rollups_equal_a_rebuild_and_the_raw_data(build_org, seed):
    rng = random.Random(seed)
    practice = build_org([(1, [rng.randint(1, 12) for _ in range(3)]),
                          (0, [rng.randint(1, 12)]), (2, [])], unassigned=2)
    for w in range(3):
        wave = open_survey_wave(practice, START + timedelta(days=30 * w))
        answer_wave(wave, rng, rate=rng.uniform(0.3, 1.0))
    incremental = snapshot(practice.org.id)
    assert incremental[0] and incremental[1]
    for (wave_id, key, scale), (n, total, total_sq, high) in independent(practice.org.id).items():
        row = incremental[0][(wave_id, key, scale)]
        assert row[3] == n and row[6] == high
        assert row[4] == sig(total) and row[5] == sig(total_sq)
    invited = {}
    for member in db.session.scalars(select(WaveMember)):
        invited[(member.wave_id, member.team_id or 0)] = invited.get(
            (member.wave_id, member.team_id or 0), 0) + 1
    assert {key: value[1] for key, value in incremental[1].items()} == invited

    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == incremental
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == incremental  # twice == once


def test_closing_a_wave_rebuilds_it_from_raw_data(build_org):
    """Seeding paths (demo, imports) store answers without the response hook."""
    practice = build_org([(0, [6, 6])])
    wave = open_survey_wave(practice, START)
    members = db.session.scalars(select(WaveMember).filter_by(wave_id=wave.id)).all()
    instrument = practice.campaigns["cbi-work"].instrument_version.instrument
    for member in members[:8]:
        store_response(wave, member.team_id, {i.key: 50 for i in instrument.items})
    db.session.commit()
    assert db.session.scalars(select(ScaleRollup)).all() == []
    close_wave(wave)
    rows = db.session.scalars(select(ScaleRollup)).all()
    assert sum(r.n for r in rows) == 8 and {r.total / r.n for r in rows} == {50.0}
    assert sum(r.n_high for r in rows) == 8
    parts = db.session.scalars(select(ParticipationRollup)).all()
    assert sorted((p.invited, p.responded) for p in parts) == sorted(
        [(6, sum(1 for m in members[:8] if m.team_id == t)) for t in {m.team_id for m in members}])


def test_a_response_without_a_score_counts_as_responded_only(build_org):
    practice = build_org([(0, [5])])
    wave = open_survey_wave(practice, START)
    member = db.session.scalars(select(WaveMember).filter_by(wave_id=wave.id)).first()
    response = store_response(wave, member.team_id, {})  # nothing answered: no score
    db.session.flush()
    events.response_stored(response)
    db.session.commit()
    row = db.session.scalar(select(ScaleRollup))
    assert (row.n, row.total, row.n_high) == (0, 0.0, 0)
    part = db.session.scalar(select(ParticipationRollup))
    assert (part.invited, part.responded) == (5, 1)
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id)[1][(wave.id, member.team_id)] == (member.team_id, 5, 1)


def test_concurrent_writers_never_lose_an_increment(build_org):
    """Eight threads, each with its own connection, add responses to the same team at once."""
    practice = build_org([(0, [40])])
    wave = open_survey_wave(practice, START)
    team_id = practice.teams[0].id
    instrument = practice.campaigns["cbi-work"].instrument_version.instrument
    app = current_app._get_current_object()
    start = threading.Barrier(8)
    errors = []

    def writer(value: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(5):
                    answers = {i.key: value for i in instrument.items}
                    response = store_response(wave, team_id, answers)
                    db.session.flush()
                    rollups.record_response(events.StoredResponse.of(response))
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(25 * (i % 5),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    row = db.session.scalar(select(ScaleRollup).filter_by(wave_id=wave.id))
    scores = db.session.scalars(select(ResponseScore.score)).all()
    assert row.n == 40 == len(scores)
    assert row.total == pytest.approx(sum(scores))
    part = db.session.scalar(select(ParticipationRollup).filter_by(wave_id=wave.id))
    assert (part.invited, part.responded) == (40, 40)
