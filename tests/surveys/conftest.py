"""Survey fixtures shared by the campaign, wave, respondent and metrics tests.

campaign         an active monthly `cbi-work` campaign of the world's Riverside for the whole
                 organisation, anonymous, k = 5, starting today (no wave yet); the world's
                 four members plus one added so that the audience reaches k.
make_campaign    make_campaign(org, **overrides) -> Campaign (any field of CampaignSettings,
                 plus `created_by`); the service validates like the page does. Adds staff to
                 the audience first when it has fewer than k people (top_up=False: not).
open_wave        a manual wave of `campaign` opened now, its invitations created (not mailed).
make_people      make_people(org, team, n, **membership fields) -> list[Membership].
make_responses   make_responses(wave, n, team=None, answer=..., membership=None) stores n
                 scored responses the way the respondent side does (no invitation used).
fan_out          queue the invitation mails of a wave as the worker does; returns
                 {membership_id: raw token} read back from the outbox.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership, Team
from orgwell.surveys import campaigns, invitations, waves
from orgwell.surveys.campaigns import CampaignSettings
from orgwell.surveys.instruments.library import get_version
from orgwell.surveys.models import Campaign, Invitation, Response, ResponseScore, Wave
from orgwell.surveys.scoring import score_response
from tests import factories


def settings(**overrides) -> CampaignSettings:
    values = {
        "name": "Monthly pulse",
        "instrument_key": "cbi-work",
        "wording": None,
        "audience": "organisation",
        "team_ids": [],
        "mode": "anonymous",
        "schedule": "monthly",
        "start_date": utcnow().date(),
        "open_days": 7,
        "reminder_max": 2,
        "reminder_gap_days": 3,
        "threshold_k": 5,
    }
    values.update(overrides)
    return CampaignSettings(**values)


def top_up_audience(org, chosen: CampaignSettings) -> list[Membership]:
    """Add staff to the chosen audience until it has k people (a campaign needs as many).

    The world's organisation has four members; the new ones join the first chosen team (or
    no team for a whole-organisation audience). Returns the members added.
    """
    size = len(waves.audience_of(org.id, chosen.audience, set(chosen.team_ids)))
    team = None
    if chosen.audience == "teams" and chosen.team_ids:
        team = db.session.get(Team, sorted(chosen.team_ids)[0])
    added = [
        factories.MembershipFactory(organisation=org, teams=[team] if team else [])
        for _ in range(chosen.threshold_k - size)
    ]
    db.session.flush()
    return added


@pytest.fixture
def make_campaign(db):
    """make_campaign(org, ..., top_up=True): with top_up the audience is first brought to k."""

    def make(org, created_by=None, team_scope=None, today: date | None = None, top_up=True,
             **overrides):
        chosen = settings(**overrides)
        if top_up:
            top_up_audience(org, chosen)
        campaign = campaigns.create_campaign(
            org, chosen, created_by=created_by, team_scope=team_scope, today=today,
        )
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def campaign(world, make_campaign) -> Campaign:
    return make_campaign(world["org_x"], created_by=world["owner_x"])


@pytest.fixture
def open_wave(campaign) -> Wave:
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    return wave


@pytest.fixture
def make_people(db):
    def make(org, team, n: int, **fields) -> list[Membership]:
        people = [
            factories.MembershipFactory(organisation=org, teams=[team] if team else [], **fields)
            for _ in range(n)
        ]
        db.session.commit()
        return people

    return make


def store_response(wave: Wave, team_id, answers: dict, *, membership_id=None,
                   patient_facing=True) -> Response:
    """A scored response of `wave`, stored like the respondent side stores one."""
    campaign = db.session.get(Campaign, wave.campaign_id)
    instrument = campaign.instrument_version.instrument
    response = Response(
        organisation_id=wave.organisation_id,
        wave_id=wave.id,
        team_id=team_id,
        submitted_on=wave.opens_on,
        patient_facing=patient_facing,
        wording=campaign.wording,
        membership_id=membership_id if campaign.mode == "confidential" else None,
        answers=answers,
    )
    results = score_response(instrument, answers, patient_facing=patient_facing)
    response.scores = [
        ResponseScore(scale_key=key, score=result.score, band=result.band)
        for key, result in results.items()
    ]
    db.session.add(response)
    return response


@pytest.fixture
def make_responses(db):
    def make(wave: Wave, n: int, team=None, answer: float = 50, membership=None):
        campaign = db.session.get(Campaign, wave.campaign_id)
        instrument = campaign.instrument_version.instrument
        answers = {item.key: answer for item in instrument.items}
        made = [
            store_response(
                wave, getattr(team, "id", None), dict(answers),
                membership_id=getattr(membership, "id", None),
            )
            for _ in range(n)
        ]
        wave.responded_count += n
        db.session.commit()
        return made

    return make


def tokens_from_outbox(wave: Wave) -> dict[int, str]:
    """{membership_id: raw token} of the wave's invitation mails in the outbox."""
    found = {}
    for invitation in db.session.scalars(select(Invitation).filter_by(wave_id=wave.id)):
        body = db.session.scalar(
            select(OutboxMessage.text_body).filter_by(key=invitation.mail_key)
        )
        match = re.search(r"/s/([A-Za-z0-9_-]+)", body or "")
        if match:
            found[invitation.membership_id] = match.group(1)
    return found


@pytest.fixture
def fan_out(db):
    def run(wave: Wave) -> dict[int, str]:
        while invitations.fan_out_batch(wave.id):
            db.session.commit()
        db.session.commit()
        return tokens_from_outbox(wave)

    return run


def get_cbi(org):
    return get_version(org, "cbi")
