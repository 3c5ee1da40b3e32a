"""Rollup tables: the sufficient statistics every metrics surface reads instead of raw answers.

Dashboards, the API, reports and alerts never touch `survey_responses`; they read these rows
(through `orgwell.metrics.queries`, which also applies confidentiality). Each row holds sums,
not means, so any group -- a team, a clinic, the organisation, a union of teams -- aggregates
exactly by adding rows:

ScaleRollup          per (wave, team, scale): n respondents with a score on the scale, the sum
                     and the sum of squares of their scores, and n_high (score >= the scale's
                     cut-off). Mean, SD, CI and share at or above the cut-off are derived.
ParticipationRollup  per (wave, team): invited (from the wave's frozen audience, WaveMember)
                     and responded.
ProgramWeekRollup    per (program, team, week_start): assignments released, completed and
                     overdue as of the end of that week (cumulative, Monday-based weeks), and
                     `people`, the distinct people those released assignments belong to (the
                     count the small-group rule of completion is decided on).

`team_key` is the team id, or 0 for people without a team: it is the column in the unique
keys (a NULL never collides in a unique constraint, so upserts need a real value), while
`team_id` is the nullable foreign key. `clinic_key` of a wave's rows is the clinic the team
belonged to when the wave's audience was frozen (the team's own id when it is a clinic, 0
without a team), and of a program week's rows the clinic the team had when that week was first
rolled up: queries add rows up by these stored keys, so moving a team to another clinic later
never changes an old wave's or week's clinic totals. No row names a person: erasing someone leaves
rollups unchanged, and deleting the organisation removes them (orgwell/privacy/metrics_part.py).
Rows are written only by orgwell/metrics/rollups.py and rebuild.py.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db

NO_TEAM = 0


class ScaleRollup(db.Model):
    """Sufficient statistics of one scale's scores for one team in one wave."""

    __tablename__ = "metrics_scale_rollups"
    __table_args__ = (
        UniqueConstraint("wave_id", "team_key", "scale_key"),
        Index("ix_metrics_scale_rollups_org_instrument", "organisation_id", "instrument_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="CASCADE"), index=True
    )
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True
    )
    team_key: Mapped[int] = mapped_column(default=NO_TEAM)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    clinic_key: Mapped[int] = mapped_column(default=NO_TEAM, server_default="0")
    instrument_key: Mapped[str] = mapped_column(String(40))
    scale_key: Mapped[str] = mapped_column(String(40))
    opens_on: Mapped[date]
    n: Mapped[int] = mapped_column(default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    total_sq: Mapped[float] = mapped_column(Float, default=0.0)
    n_high: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ParticipationRollup(db.Model):
    """Invited and responded headcounts of one team in one wave."""

    __tablename__ = "metrics_participation_rollups"
    __table_args__ = (UniqueConstraint("wave_id", "team_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaigns.id", ondelete="CASCADE"), index=True
    )
    wave_id: Mapped[int] = mapped_column(
        ForeignKey("survey_waves.id", ondelete="CASCADE"), index=True
    )
    team_key: Mapped[int] = mapped_column(default=NO_TEAM)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    clinic_key: Mapped[int] = mapped_column(default=NO_TEAM, server_default="0")
    opens_on: Mapped[date]
    invited: Mapped[int] = mapped_column(default=0)
    responded: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgramWeekRollup(db.Model):
    """A program's assignment counts for one team as of the end of one week."""

    __tablename__ = "metrics_program_week_rollups"
    __table_args__ = (UniqueConstraint("program_id", "team_key", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    team_key: Mapped[int] = mapped_column(default=NO_TEAM)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    clinic_key: Mapped[int] = mapped_column(default=NO_TEAM, server_default="0")
    week_start: Mapped[date]
    released: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
