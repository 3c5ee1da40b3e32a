"""Survey campaigns, their waves, invitations and the stored answers.

The contract other modules build on:

Campaign      what is asked (an InstrumentVersion, optional `wording` substitution such as
              "patients"), of whom (`audience` "organisation", or "teams" with CampaignTeam
              rows; a chosen clinic includes its teams), how (`mode` "anonymous" |
              "confidential", `threshold_k` >= 3, default 5) and when (`schedule` "once" |
              "weekly" | "biweekly" | "monthly" | "quarterly" from `start_date`; each wave
              stays open `open_days`; at most `reminder_max` reminders, at least
              `reminder_gap_days` apart). `status` active | paused | ended. `locked` once a
              wave exists: mode and k never change after that (`locked_at`).
Wave          one sending of a campaign, opened on `opens_on` (a date), open until
              `closes_at` (aware UTC). UNIQUE (campaign_id, opens_on): a wave opens once per
              campaign and date, however often the worker retries. `status` scheduled |
              open | closed; `source` scheduled | manual | import. `invited_count` and
              `responded_count` are cached totals for the whole wave (never per person).
              `unshuffled`: anonymous answers stored since the wave's responses were last
              reshuffled (surveys/anonymity.py); the survey job reshuffles while it is > 0.
              `organisation_id` is copied from the campaign for access checks and metrics.
WaveMember    the audience frozen when the wave opened: membership, team, the team's clinic
              (`clinic_id`: its parent, or the team itself when it is a clinic) and
              patient-facing flag at that moment. Later team moves do not rewrite it, so an
              old wave's clinic totals stay as they were. `membership_id` is set
              to NULL when the person is erased.
Invitation    one per person per wave (UNIQUE wave_id + membership_id, and one per
              WaveMember). The link token is derived, never stored: HMAC-SHA256(SECRET_KEY,
              "survey-invite:<id>:<token_nonce>"), urlsafe; the row keeps the random
              `token_nonce` and `token_hash` (SHA-256 hex of the token), both NULL until the
              invitation mail is queued (`sent`). A new nonce retires the old link. `answered`;
              `answered_on` (a DATE, never a time) ONLY in confidential mode: an anonymous
              invitation's date would re-link its response (anything showing "answered on"
              uses the wave's date then). The link expires with the wave.
Response      the answers. Primary key is a random UUID and the SQLite table has no rowid, so
              nothing stores responses in submission order. Carries wave, team (frozen), the
              patient-facing flag and wording used, `submitted_on` (a DATE: the day of answering
              in confidential mode, the wave's `opens_on` in anonymous mode) and `answers`
              (JSON: item key -> option value, or null for no answer). `membership_id` is set
              ONLY in confidential mode; an anonymous response has no person, no invitation, no
              day of its own and no timestamp, and its id changes when the wave is reshuffled.
ResponseScore one row per scale of a response (score or NULL, band "high" | "below" |
              "not_applicable" | NULL), so metrics aggregate without scoring again. Keyed by
              (response_id, scale_key): no autoincrement id betrays order either.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db
from orgwell.surveys.instruments.models import InstrumentVersion

MODES = ("anonymous", "confidential")
AUDIENCES = ("organisation", "teams")
SCHEDULES = ("once", "weekly", "biweekly", "monthly", "quarterly")
CAMPAIGN_STATUSES = ("active", "paused", "ended")
WAVE_STATUSES = ("scheduled", "open", "closed")
WAVE_SOURCES = ("scheduled", "manual", "import")
MIN_K = 3
DEFAULT_K = 5


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


class Campaign(db.Model):
    __tablename__ = "survey_campaigns"
    __table_args__ = (
        CheckConstraint(_in("mode", MODES), name="mode_known"),
        CheckConstraint(_in("audience", AUDIENCES), name="audience_known"),
        CheckConstraint(_in("schedule", SCHEDULES), name="schedule_known"),
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status_known"),
        CheckConstraint(f"threshold_k >= {MIN_K}", name="k_at_least_3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_versions.id"), index=True
    )
    wording: Mapped[str | None] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(12), default="organisation")
    mode: Mapped[str] = mapped_column(String(12), default="anonymous")
    schedule: Mapped[str] = mapped_column(String(10), default="monthly")
    start_date: Mapped[date]
    open_days: Mapped[int] = mapped_column(default=7)
    reminder_max: Mapped[int] = mapped_column(default=2)
    reminder_gap_days: Mapped[int] = mapped_column(default=3)
    threshold_k: Mapped[int] = mapped_column(default=DEFAULT_K)
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the first wave opens (or is imported): from then on mode and k are fixed.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instrument_version: Mapped[InstrumentVersion] = relationship()
    campaign_teams: Mapped[list[CampaignTeam]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )
    waves: Mapped[list[Wave]] = relationship(
        back_populates="campaign", order_by="Wave.opens_on.desc()"
    )

    @property
    def locked(self) -> bool:
        """A wave has been sent: mode and k can no longer change."""
        return self.locked_at is not None

    @property
    def team_ids(self) -> set[int]:
        return {ct.team_id for ct in self.campaign_teams}


class CampaignTeam(db.Model):
    """A team (or clinic, which includes its teams) in a campaign with audience "teams"."""

    __tablename__ = "survey_campaign_teams"
    __table_args__ = (UniqueConstraint("campaign_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="campaign_teams")
    team: Mapped[Team] = relationship()  # noqa: F821


def new_rollups_token() -> str:
    """A value no earlier state of any wave's rollups had, in this or another database."""
    return uuid.uuid4().hex


class Wave(db.Model):
    __tablename__ = "survey_waves"
    __table_args__ = (
        UniqueConstraint("campaign_id", "opens_on"),
        CheckConstraint(_in("status", WAVE_STATUSES), name="status_known"),
        CheckConstraint(_in("source", WAVE_SOURCES), name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    opens_on: Mapped[date]
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    source: Mapped[str] = mapped_column(String(10), default="scheduled")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invited_count: Mapped[int] = mapped_column(default=0)
    responded_count: Mapped[int] = mapped_column(default=0)
    # Anonymous answers stored since the last reshuffle (surveys/anonymity.py).
    unshuffled: Mapped[int] = mapped_column(default=0, server_default="0")
    # A new random value whenever the wave closes and whenever its rollups change after that
    # (metrics/rollups.py, responding.submit): results pages key what they keep per process
    # by it (metrics/wave_families.py), so they need not read the rollups to know them fresh.
    rollups_token: Mapped[str] = mapped_column(String(32), default=new_rollups_token)

    campaign: Mapped[Campaign] = relationship(back_populates="waves")

    @property
    def is_open(self) -> bool:
        return self.status == "open" and self.closes_at > utcnow()

    @property
    def response_rate(self) -> float | None:
        """Responded / invited for the whole wave, or None before anyone was invited."""
        if not self.invited_count:
            return None
        return self.responded_count / self.invited_count


class WaveMember(db.Model):
    """Who was in a wave's audience when it opened, and in which team."""

    __tablename__ = "survey_wave_members"
    __table_args__ = (UniqueConstraint("wave_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    # NULL for waves frozen before clinics were recorded (metrics then fall back, see rollups).
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    patient_facing: Mapped[bool] = mapped_column(default=True)

    wave: Mapped[Wave] = relationship()
    membership: Mapped[Membership | None] = relationship()  # noqa: F821
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])  # noqa: F821


class Invitation(db.Model):
    """A person's single-use link to one wave; the token itself is never stored."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("wave_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True
    )
    wave_member_id: Mapped[int] = mapped_column(
        ForeignKey("survey_wave_members.id", ondelete="CASCADE"), unique=True
    )
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL"), index=True
    )
    # The link token is HMAC(SECRET_KEY, "survey-invite:<id>:<nonce>") and is never stored.
    token_nonce: Mapped[str | None] = mapped_column(String(43))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent: Mapped[bool] = mapped_column(default=False, index=True)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_on: Mapped[date | None]
    answered: Mapped[bool] = mapped_column(default=False)
    answered_on: Mapped[date | None]

    wave: Mapped[Wave] = relationship()
    wave_member: Mapped[WaveMember] = relationship()
    membership: Mapped[Membership | None] = relationship()  # noqa: F821

    @property
    def expires_at(self) -> datetime:
        return self.wave.closes_at

    @property
    def mail_key(self) -> str:
        """The outbox key of this invitation's mail."""
        return f"survey.invite:{self.id}"


def new_response_id() -> str:
    """A random response id (also for rows written with Core: submit, the reshuffle)."""
    return str(uuid.uuid4())


class Response(db.Model):
    """One person's answers to one wave; see the module docstring for what it must not hold."""

    __tablename__ = "survey_responses"
    # Random primary key and no rowid: the physical order says nothing about submission order
    # (on PostgreSQL the heap does, until surveys/anonymity.py reshuffles the wave).
    __table_args__ = {"sqlite_with_rowid": False}

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_response_id)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    submitted_on: Mapped[date]
    patient_facing: Mapped[bool] = mapped_column(default=True)
    wording: Mapped[str | None] = mapped_column(String(40))
    # Confidential mode only; NULL for anonymous answers and after the person is erased.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL"), index=True
    )
    answers: Mapped[dict] = mapped_column(JSON, default=dict)

    wave: Mapped[Wave] = relationship()
    scores: Mapped[list[ResponseScore]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class ResponseScore(db.Model):
    """A response's score on one scale, stored so that reports never re-score answers."""

    __tablename__ = "survey_response_scores"
    __table_args__ = {"sqlite_with_rowid": False}

    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True
    )
    scale_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))

    response: Mapped[Response] = relationship(back_populates="scores")
