"""Re-linking anonymous answers to people: by date, by the engine's own bookkeeping, by link.

Dates: an anonymous answer keeps the wave's date and its invitation keeps none, so joining the
frozen audience (team, patient-facing) with the responses (team, patient-facing, day) finds
no unique pair, however the answers spread over the days. Engine: `reshuffle_wave` rewrites
a wave's responses under new ids in random order (SQLite here; PostgreSQL's xmin and ctid
below, with a real server). Links: the token is derived from a nonce, never stored.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import create_engine, select, text

from orgwell import create_app
from orgwell.auth.sessions import token_hash
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.surveys import anonymity, campaigns, invitations, responding, waves
from orgwell.surveys.models import Invitation, Response, ResponseScore, Wave, WaveMember
from tests import factories
from tests.surveys.conftest import settings
from tests.surveys.respond_fixtures import WORK_ITEMS, form_data, linked_wave

VALUES = (0, 25, 50, 75, 100)


def answers_of(n: int) -> dict[str, int]:
    """A distinct answer set per respondent n < 25, so a response shows its submission place."""
    answers = dict.fromkeys(WORK_ITEMS, 50)
    answers["q7"], answers["q8"] = VALUES[n % 5], VALUES[n // 5 % 5]
    return answers


def place(answers: dict) -> int:
    return VALUES.index(int(answers["q7"])) + 5 * VALUES.index(int(answers["q8"]))


@pytest.fixture
def small_teams(world, make_people):
    """Riverside with small teams: 2 more in team_a, 1 in team_b, some not patient-facing."""
    make_people(world["org_x"], world["team_a"], 2, patient_facing=False)
    make_people(world["org_x"], world["team_b"], 1)


def _answer_over_days(client, tokens: dict[int, str]) -> None:
    """Each person answers on a different day of the wave (day 0, 1, 2, ...).

    Seconds apart, not an hour: an hour after 23:00 UTC is already the wave's second day.
    """
    start = utcnow()
    for n, (_, token) in enumerate(sorted(tokens.items())):
        with time_machine.travel(start + timedelta(days=n % 6, seconds=n + 1), tick=False):
            assert client.post(f"/s/{token}", data=form_data(answers_of(n))).status_code == 200


def test_anonymous_answers_cannot_be_relinked_by_date(world, small_teams, make_campaign,
                                                      fan_out, client):
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"])
    _answer_over_days(client, tokens)
    db.session.expire_all()
    responses = db.session.scalars(select(Response).filter_by(wave_id=wave.id)).all()
    assert len(responses) == len(tokens) == 7
    assert {r.submitted_on for r in responses} == {wave.opens_on}
    assert set(db.session.scalars(select(Invitation.answered_on))) == {None}
    # The join an analyst would try: audience x answered invitation x response on
    # (wave, team, patient-facing, date). No response may pair with exactly one person.
    people = db.session.execute(
        select(WaveMember.team_id, WaveMember.patient_facing, Invitation.answered_on,
               Invitation.membership_id)
        .join(Invitation, Invitation.wave_member_id == WaveMember.id)
        .where(WaveMember.wave_id == wave.id, Invitation.answered.is_(True))
    ).all()
    for response in responses:
        matches = [p for p in people if (p.team_id, p.patient_facing, p.answered_on) == (
            response.team_id, response.patient_facing, response.submitted_on)]
        assert len(matches) != 1, "a response pairs with exactly one person"
    # Without the date, the groups are the team x patient-facing groups, never one person
    # here except where a group is one person to begin with (which k guards elsewhere).
    assert len(Counter((r.team_id, r.patient_facing) for r in responses)) < len(responses)


def test_confidential_answers_keep_their_day(world, make_campaign, fan_out, client):
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"], mode="confidential")
    _answer_over_days(client, tokens)
    db.session.expire_all()
    days = sorted(db.session.scalars(select(Response.submitted_on)))
    assert days[0] == wave.opens_on and days[-1] > wave.opens_on
    assert None not in set(db.session.scalars(select(Invitation.answered_on)))


# --- reshuffle (SQLite) --------------------------------------------------------------------


def _snapshot(wave_id: int):
    """Every response of the wave as (fields, scores), order and ids left out."""
    rows = []
    for response in db.session.scalars(select(Response).filter_by(wave_id=wave_id)):
        scores = tuple(sorted((s.scale_key, s.score, s.band) for s in response.scores))
        rows.append((response.team_id, response.patient_facing, response.submitted_on,
                     response.wording, tuple(sorted(response.answers.items())), scores))
    return Counter(rows)


def test_reshuffle_rewrites_ids_and_keeps_every_answer(world, small_teams, make_campaign,
                                                       fan_out, client):
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"])
    _answer_over_days(client, tokens)
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).unshuffled == 7
    assert anonymity.waves_to_reshuffle() == [wave.id]
    before_ids = set(db.session.scalars(select(Response.id)))
    before = _snapshot(wave.id)
    assert anonymity.reshuffle_wave(db.session.get(Wave, wave.id)) == 7
    db.session.commit()
    after_ids = set(db.session.scalars(select(Response.id)))
    assert len(after_ids) == 7 and not after_ids & before_ids
    assert _snapshot(wave.id) == before
    assert db.session.scalar(select(text("count(*)")).select_from(ResponseScore)) == 7
    assert db.session.get(Wave, wave.id).unshuffled == 0
    assert anonymity.waves_to_reshuffle() == []
    # Every link stays used, and the wave's totals are unchanged.
    assert all(db.session.scalars(select(Invitation.answered).filter_by(wave_id=wave.id)))
    assert db.session.get(Wave, wave.id).responded_count == 7


def test_a_confidential_wave_is_never_reshuffled(world, make_campaign, fan_out, client):
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"], mode="confidential")
    _answer_over_days(client, tokens)
    ids = set(db.session.scalars(select(Response.id)))
    assert anonymity.waves_to_reshuffle() == []
    assert anonymity.reshuffle_wave(db.session.get(Wave, wave.id)) == 0
    assert set(db.session.scalars(select(Response.id))) == ids


def test_closing_reshuffles_a_wave_with_fresh_answers(world, make_campaign, fan_out, client):
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"])
    for n, token in enumerate(sorted(tokens.values())[:3]):
        client.post(f"/s/{token}", data=form_data(answers_of(n)))
    db.session.expire_all()
    ids = set(db.session.scalars(select(Response.id)))
    assert waves.close_due_waves(wave.closes_at + timedelta(seconds=1)) == [wave.id]
    db.session.commit()
    assert not set(db.session.scalars(select(Response.id))) & ids
    assert db.session.get(Wave, wave.id).unshuffled == 0


# --- link tokens ---------------------------------------------------------------------------


def test_a_link_token_is_derived_from_a_nonce_and_a_new_nonce_retires_it(
    app, world, open_wave, fan_out
):
    tokens = fan_out(open_wave)
    invitation = db.session.scalars(select(Invitation).filter_by(wave_id=open_wave.id)).first()
    raw = tokens[invitation.membership_id]
    assert len(raw) == 43  # 256 bits, urlsafe base64
    assert raw == invitations.link_token(invitation.id, invitation.token_nonce)
    assert invitation.token_hash == token_hash(raw) and raw not in invitation.token_nonce
    assert responding.find_invitation(raw).id == invitation.id
    # The same nonce under another secret is another token.
    app.config["SECRET_KEY"] = "another-secret"
    assert invitations.link_token(invitation.id, invitation.token_nonce) != raw
    app.config["SECRET_KEY"] = "testing-secret-key-not-for-production"
    fresh = invitations.issue_token(invitation)
    db.session.commit()
    assert fresh != raw and responding.find_invitation(raw) is None
    assert responding.find_invitation(fresh).id == invitation.id


# --- PostgreSQL: xmin and physical order -----------------------------------------------------


@pytest.fixture
def pg_app():
    from tests.fixtures.worker import _postgres_database

    with _postgres_database() as url:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url, "BASE_URL": "http://orgwell.test",
            "BROKER_URL": "memory://", "WTF_CSRF_ENABLED": False,
        })
        with app.app_context():
            db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()
        app.extensions["celery"].close()
        create_engine(url).dispose()


def test_after_the_reshuffle_postgres_keeps_no_trace_of_who_answered(pg_app):
    org = factories.OrganisationFactory(slug="pg-practice")
    team = factories.TeamFactory(organisation=org, name="North")
    for _ in range(20):
        factories.MembershipFactory(organisation=org, teams=[team])
    db.session.commit()
    campaign = campaigns.create_campaign(org, settings())
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    while invitations.fan_out_batch(wave.id):
        db.session.commit()
    # Each answer in its own transaction, as requests store them: claim + insert share one xid.
    for n, invitation in enumerate(
        db.session.scalars(select(Invitation).filter_by(wave_id=wave.id).order_by(Invitation.id))
        .all()
    ):
        survey = responding.open_invitation(invitation)
        responding.submit(survey, answers_of(n))
        db.session.commit()

    def xmins(table: str) -> list[str]:
        return list(db.session.scalars(text(
            f"SELECT xmin::text FROM {table} WHERE wave_id = :w"), {"w": wave.id}))

    # Before: every response shares its xmin with exactly one invitation (the bug).
    assert set(xmins("survey_responses")) <= set(xmins("survey_invitations"))
    anonymity.reshuffle_wave(db.session.get(Wave, wave.id))
    db.session.commit()
    responses, invitations_ = xmins("survey_responses"), xmins("survey_invitations")
    assert len(responses) == 20
    assert not set(responses) & set(invitations_)
    assert len(set(invitations_)) == 1  # all rewritten together
    physical = [place(a) for a in db.session.scalars(text(
        "SELECT answers FROM survey_responses WHERE wave_id = :w ORDER BY ctid"), {"w": wave.id})]
    assert sorted(physical) == list(range(20)) and physical != list(range(20))
