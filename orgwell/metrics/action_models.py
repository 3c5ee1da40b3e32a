"""Actions: what a team decided to do about its results ("act on results").

An `Action` is a short plan for one team of one organisation: what (`title`), who
(`owner_text`, free text: "Maria and the front desk"), by when (`due_on`), with a status
(open | done | dropped). When it was created together with a program enrollment, `cohort_id`
points at that cohort. The action's date (`started_on`, the day it was decided) places it on
the results' time axis; survey waves of the team that open after it are its follow-up
(`orgwell.metrics.actions.follow_up_waves`).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db

ACTION_STATUSES = ("open", "done", "dropped")
ACTION_STATUS_LABELS = {"open": "Open", "done": "Done", "dropped": "Dropped"}


class Action(db.Model):
    """One team's plan in answer to its results, optionally with a program cohort."""

    __tablename__ = "metric_actions"
    __table_args__ = (
        CheckConstraint("status in ('open', 'done', 'dropped')", name="action_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_text: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None]
    # The day the action was decided: its mark on the time axis and the start of follow-up.
    started_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("program_cohorts.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_on: Mapped[date | None]

    team: Mapped[Team] = relationship()  # noqa: F821
    cohort: Mapped[Cohort | None] = relationship()  # noqa: F821
    created_by: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def status_label(self) -> str:
        return ACTION_STATUS_LABELS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def is_overdue_on(self, day: date) -> bool:
        """Still open after its due date."""
        return self.is_open and self.due_on is not None and self.due_on < day
