"""Helpers for the action and alert tests: campaigns, waves and results with chosen numbers.

`put_result` writes the rollup rows the metrics side keeps (sufficient statistics), so a test
can give a team an exact mean (49.9, 60.0 ...) that real answer sheets could not produce; the
numbers still reach actions and alerts only through `orgwell.metrics.queries`, i.e. through
confidentiality. Real answers and the real close path are used by the worker test.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics.models import ParticipationRollup, ScaleRollup
from orgwell.surveys.instruments.library import get_version
from orgwell.surveys.models import Campaign, CampaignTeam, Wave, new_rollups_token


def make_campaign(org, *, instrument: str = "cbi-work", k: int = 5, name: str = "Monthly pulse",
                  audience: str = "organisation", team_ids=(), created_by=None) -> Campaign:
    """A campaign row as the campaign service stores it, without the service's audience-size
    check (these tests give results by hand, whatever the headcount)."""
    version, _instrument = get_version(org, instrument)
    campaign = Campaign(
        organisation_id=org.id, name=name, instrument_version_id=version.id, wording=None,
        audience=audience, mode="anonymous", schedule="monthly", start_date=utcnow().date(),
        threshold_k=k, created_by_id=getattr(created_by, "id", None), locked_at=utcnow(),
    )
    campaign.campaign_teams = [CampaignTeam(team_id=t) for t in team_ids]
    db.session.add(campaign)
    db.session.flush()
    return campaign


def make_wave(campaign: Campaign, opens_on: date, *, status: str = "closed",
              source: str = "manual") -> Wave:
    closes_at = datetime.combine(opens_on + timedelta(days=7), time(0), tzinfo=UTC)
    wave = Wave(
        campaign_id=campaign.id, organisation_id=campaign.organisation_id, opens_on=opens_on,
        closes_at=closes_at, status=status, source=source,
        opened_at=datetime.combine(opens_on, time(8), tzinfo=UTC),
        closed_at=utcnow() if status == "closed" else None,
    )
    db.session.add(wave)
    db.session.flush()
    return wave


def put_result(wave: Wave, team, n: int, mean: float, *, scale: str = "work",
               invited: int | None = None, sd: float = 12.0, n_high: int | None = None,
               instrument: str | None = None) -> None:
    """Give `team` in `wave` n respondents with this mean (and SD) on `scale`."""
    campaign = db.session.get(Campaign, wave.campaign_id)
    total = n * mean
    total_sq = (n - 1) * sd * sd + n * mean * mean if n else 0.0
    db.session.add(ScaleRollup(
        organisation_id=wave.organisation_id, campaign_id=wave.campaign_id, wave_id=wave.id,
        team_key=team.id, team_id=team.id,
        instrument_key=instrument or campaign.instrument_version.key, scale_key=scale,
        opens_on=wave.opens_on, n=n, total=total, total_sq=total_sq,
        n_high=n_high if n_high is not None else (n if mean >= 50 else 0),
    ))
    existing = db.session.query(ParticipationRollup).filter_by(
        wave_id=wave.id, team_key=team.id).one_or_none()
    if existing is None:
        db.session.add(ParticipationRollup(
            organisation_id=wave.organisation_id, campaign_id=wave.campaign_id, wave_id=wave.id,
            team_key=team.id, team_id=team.id, opens_on=wave.opens_on,
            invited=invited if invited is not None else n + 2, responded=n,
        ))
    wave.rollups_token = new_rollups_token()  # as every rollup writer does
    db.session.flush()
