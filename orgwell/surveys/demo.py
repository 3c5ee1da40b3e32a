"""Demo survey data for Riverside: 18 months of history, and a survey waiting for Sam.

`seed_surveys(org, program_start, today)` adds, once (it does nothing if the campaigns exist):

- "Monthly burnout check-in": the full CBI, anonymous, everyone, k = 5, "patients" wording,
  18 closed monthly waves with realistic answers. Scores sit near published levels (work-related
  burnout around 40, client-related around 25; Riverside North a little higher, about 45).
  Riverside North's work-related burnout climbs clearly (to about 60) over the year before
  `program_start` and falls back (to about 45) within five months after it, while the other
  clinics stay flat. Most people answer nearly every month (response rates of 80-95 %), so
  every clinic and team passes k in every wave but one small team, Downtown Hand Therapy
  (four people), which never does; hiding it hides nothing else (the practice's shape in
  `orgwell.demo.RIVERSIDE` sees to that). People on no team would not answer.
  The next wave is about ten days away, so the running worker does not open one at once.
- "North Outpatient work pulse": the one-minute `cbi-work` pulse, confidential, for North
  Outpatient (where the demo staff account Sam Rivera works), monthly: eight closed waves
  that Sam answered (so "My results" shows a trend), and a wave OPEN NOW whose invitations
  went through the outbox the normal way: Sam's link is in the dev outbox (/dev/mail).

Answers come from a seeded random generator, so every machine gets the same demo. Rows are
inserted in bulk (about 3,000 in all); the caller commits.
"""
from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation, Team
from orgwell.surveys import events, invitations
from orgwell.surveys import schedule as sched
from orgwell.surveys.instruments.definition import Instrument
from orgwell.surveys.instruments.library import get_version
from orgwell.surveys.models import (
    Campaign,
    CampaignTeam,
    Invitation,
    Response,
    ResponseScore,
    Wave,
    WaveMember,
)
from orgwell.surveys.scoring import score_response
from orgwell.surveys.waves import audience, open_wave

MONTHLY = "Monthly burnout check-in"
PULSE = "North Outpatient work pulse"
STAFF_EMAIL = "staff@riverside.example"
# Typical scale levels (points 0-100) of health-care staff, and how much people differ.
BASE = {"personal": 44.0, "work": 40.0, "client": 24.0}
SPREAD = {"personal": 14.0, "work": 14.0, "client": 11.0}
NOISE = 14.0  # how far a single answer strays from the person's level
NORTH_BASE = 2.0  # Riverside North's usual level is this many points above the others'
NORTH_PEAK = 15.0  # points it is above its usual level when its program starts
NORTH_RISE_PER_MONTH = 1.25  # how fast it got there (from its usual level a year before)
NORTH_FALL_PER_MONTH = 3.0  # how fast it recovers after the program started
# Most people answer nearly every month, a few now and then (about 90 % on average); a wave's
# timing (holidays, a busy month) scales everyone's chance by WAVE_FACTOR: rates of 80-95 %.
REGULAR_SHARE, REGULAR, OCCASIONAL = 0.85, (0.96, 1.0), (0.5, 0.8)
WAVE_FACTOR = (0.9, 1.0)


def seed_surveys(org: Organisation, program_start: date, today: date | None = None) -> bool:
    """Add the demo campaigns to `org` (Riverside). Returns False when they already exist.

    `program_start`: when Riverside North's resilience program began (the turning point of
    its scores). Flushes; the caller commits (which hands Sam's invitation to the worker).
    """
    today = today or utcnow().date()
    if db.session.scalar(select(Campaign.id).filter_by(organisation_id=org.id, name=MONTHLY)):
        return False
    rng = random.Random(4242)
    seeder = _Seeder(org, rng, program_start)
    seeder.monthly_campaign(today)
    seeder.pulse_campaign(today)
    db.session.flush()
    return True


class _Seeder:
    def __init__(self, org: Organisation, rng: random.Random, program_start: date) -> None:
        self.org, self.rng, self.program_start = org, rng, program_start
        teams = db.session.execute(
            select(Team.id, Team.name, Team.parent_id).filter_by(organisation_id=org.id)
        ).all()
        north = next((t.id for t in teams if t.name == "Riverside North"), None)
        self.north = {t.id for t in teams if north in (t.id, t.parent_id)}
        self.team_names = {t.id: t.name for t in teams}
        self.levels: dict[int, dict[str, float]] = {}
        self.propensity: dict[int, float] = {}

    # --- campaigns -------------------------------------------------------------------------

    def monthly_campaign(self, today: date) -> None:
        version, instrument = get_version(self.org, "cbi")
        start = sched.add_months(today, -18) + timedelta(days=10)
        campaign = self._campaign(
            MONTHLY, version, start, mode="anonymous", wording="patients", open_days=7
        )
        dates = [d for d in sched.schedule_dates("monthly", start, today)
                 if d + timedelta(days=campaign.open_days) <= today]
        for opens_on in dates:
            self._closed_wave(campaign, instrument, opens_on)

    def pulse_campaign(self, today: date) -> None:
        version, instrument = get_version(self.org, "cbi-work")
        team_id = next((t for t, n in self.team_names.items() if n == "North Outpatient"), None)
        if team_id is None:
            return
        start = sched.add_months(today - timedelta(days=2), -8)
        campaign = self._campaign(
            PULSE, version, start, mode="confidential", wording=None, open_days=7,
            audience="teams",
        )
        campaign.campaign_teams.append(CampaignTeam(team_id=team_id))
        db.session.flush()
        dates = sched.schedule_dates("monthly", start, today)
        sam = self._membership(STAFF_EMAIL)
        for opens_on in dates[:-1]:
            self._closed_wave(campaign, instrument, opens_on, always=sam)
        # The wave open now: opened two days ago, mailed through the outbox as the worker does.
        opened_at = datetime.combine(dates[-1], time(6, 0), tzinfo=UTC)
        wave = open_wave(campaign, dates[-1], source="scheduled", now=opened_at)
        if wave is not None:
            while invitations.fan_out_batch(wave.id):
                pass

    def _campaign(self, name, version, start, *, mode, wording, open_days,
                  audience="organisation") -> Campaign:
        owner = db.session.scalar(
            select(Membership.user_id).filter_by(organisation_id=self.org.id, role="owner")
        )
        campaign = Campaign(
            organisation_id=self.org.id, name=name, instrument_version_id=version.id,
            wording=wording, audience=audience, mode=mode, schedule="monthly",
            start_date=start, open_days=open_days, reminder_max=2, reminder_gap_days=3,
            threshold_k=5, status="active", created_by_id=owner,
            created_at=datetime.combine(start - timedelta(days=7), time(9), tzinfo=UTC),
            locked_at=datetime.combine(start, time(6), tzinfo=UTC),
        )
        db.session.add(campaign)
        db.session.flush()
        return campaign

    def _membership(self, email: str) -> int | None:
        from orgwell.auth.models import User

        return db.session.scalar(
            select(Membership.id).join(User, User.id == Membership.user_id)
            .where(Membership.organisation_id == self.org.id, User.email == email)
        )

    # --- one closed wave -------------------------------------------------------------------

    def _closed_wave(self, campaign: Campaign, instrument: Instrument, opens_on: date,
                     always: int | None = None) -> None:
        members = audience(campaign)
        opened_at = datetime.combine(opens_on, time(6, 0), tzinfo=UTC)
        closes_at = sched.scheduled_close(opens_on, campaign.open_days)
        wave = Wave(
            campaign_id=campaign.id, organisation_id=self.org.id, opens_on=opens_on,
            closes_at=closes_at, status="closed", source="scheduled", opened_at=opened_at,
            closed_at=closes_at + timedelta(minutes=3), invited_count=len(members),
        )
        db.session.add(wave)
        db.session.flush()
        factor = self.rng.uniform(*WAVE_FACTOR)
        # Someone on no team leaves the survey to the staff (the demo has nobody there now):
        # a block of one answer above the clinics would hide a whole clinic in every wave.
        answering = {m for m, t, _ in members if m == always or (
            t is not None and self.rng.random() < factor * self._propensity(m))}
        member_ids = db.session.execute(
            insert(WaveMember).returning(WaveMember.id, WaveMember.membership_id),
            [{"wave_id": wave.id, "membership_id": m, "team_id": t, "patient_facing": p}
             for m, t, p in members],
        ).all()
        answered_on = {m: opens_on + timedelta(days=self.rng.randrange(campaign.open_days))
                       for m in answering}
        if campaign.mode == "anonymous":
            # As `responding.submit` stores them: the wave's date only, on neither side.
            answered_on = dict.fromkeys(answering, None)
        db.session.execute(insert(Invitation), [
            {"organisation_id": self.org.id, "wave_id": wave.id, "wave_member_id": wm,
             "membership_id": m, "sent": True, "answered": m in answering,
             "answered_on": answered_on.get(m)}
            for wm, m in member_ids
        ])
        responses, scores = [], []
        for membership_id, team_id, patient_facing in members:
            if membership_id not in answering:
                continue
            answers = self._answers(instrument, membership_id, team_id, opens_on,
                                    patient_facing)
            response_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            responses.append({
                "id": response_id, "organisation_id": self.org.id, "wave_id": wave.id,
                "team_id": team_id, "submitted_on": answered_on[membership_id] or opens_on,
                "patient_facing": patient_facing, "wording": campaign.wording,
                "membership_id": membership_id if campaign.mode == "confidential" else None,
                "answers": answers,
            })
            for key, result in score_response(
                instrument, answers, patient_facing=patient_facing
            ).items():
                scores.append({"response_id": response_id, "scale_key": key,
                               "score": result.score, "band": result.band})
        # Shuffled, so that even the insertion order says nothing about who came first.
        self.rng.shuffle(responses)
        if responses:
            db.session.execute(insert(Response), responses)
            db.session.execute(insert(ResponseScore), scores)
        wave.responded_count = len(responses)
        db.session.flush()
        events.wave_closed(wave)

    def _propensity(self, membership_id: int) -> float:
        """How likely this person answers a wave (drawn once: people keep their habits)."""
        if membership_id not in self.propensity:
            regular = self.rng.random() < REGULAR_SHARE
            self.propensity[membership_id] = self.rng.uniform(*(REGULAR if regular
                                                                 else OCCASIONAL))
        return self.propensity[membership_id]

    def _answers(self, instrument: Instrument, membership_id: int, team_id, on: date,
                 patient_facing: bool) -> dict[str, float]:
        level = self.levels.setdefault(membership_id, {
            scale: max(0.0, min(100.0, self.rng.gauss(BASE[scale], SPREAD[scale])))
            for scale in BASE
        })
        drift = NORTH_BASE + self._north_drift(on) if team_id in self.north else 0.0
        answers = {}
        for item in instrument.items:
            scale = instrument.scale(item.scale)
            if scale.patient_facing_only and not patient_facing:
                continue
            target = level.get(item.scale, 40.0) + drift + self.rng.gauss(0, NOISE)
            options = instrument.options_for(item)
            low = min(o.value for o in options)
            high = max(o.value for o in options)
            points = min(options, key=lambda o: abs(o.value - target)).value
            answers[item.key] = low + high - points if item.reversed else points
        return answers

    def _north_drift(self, on: date) -> float:
        """Points added to Riverside North's usual level: rising to +15 until its program
        started, then back to its usual level within five months."""
        months = (on - self.program_start).days / 30.4
        if months <= 0:
            return max(0.0, NORTH_PEAK + NORTH_RISE_PER_MONTH * months)
        return max(0.0, NORTH_PEAK - NORTH_FALL_PER_MONTH * months)
