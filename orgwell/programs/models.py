"""Program models: programs with immutable published versions, cohorts, enrollments, assignments.

Contract (other code relies on it):

* A `Program` belongs to one organisation. Its content lives in `ProgramVersion`s; a version
  is a draft while `published_at` is None and frozen once published. Editing a program that
  people follow creates a new draft version (modules copied, same `module_key`), so completed
  work never changes: an `Assignment` points at the `Module` row of the version it was given
  for. `Program.current_version` is the newest published version (used for new enrollments).
* A `Cohort` is "this published version, starting on this date, for these teams/people".
  `Enrollment` is one person in one cohort (status active | completed | closed); a person has
  at most one *active* enrollment per program (services enforce it).
* `Assignment.status` is stored as one of ASSIGNMENT_STATUSES:
    upcoming  -- release_on is in the future (not visible as work yet)
    available -- released; the person can do it
    completed -- done (completed_at set)
    excused   -- a leader excused it with a reason (excused_at, excused_by_id, excuse_reason)
    closed    -- no longer expected (the person left, or a new version dropped the module)
  "overdue" is NOT stored: it is derived -- status == 'available' and due_on is not None and
  due_on < today. Use `Assignment.is_overdue_on(day)` (works on instances and in SQL queries)
  or `Assignment.display_status(day)`. `due_on` is None while the person is on leave.
* `Assignment.reflection_text` is PRIVATE to the staff member it belongs to: it is never shown
  to leaders, owners or consultants, never exported (CSV, API, digest mails). Only the staff
  member's own pages may render it.
* `LeavePeriod` (leave_models.py) records time away; while a period is open the person's open
  assignments have no due date and get no reminders; when it ends, due dates move by the days away.
* `ProgramSettings` (one row per organisation, optional -- missing means defaults): whether
  leaders see per-person completion (`leaders_see_people`, default True) or team aggregates only.

"Today" is the UTC date (`orgwell.programs.models.today()`), the same for web and worker.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db

MODULE_KINDS = ("course", "reading", "video", "reflection", "practice")
MODULE_KIND_LABELS = {
    "course": "External course",
    "reading": "Reading",
    "video": "Video",
    "reflection": "Reflection",
    "practice": "Practice log",
}
ASSIGNMENT_STATUSES = ("upcoming", "available", "completed", "excused", "closed")
OPEN_STATUSES = ("upcoming", "available")
ENROLLMENT_STATUSES = ("active", "completed", "closed")
DEFAULT_REMINDER_DAYS = [3, 0]


def today() -> date:
    """The current date for programs (UTC), shared by pages and worker jobs."""
    return utcnow().date()


class ProgramSettings(db.Model):
    """Per-organisation program settings (owner-only page). No row means the defaults."""

    __tablename__ = "program_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    # True: leaders see who completed what; False: only team aggregates.
    leaders_see_people: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Program(db.Model):
    """An organisation's program: details and reminder rules; content lives in versions."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(200), default="")
    # Staff may enroll themselves (H2's "Join" button).
    self_enroll: Mapped[bool] = mapped_column(default=False)
    # Days before the due date on which a reminder goes out (0 = on the day).
    reminder_days_before: Mapped[list] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_DAYS)
    )
    overdue_reminder_max: Mapped[int] = mapped_column(default=2)
    overdue_reminder_gap_days: Mapped[int] = mapped_column(default=7)
    # Key of the built-in template it was copied from (orgwell/programs/catalogue.py).
    copied_from: Mapped[str | None] = mapped_column(String(60))
    archived: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ProgramVersion]] = relationship(
        back_populates="program", order_by="ProgramVersion.number"
    )

    @property
    def current_version(self) -> ProgramVersion | None:
        """The newest published version: what new enrollments get."""
        published = [v for v in self.versions if v.published_at is not None]
        return published[-1] if published else None

    @property
    def draft_version(self) -> ProgramVersion | None:
        """The unpublished version being edited, if any."""
        drafts = [v for v in self.versions if v.published_at is None]
        return drafts[-1] if drafts else None


class ProgramVersion(db.Model):
    """One numbered state of a program's modules; frozen once published."""

    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("program_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Whether publishing also moved open assignments onto this version.
    applied_to_open: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship(back_populates="versions")
    modules: Mapped[list[Module]] = relationship(
        back_populates="version", order_by="Module.position"
    )

    @property
    def organisation_id(self) -> int:
        return self.program.organisation_id

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class Module(db.Model):
    """A step of a program version: a CE course, reading, video, reflection or practice log."""

    __tablename__ = "program_modules"
    __table_args__ = (
        UniqueConstraint("version_id", "module_key"),
        CheckConstraint(
            "kind in ('course', 'reading', 'video', 'reflection', 'practice')",
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("program_versions.id", ondelete="CASCADE"), index=True
    )
    # Stable across versions: the "same" module in v1 and v2 shares its key.
    module_key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Reading text as written (Markdown) and as rendered + sanitised (nh3) on save.
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # External course facts.
    provider: Mapped[str | None] = mapped_column(String(120))
    course_number: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(500))
    ce_hours: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    level: Mapped[str | None] = mapped_column(String(40))
    presenter: Mapped[str | None] = mapped_column(String(200))
    video_url: Mapped[str | None] = mapped_column(String(500))
    # Reflection prompt (reflection modules; readings may carry one too).
    prompt: Mapped[str] = mapped_column(Text, default="")
    # Practice log: target days per week and minutes per day.
    practice_days_per_week: Mapped[int | None]
    practice_minutes: Mapped[int | None]
    release_offset_days: Mapped[int] = mapped_column(default=0)
    due_offset_days: Mapped[int] = mapped_column(default=7)
    required: Mapped[bool] = mapped_column(default=True)
    estimated_minutes: Mapped[int] = mapped_column(default=15)

    version: Mapped[ProgramVersion] = relationship(back_populates="modules")

    @property
    def organisation_id(self) -> int:
        return self.version.program.organisation_id

    @property
    def kind_label(self) -> str:
        return MODULE_KIND_LABELS.get(self.kind, self.kind)


class CohortTeam(db.Model):
    """A team enrolled as a whole in a cohort (for auto-enrolling joiners)."""

    __tablename__ = "program_cohort_teams"
    __table_args__ = (UniqueConstraint("cohort_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("program_cohorts.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)

    team: Mapped[Team] = relationship()  # noqa: F821


class Cohort(db.Model):
    """A group enrolled together: one published version, a start date, optional whole teams."""

    __tablename__ = "program_cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("program_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    start_on: Mapped[date]
    auto_enroll_joiners: Mapped[bool] = mapped_column(default=False)
    # True for the cohort a self-enrolling staff member joins (H2).
    self_enrolled: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship()
    version: Mapped[ProgramVersion] = relationship()
    cohort_teams: Mapped[list[CohortTeam]] = relationship(cascade="all, delete-orphan")
    enrollments: Mapped[list[Enrollment]] = relationship(back_populates="cohort")

    @property
    def teams(self) -> list:
        return [ct.team for ct in self.cohort_teams]


class Enrollment(db.Model):
    """One person in one cohort."""

    __tablename__ = "program_enrollments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "membership_id"),
        CheckConstraint(
            "status in ('active', 'completed', 'closed')", name="enrollment_status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("program_cohorts.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    # The cohort start, or the join date for people auto-enrolled later.
    start_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="active")
    completed_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    # Days spent on leave since start_on: every open date is start_on + offset + leave_days.
    leave_days: Mapped[int] = mapped_column(default=0)
    # How they came in: leader | team | joiner | self
    source: Mapped[str] = mapped_column(String(10), default="leader")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="enrollments")
    program: Mapped[Program] = relationship()
    membership: Mapped[Membership] = relationship()  # noqa: F821
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="enrollment", order_by="Assignment.release_on, Assignment.id"
    )


class Assignment(db.Model):
    """One module for one enrolled person, with its dates, status and the person's own work."""

    __tablename__ = "program_assignments"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "module_id"),
        CheckConstraint(
            "status in ('upcoming', 'available', 'completed', 'excused', 'closed')",
            name="assignment_status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("program_enrollments.id", ondelete="CASCADE"), index=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("program_modules.id"), index=True)
    release_on: Mapped[date]
    due_on: Mapped[date | None]  # None while the person is on leave
    status: Mapped[str] = mapped_column(String(10), default="upcoming", index=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    excuse_reason: Mapped[str | None] = mapped_column(String(300))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Overdue reminders sent so far and when the last one went out.
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_on: Mapped[date | None]
    # PRIVATE to the staff member: never rendered to leaders, never exported, never in the API.
    reflection_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrollment: Mapped[Enrollment] = relationship(back_populates="assignments")
    membership: Mapped[Membership] = relationship()  # noqa: F821
    module: Mapped[Module] = relationship()
    practice_entries: Mapped[list[PracticeLogEntry]] = relationship(
        back_populates="assignment", order_by="PracticeLogEntry.day",
        cascade="all, delete-orphan",
    )

    @hybrid_method
    def is_overdue_on(self, day: date) -> bool:
        """Released, not done, and the due date has passed (on `day`)."""
        return self.status == "available" and self.due_on is not None and self.due_on < day

    @is_overdue_on.expression
    def is_overdue_on(cls, day: date):
        return and_(cls.status == "available", cls.due_on.is_not(None), cls.due_on < day)

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on(today())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def display_status(self, day: date | None = None) -> str:
        """The stored status, or 'overdue' when it is derived to be overdue."""
        return "overdue" if self.is_overdue_on(day or today()) else self.status


class PracticeLogEntry(db.Model):
    """One day of practice logged against a practice-log assignment."""

    __tablename__ = "program_practice_entries"
    __table_args__ = (UniqueConstraint("assignment_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("program_assignments.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    minutes: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="practice_entries")
