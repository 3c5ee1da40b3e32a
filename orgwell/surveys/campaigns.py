"""Campaign services: create and change a campaign, pause it, send a wave now, list them.

Rules kept here (not in the form) because they need the database or the campaign's history:
k is at least 3; mode, k and instrument are fixed once a wave has been sent (`locked`); a
leader may only run campaigns for teams they lead. Services flush; the caller commits.

Who sees which campaign: owners and consultants see every campaign of the organisation; a
leader sees (and manages) only campaigns whose audience is "teams" within their team scope.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from orgwell.audit.services import record
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Organisation, Team
from orgwell.orgs.services import FieldError
from orgwell.surveys import schedule as sched
from orgwell.surveys.models import (
    AUDIENCES,
    MIN_K,
    MODES,
    SCHEDULES,
    Campaign,
    CampaignTeam,
    Wave,
)

MAX_K = 50
MAX_REMINDERS = 5
MAX_GAP_DAYS = 30


@dataclass
class CampaignSettings:
    """Everything a person chooses for a campaign (the form's cleaned data)."""

    name: str
    instrument_key: str
    wording: str | None
    audience: str
    team_ids: list[int]
    mode: str
    schedule: str
    start_date: date
    open_days: int
    reminder_max: int
    reminder_gap_days: int
    threshold_k: int

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignSettings:
        return cls(
            name=campaign.name,
            instrument_key=campaign.instrument_version.key,
            wording=campaign.wording,
            audience=campaign.audience,
            team_ids=sorted(campaign.team_ids),
            mode=campaign.mode,
            schedule=campaign.schedule,
            start_date=campaign.start_date,
            open_days=campaign.open_days,
            reminder_max=campaign.reminder_max,
            reminder_gap_days=campaign.reminder_gap_days,
            threshold_k=campaign.threshold_k,
        )

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --- visibility ----------------------------------------------------------------------------


def within_scope(campaign: Campaign, team_scope: set[int] | None) -> bool:
    """Whether a caller with `team_scope` (None: the whole organisation) may see `campaign`."""
    if team_scope is None:
        return True
    return campaign.audience == "teams" and bool(campaign.team_ids) and (
        campaign.team_ids <= team_scope
    )


def list_campaigns(org: Organisation, team_scope: set[int] | None = None) -> list[Campaign]:
    """The organisation's campaigns visible within `team_scope`, active ones first."""
    rows = db.session.scalars(
        select(Campaign).filter_by(organisation_id=org.id).order_by(Campaign.created_at.desc())
    ).all()
    order = {"active": 0, "paused": 1, "ended": 2}
    return sorted(
        (c for c in rows if within_scope(c, team_scope)), key=lambda c: order[c.status]
    )


def campaign_waves(campaign: Campaign) -> list[Wave]:
    """The campaign's waves, newest first (totals only: never who answered)."""
    return list(
        db.session.scalars(
            select(Wave).filter_by(campaign_id=campaign.id).order_by(Wave.opens_on.desc())
        )
    )


def next_wave_date(campaign: Campaign, today: date) -> date | None:
    """The date the next scheduled wave opens, or None (paused, ended, or a one-off done)."""
    if campaign.status != "active":
        return None
    due = sched.due_date(campaign.schedule, campaign.start_date, campaign.open_days, today)
    opened = {w.opens_on for w in campaign.waves}
    if due is not None and due not in opened:
        return due
    return sched.next_date(campaign.schedule, campaign.start_date, today)


def wave_dates(campaign: Campaign, until: date) -> list[date]:
    """Every date on which `campaign`'s schedule opens a wave, up to `until`."""
    return sched.schedule_dates(campaign.schedule, campaign.start_date, until)


# --- create and change ---------------------------------------------------------------------


def create_campaign(
    org: Organisation,
    settings: CampaignSettings,
    *,
    created_by=None,
    team_scope: set[int] | None = None,
    today: date | None = None,
) -> Campaign:
    """Create a campaign from `settings`.

    Raises FieldError naming the field for: an unknown instrument, an audience
    outside `team_scope` (a leader), an audience of fewer people than k, k below 3, a start
    date in the past, an open period longer than the gap between waves. Flushes.
    """
    from orgwell.surveys.instruments.library import get_version

    today = today or utcnow().date()
    if settings.start_date < today:
        raise FieldError("start_date", "Choose today or a later date.")
    version, instrument = _instrument(org, settings.instrument_key, get_version)
    _check(org, settings, instrument, team_scope)
    campaign = Campaign(
        organisation_id=org.id,
        instrument_version_id=version.id,
        created_by_id=getattr(created_by, "id", None),
    )
    _apply(campaign, settings)
    db.session.add(campaign)
    db.session.flush()
    record("survey_campaign_created", target=campaign, organisation_id=org.id,
           name=campaign.name, mode=campaign.mode, k=campaign.threshold_k)
    return campaign


def update_campaign(
    campaign: Campaign, settings: CampaignSettings, *, team_scope: set[int] | None = None
) -> Campaign:
    """Change a campaign. Once it is locked, mode, k and instrument must stay as they are.

    Raises FieldError as `create_campaign` does (a start date in the past is accepted when
    it is unchanged), and for a change of a locked field. Flushes.
    """
    from orgwell.surveys.instruments.library import get_version

    org = db.session.get(Organisation, campaign.organisation_id)
    if campaign.locked:
        locked = (
            ("mode", settings.mode != campaign.mode),
            ("threshold_k", settings.threshold_k != campaign.threshold_k),
            ("instrument_key", settings.instrument_key != campaign.instrument_version.key),
        )
        for name, changed in locked:
            if changed:
                raise FieldError(name, "Fixed since the first wave was sent.")
        instrument = _instrument(org, settings.instrument_key, get_version, campaign)[1]
    else:
        version, instrument = _instrument(org, settings.instrument_key, get_version)
        campaign.instrument_version_id = version.id
    if settings.start_date != campaign.start_date and settings.start_date < utcnow().date():
        raise FieldError("start_date", "Choose today or a later date.")
    _check(org, settings, instrument, team_scope)
    _apply(campaign, settings)
    db.session.flush()
    record("survey_campaign_updated", target=campaign, organisation_id=org.id)
    return campaign


def _instrument(org, key: str, get_version, campaign: Campaign | None = None):
    """(InstrumentVersion row, Instrument) for `key`; a locked campaign keeps its version."""
    if campaign is not None:
        return campaign.instrument_version, campaign.instrument_version.instrument
    try:
        return get_version(org, key)
    except (KeyError, LookupError, ValueError):
        raise FieldError("instrument_key", "Choose one of the instruments listed.") from None


def _check(org, settings: CampaignSettings, instrument, team_scope: set[int] | None) -> None:
    if not settings.name or len(settings.name) > 120:
        raise FieldError("name", "Give a name of 1 to 120 characters.")
    if settings.mode not in MODES:
        raise FieldError("mode", "Choose anonymous or confidential.")
    if settings.schedule not in SCHEDULES:
        raise FieldError("schedule", "Choose one of the schedules listed.")
    if settings.audience not in AUDIENCES:
        raise FieldError("audience", "Choose the whole organisation or some teams.")
    # A wording the questionnaire does not offer (no questions about clients) changes nothing.
    if settings.wording not in instrument.substitutions:
        settings.wording = None
    if not MIN_K <= settings.threshold_k <= MAX_K:
        raise FieldError("threshold_k", f"Use a number from {MIN_K} to {MAX_K}.")
    longest = sched.MAX_OPEN_DAYS[settings.schedule]
    if not 1 <= settings.open_days <= longest:
        raise FieldError(
            "open_days", f"With this schedule a wave can stay open 1 to {longest} days."
        )
    if not 0 <= settings.reminder_max <= MAX_REMINDERS:
        raise FieldError("reminder_max", f"Use a number from 0 to {MAX_REMINDERS}.")
    if not 1 <= settings.reminder_gap_days <= MAX_GAP_DAYS:
        raise FieldError("reminder_gap_days", f"Use a number from 1 to {MAX_GAP_DAYS}.")
    if settings.audience == "organisation":
        if team_scope is not None:
            raise FieldError("audience", "Choose the teams you lead.")
        _check_audience_size(org.id, settings)
        return
    if not settings.team_ids:
        raise FieldError("team_ids", "Choose at least one clinic or team.")
    known = set(
        db.session.scalars(
            select(Team.id).where(Team.organisation_id == org.id, Team.id.in_(settings.team_ids))
        )
    )
    if known != set(settings.team_ids) or (
        team_scope is not None and not known <= team_scope
    ):
        raise FieldError("team_ids", "Choose among the clinics and teams listed.")
    _check_audience_size(org.id, settings)


def _check_audience_size(organisation_id: int, settings: CampaignSettings) -> None:
    """Refuse an audience smaller than k: with fewer people than the smallest group shown,
    even the whole wave's count of answers would say who took part."""
    from orgwell.surveys.waves import audience_of

    size = len(audience_of(organisation_id, settings.audience, set(settings.team_ids)))
    if size < settings.threshold_k:
        raise FieldError(
            "team_ids" if settings.audience == "teams" else "audience",
            audience_too_small(size, settings.threshold_k),
        )


def audience_too_small(size: int, k: int) -> str:
    """Why an audience of `size` cannot be asked with a smallest group of `k`."""
    people = "1 person" if size == 1 else f"{size} people"
    return (
        f"This audience has {people} who can be asked now (active, not on leave), fewer than "
        f"the smallest group of {k} results are shown for. Choose more teams, or a smaller "
        f"group size (at least {MIN_K})."
    )


def _apply(campaign: Campaign, settings: CampaignSettings) -> None:
    for name in (
        "name", "wording", "audience", "mode", "schedule", "start_date", "open_days",
        "reminder_max", "reminder_gap_days", "threshold_k",
    ):
        setattr(campaign, name, getattr(settings, name))
    campaign.wording = settings.wording or None
    wanted = set(settings.team_ids) if settings.audience == "teams" else set()
    campaign.campaign_teams[:] = [ct for ct in campaign.campaign_teams if ct.team_id in wanted]
    for team_id in sorted(wanted - campaign.team_ids):
        campaign.campaign_teams.append(CampaignTeam(team_id=team_id))


# --- status --------------------------------------------------------------------------------


def pause_campaign(campaign: Campaign) -> None:
    """Stop opening new waves and sending reminders; an open wave still closes on time."""
    if campaign.status == "active":
        campaign.status = "paused"
        record("survey_campaign_paused", target=campaign,
               organisation_id=campaign.organisation_id)
        db.session.flush()


def resume_campaign(campaign: Campaign) -> None:
    """Open waves again from the next scheduled date (a missed one is not sent late)."""
    if campaign.status == "paused":
        campaign.status = "active"
        record("survey_campaign_resumed", target=campaign,
               organisation_id=campaign.organisation_id)
        db.session.flush()


def send_now_problem(campaign: Campaign, now: datetime | None = None) -> str | None:
    """Why a wave of `campaign` cannot be sent now, or None when it can.

    Refused: an ended campaign; an audience smaller than k; a wave of the campaign still
    open; a scheduled wave due to open while the new one would be open (two waves of one
    campaign must never overlap: people would get two invitations to the same questions).
    """
    from orgwell.surveys.invitations import closes_day, closes_label
    from orgwell.surveys.waves import audience

    now = now or utcnow()
    if campaign.status == "ended":
        return "This campaign has ended."
    size = len(audience(campaign))
    if size < campaign.threshold_k:
        return audience_too_small(size, campaign.threshold_k)
    running = db.session.scalar(
        select(Wave).where(
            Wave.campaign_id == campaign.id, Wave.status == "open", Wave.closes_at > now
        ).order_by(Wave.closes_at.desc())
    )
    if running is not None:
        return (f"A wave of this campaign is open until {closes_label(running.closes_at)}. "
                "Send another one after it has closed.")
    closes = sched.manual_close(now, campaign.open_days)
    upcoming = _next_scheduled(campaign, now.date())
    if upcoming is not None and datetime.combine(upcoming, time(0), tzinfo=UTC) < closes:
        return (f"The next scheduled wave opens on {closes_day(_midnight_after(upcoming))}, "
                f"while a wave sent now would still be open (until {closes_label(closes)}). "
                "Wait for the scheduled wave, or send one after it has closed.")
    return None


def _next_scheduled(campaign: Campaign, today: date) -> date | None:
    """The next scheduled opening not yet made, paused or not (a due wave the job has not
    opened yet counts: it opens within minutes)."""
    due = sched.due_date(campaign.schedule, campaign.start_date, campaign.open_days, today)
    if due is not None and not db.session.scalar(
        select(Wave.id).filter_by(campaign_id=campaign.id, opens_on=due)
    ):
        return due
    return sched.next_date(campaign.schedule, campaign.start_date, today)


def _midnight_after(day: date) -> datetime:
    # closes_day names the day before a closing time; this names `day` itself.
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def send_wave_now(campaign: Campaign, now: datetime | None = None) -> Wave:
    """Open a wave of `campaign` today, outside its schedule; the worker mails the invitations.

    Raises FieldError("campaign") with the reason of `send_now_problem`, or when a wave
    already opened today. Flushes; after the commit, queue `worker.surveys.fan_out` for the
    wave.
    """
    from orgwell.surveys.waves import open_wave

    now = now or utcnow()
    problem = send_now_problem(campaign, now)
    if problem:
        raise FieldError("campaign", problem)
    wave = open_wave(campaign, now.date(), source="manual", now=now)
    if wave is None:
        raise FieldError("campaign", "A wave of this campaign already opened today.")
    record("survey_wave_sent_now", target=wave, organisation_id=campaign.organisation_id,
           invited=wave.invited_count)
    return wave
