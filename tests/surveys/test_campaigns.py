"""Campaign rules: k of at least 3, mode and k locked by the first wave, leaders' scope."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Membership
from orgwell.orgs.services import FieldError, onboarding_checklist
from orgwell.surveys import campaigns, waves
from orgwell.surveys.campaigns import CampaignSettings
from orgwell.surveys.schedule import scheduled_close
from tests.surveys.conftest import settings


def _problem(call) -> str:
    with pytest.raises(FieldError) as caught:
        call()
    db.session.rollback()
    return caught.value.field


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"threshold_k": 2}, "threshold_k"),
        ({"threshold_k": 51}, "threshold_k"),
        ({"instrument_key": "mbi"}, "instrument_key"),
        ({"audience": "teams", "team_ids": []}, "team_ids"),
        ({"schedule": "weekly", "open_days": 8}, "open_days"),
        ({"open_days": 0}, "open_days"),
        ({"reminder_max": 6}, "reminder_max"),
        ({"reminder_gap_days": 0}, "reminder_gap_days"),
        ({"start_date": utcnow().date() - timedelta(days=1)}, "start_date"),
        ({"mode": "public"}, "mode"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(world, overrides, field):
    org = world["org_x"]
    assert _problem(lambda: campaigns.create_campaign(org, settings(**overrides))) == field


def test_a_team_of_another_organisation_is_refused(world):
    org = world["org_x"]
    bad = settings(audience="teams", team_ids=[world["team_y"].id])
    assert _problem(lambda: campaigns.create_campaign(org, bad)) == "team_ids"


def test_a_leader_runs_campaigns_of_their_teams_only(world, make_people):
    org = world["org_x"]
    make_people(org, world["team_a"], 4)
    scope = {world["clinic_a"].id, world["team_a"].id}
    assert _problem(lambda: campaigns.create_campaign(
        org, settings(), team_scope=scope)) == "audience"
    assert _problem(lambda: campaigns.create_campaign(
        org, settings(audience="teams", team_ids=[world["team_b"].id]), team_scope=scope
    )) == "team_ids"
    mine = campaigns.create_campaign(
        org, settings(audience="teams", team_ids=[world["team_a"].id]), team_scope=scope
    )
    theirs = campaigns.create_campaign(org, settings(name="Everyone"))
    assert campaigns.within_scope(mine, scope) and not campaigns.within_scope(theirs, scope)
    assert campaigns.list_campaigns(org, scope) == [mine]
    assert set(campaigns.list_campaigns(org)) == {mine, theirs}


def test_mode_k_and_instrument_lock_once_a_wave_is_sent(world, campaign, make_people):
    make_people(world["org_x"], world["team_a"], 2)  # 7 people: enough for k = 7
    current = CampaignSettings.of(campaign)
    campaigns.update_campaign(campaign, CampaignSettings(**{
        **current.as_dict(), "mode": "confidential", "threshold_k": 7}))
    db.session.commit()
    assert (campaign.mode, campaign.threshold_k) == ("confidential", 7)

    waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    assert campaign.locked
    current = CampaignSettings.of(campaign)
    for change in ({"mode": "anonymous"}, {"threshold_k": 5}, {"instrument_key": "cbi"}):
        field = _problem(lambda change=change: campaigns.update_campaign(
            campaign, CampaignSettings(**{**current.as_dict(), **change})))
        assert field == next(iter(change))
    db.session.refresh(campaign)
    assert (campaign.mode, campaign.threshold_k) == ("confidential", 7)
    # Everything else may still change.
    campaigns.update_campaign(campaign, CampaignSettings(**{
        **current.as_dict(), "name": "Renamed", "reminder_max": 0}))
    db.session.commit()
    assert (campaign.name, campaign.reminder_max) == ("Renamed", 0)


def test_a_wording_the_instrument_lacks_is_dropped(world, make_campaign):
    pulse = make_campaign(world["org_x"], wording="patients")
    full = make_campaign(world["org_x"], instrument_key="cbi", wording="patients")
    assert pulse.wording is None and full.wording == "patients"


def _later_campaign(make_campaign, world, days: int = 10, **overrides):
    """A monthly campaign whose first scheduled wave is `days` away."""
    return make_campaign(
        world["org_x"], start_date=utcnow().date() + timedelta(days=days), **overrides
    )


def test_send_now_while_a_wave_is_open_is_refused(world, make_campaign):
    campaign = _later_campaign(make_campaign, world)
    wave = campaigns.send_wave_now(campaign)
    db.session.commit()
    assert wave.source == "manual" and wave.invited_count == 5
    with pytest.raises(FieldError, match="is open until"):
        campaigns.send_wave_now(campaign)
    # Even the next day, while that wave is still open.
    with pytest.raises(FieldError, match="is open until"):
        campaigns.send_wave_now(campaign, now=utcnow() + timedelta(days=1))
    db.session.rollback()


def test_send_now_is_refused_when_the_next_scheduled_wave_falls_inside_it(
    world, make_campaign
):
    # Opens in 3 days; a wave sent now stays open 7 days.
    soon = _later_campaign(make_campaign, world, days=3)
    with pytest.raises(FieldError, match="next scheduled wave opens on"):
        campaigns.send_wave_now(soon)
    db.session.rollback()
    # Due today but not opened yet by the job: it opens within minutes.
    today = make_campaign(world["org_x"], name="Due today")
    with pytest.raises(FieldError, match="next scheduled wave opens on"):
        campaigns.send_wave_now(today)
    db.session.rollback()
    # Paused does not count: resuming would open the scheduled wave inside it.
    campaigns.pause_campaign(soon)
    assert campaigns.send_now_problem(soon) is not None
    # A gap long enough: sent, and it closes before the scheduled one opens.
    later = _later_campaign(make_campaign, world, days=8, name="Later")
    wave = campaigns.send_wave_now(later)
    assert wave.closes_at <= scheduled_close(later.start_date, 0)


def test_send_now_to_fewer_people_than_k_is_refused(world, make_campaign):
    campaign = _later_campaign(make_campaign, world)  # five people
    for member in db.session.scalars(
        select(Membership).filter_by(organisation_id=world["org_x"].id).limit(2)
    ):
        member.on_leave = True
    db.session.commit()
    with pytest.raises(FieldError, match="This audience has 3 people .* smallest group of 5"):
        campaigns.send_wave_now(campaign)


def test_a_campaign_for_fewer_people_than_k_is_refused(world, make_people):
    org = world["org_x"]
    tiny = settings(audience="teams", team_ids=[world["team_a"].id], threshold_k=3)
    with pytest.raises(FieldError, match="This audience has 1 person .* smallest group of 3"):
        campaigns.create_campaign(org, tiny)
    db.session.rollback()
    assert _problem(lambda: campaigns.create_campaign(org, settings())) == "audience"
    make_people(org, world["team_a"], 2)
    assert campaigns.create_campaign(org, tiny).team_ids == {world["team_a"].id}


def test_the_checklist_ticks_survey_scheduled(world, make_campaign):
    import orgwell.surveys.checklist  # noqa: F401 - registered by the views too

    def step():
        return next(i for i in onboarding_checklist(world["org_x"]) if i.key == "survey")

    assert not step().done
    make_campaign(world["org_x"])
    assert step().done
