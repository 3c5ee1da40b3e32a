"""Organisation models: clinics and teams, memberships with their team history, consultants."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db

ROLES = ("owner", "leader", "staff")
JOB_TITLES = ("PT", "PTA", "OT", "COTA", "SLP", "Aide", "Front desk", "Manager", "Other")


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(
        back_populates="organisation", order_by="Team.name"
    )


class Team(db.Model):
    """A clinic/location (no parent) or a team inside one (parent is a clinic)."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="teams")
    parent: Mapped[Team | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Team]] = relationship(back_populates="parent", order_by="Team.name")

    @property
    def is_clinic(self) -> bool:
        return self.parent_id is None

    @property
    def label(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent else self.name


class Membership(db.Model):
    """A person's place in one organisation: role, job, teams (with history), status."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id"),
        CheckConstraint("role in ('owner', 'leader', 'staff')", name="role_known"),
        CheckConstraint("status in ('active', 'left')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(10), default="staff")
    job_title: Mapped[str | None] = mapped_column(String(40))
    patient_facing: Mapped[bool] = mapped_column(default=True)
    start_date: Mapped[date | None]
    on_leave: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="active")
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")  # noqa: F821
    organisation: Mapped[Organisation] = relationship()
    team_assignments: Mapped[list[TeamAssignment]] = relationship(
        back_populates="membership", order_by="TeamAssignment.started_on"
    )

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def current_teams(self) -> list[Team]:
        return [a.team for a in self.team_assignments if a.ended_on is None]


class TeamAssignment(db.Model):
    """A membership's time in a team; ended rows are the history of team moves."""

    __tablename__ = "team_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]

    membership: Mapped[Membership] = relationship(back_populates="team_assignments")
    team: Mapped[Team] = relationship()


class ConsultantGrant(db.Model):
    """Gives a consultant (a user outside the organisation) access to one client organisation."""

    __tablename__ = "consultant_grants"
    __table_args__ = (UniqueConstraint("consultant_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultant_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultant: Mapped[User] = relationship(foreign_keys=[consultant_id])  # noqa: F821
    organisation: Mapped[Organisation] = relationship()


class ImportJob(db.Model):
    """A staff CSV import: validated rows wait here for confirmation, then the worker runs it."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    # preview -> queued -> running -> done | failed
    status: Mapped[str] = mapped_column(String(10), default="preview")
    rows: Mapped[list] = mapped_column(JSON, default=list)
    new_teams: Mapped[list] = mapped_column(JSON, default=list)
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
