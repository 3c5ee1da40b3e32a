"""Metrics fixtures: an organisation with clinics and teams of chosen sizes, waves, answers.

build_org        build_org(structure, slug=...) -> Practice. `structure` is a list of clinics,
                 each (people attached to the clinic itself, [team sizes]); `unassigned`
                 people belong to no team. Everyone is an active staff member.
survey_wave      survey_wave(practice, opens_on, k=5, instrument="cbi-work") -> an OPEN wave of
                 the practice's campaign (one campaign per practice and instrument), its
                 audience frozen and invitations created the real way (waves.open_wave).
answer           answer(wave, rng, rate=0.7) stores a random answer sheet for a random share of
                 the wave's audience, the way the respondent side does (stored, flushed, then
                 RESPONSE_STORED_HOOKS); returns the responses.
close            close(wave): the wave closes and WAVE_CLOSED_HOOKS run, as the close job does.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import hooks
from orgwell.orgs.models import Organisation, Team
from orgwell.surveys import campaigns, events, waves
from orgwell.surveys.models import Campaign, Wave, WaveMember
from tests import factories
from tests.surveys.conftest import settings, store_response

VALUES = (0, 25, 50, 75, 100)


@dataclass
class Practice:
    org: Organisation
    clinics: list[Team] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    campaigns: dict[str, Campaign] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _metrics_hooks():
    hooks.register()


def make_practice(structure, *, slug: str = "practice", name: str = "Bay Physio",
                  unassigned: int = 0) -> Practice:
    org = factories.OrganisationFactory(name=name, slug=slug)
    practice = Practice(org)
    for c, (direct, team_sizes) in enumerate(structure):
        clinic = factories.TeamFactory(organisation=org, name=f"Clinic {c + 1}")
        practice.clinics.append(clinic)
        for _ in range(direct):
            factories.MembershipFactory(organisation=org, teams=[clinic])
        for t, size in enumerate(team_sizes):
            team = factories.TeamFactory(
                organisation=org, name=f"Clinic {c + 1} team {t + 1}", parent=clinic
            )
            practice.teams.append(team)
            for _ in range(size):
                factories.MembershipFactory(organisation=org, teams=[team])
    for _ in range(unassigned):
        factories.MembershipFactory(organisation=org, teams=[])
    db.session.commit()
    return practice


@pytest.fixture
def build_org(db):
    return make_practice


def open_survey_wave(practice: Practice, opens_on: date, *, k: int = 5,
                     instrument: str = "cbi-work") -> Wave:
    campaign = practice.campaigns.get(instrument)
    if campaign is None:
        campaign = campaigns.create_campaign(
            practice.org, settings(instrument_key=instrument, threshold_k=k,
                                   name=f"Pulse {instrument}", start_date=opens_on),
            today=opens_on,
        )
        practice.campaigns[instrument] = campaign
    wave = waves.open_wave(campaign, opens_on, source="manual")
    db.session.commit()
    return wave


@pytest.fixture
def survey_wave(db):
    return open_survey_wave


def random_answers(instrument, rng: random.Random, missing: float = 0.1) -> dict:
    return {
        item.key: (None if rng.random() < missing else rng.choice(VALUES))
        for item in instrument.items
    }


def answer_wave(wave: Wave, rng: random.Random, rate: float = 0.7) -> list:
    campaign = db.session.get(Campaign, wave.campaign_id)
    instrument = campaign.instrument_version.instrument
    members = db.session.scalars(
        select(WaveMember).where(WaveMember.wave_id == wave.id).order_by(WaveMember.id)
    ).all()
    stored = []
    for member in members:
        if rng.random() >= rate:
            continue
        response = store_response(
            wave, member.team_id, random_answers(instrument, rng),
            patient_facing=member.patient_facing,
        )
        db.session.flush()
        events.response_stored(response)
        stored.append(response)
    wave.responded_count += len(stored)
    db.session.commit()
    return stored


@pytest.fixture
def answer(db):
    return answer_wave


def close_wave(wave: Wave) -> None:
    wave.status = "closed"
    db.session.flush()
    events.wave_closed(wave)
    db.session.commit()


@pytest.fixture
def close(db):
    return close_wave
