"""Time away from work, as the programs see it (see the contract in programs/models.py)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db


class LeavePeriod(db.Model):
    """Time away: no due dates or reminders while open; due dates move by its length after."""

    __tablename__ = "program_leave_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def days_away(self) -> int | None:
        return None if self.ended_on is None else (self.ended_on - self.started_on).days
