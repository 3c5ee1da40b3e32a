"""A staff member's own learning: their programs and progress, module work, self-enrollment.

Everything here acts for ONE person on their OWN assignments; the views make sure of that
(the `assignment_id` resolver in learning_views.py only finds the caller's assignments).
Services flush, never commit.

When a module counts as done:
* course, video, reading: the person says so ("Mark as complete") once it is released;
* reflection: they must have saved a reflection of at least REFLECTION_MIN characters
  first (it stays private to them);
* practice log: at least one logged day; it completes by itself once the weekly target
  (the module's days per week) is met within one calendar week (Monday to Sunday).
A program is complete when every required module still expected of the person is completed
or excused (closed modules are no longer expected), with at least one actually completed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.programs.models import (
    Assignment,
    Enrollment,
    PracticeLogEntry,
    Program,
    today,
)

REFLECTION_MIN = 10
REFLECTION_MAX = 10_000
PRACTICE_MINUTES = (1, 180)
DEFAULT_PRACTICE_DAYS = 5
DONE_STATUSES = ("completed", "excused")


class LearningError(Exception):
    """Something the person cannot do right now; `message` is shown to them as is.

    `field` names the form field the message belongs beside, if any.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    total: int  # modules that count: required ones still expected (not closed)
    done: int  # of those, completed or excused
    percent: int


def progress_of(assignments) -> Progress:
    """Progress through a program from its assignments (pure).

    Required modules count; closed ones (no longer expected) do not. A program of optional
    modules only counts them all, so its bar still moves.
    """
    expected = [a for a in assignments if a.status != "closed"]
    counted = [a for a in expected if a.module.required] or expected
    done = sum(1 for a in counted if a.status in DONE_STATUSES)
    percent = round(100 * done / len(counted)) if counted else 0
    return Progress(total=len(counted), done=done, percent=percent)


@dataclass(frozen=True)
class ProgramCard:
    """One enrollment as the person sees it on "My learning"."""

    enrollment: Enrollment
    assignments: list[Assignment]  # what to show: everything but closed modules
    progress: Progress
    next_due: Assignment | None  # the released, unfinished module due first

    @property
    def program(self) -> Program:
        return self.enrollment.program


def my_programs(membership, *, include_finished: bool = True) -> list[ProgramCard]:
    """The person's enrollments (active first, then completed), with progress.

    Closed enrollments (they left, or a leader ended it) are not shown.
    """
    statuses = ("active", "completed") if include_finished else ("active",)
    enrollments = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.membership_id == membership.id, Enrollment.status.in_(statuses))
        .order_by(Enrollment.start_on.desc(), Enrollment.id.desc())
    )
    cards = [_card(e) for e in enrollments]
    return sorted(cards, key=lambda c: c.enrollment.status != "active")


def _card(enrollment: Enrollment) -> ProgramCard:
    shown = [a for a in enrollment.assignments if a.status != "closed"]
    shown.sort(key=lambda a: (a.module.position, a.release_on, a.id))
    return ProgramCard(enrollment, shown, progress_of(enrollment.assignments), next_due(shown))


def next_due(assignments) -> Assignment | None:
    """The available module with the earliest due date (undated ones last)."""
    open_now = [a for a in assignments if a.status == "available"]
    if not open_now:
        return None
    return min(open_now, key=lambda a: (a.due_on or date.max, a.module.position, a.id))


# --- module work ---------------------------------------------------------------------------


def completion_rule(assignment: Assignment) -> str:
    """One sentence telling the person what "complete" means for this module."""
    module = assignment.module
    if module.kind == "reflection":
        return ("Save your reflection first (a few sentences are enough), then mark the "
                "module complete. Only you can read what you write.")
    if module.kind == "practice":
        target = module.practice_days_per_week or DEFAULT_PRACTICE_DAYS
        return (f"Log the days you practised. The module completes by itself when you log "
                f"{target} days in one week; you can also mark it complete after logging at "
                "least one day.")
    if module.kind == "course":
        return ("Take the course on the provider's site, then come back and mark it complete: "
                "it then appears on your CE transcript.")
    return "When you have finished, mark the module complete."


def completion_blocker(assignment: Assignment) -> str | None:
    """Why the module cannot be marked complete now, or None when it can."""
    if assignment.status == "upcoming":
        return f"This module opens on {assignment.release_on:%d %b %Y}."
    if assignment.status in ("excused", "closed"):
        return "This module is no longer expected of you."
    module = assignment.module
    if module.kind == "reflection" and len((assignment.reflection_text or "").strip()) < (
        REFLECTION_MIN
    ):
        return "Write and save your reflection first: a few sentences are enough."
    if module.kind == "practice" and not assignment.practice_entries:
        return "Log at least one day of practice first."
    return None


def mark_complete(assignment: Assignment, now: datetime | None = None) -> bool:
    """Mark the person's module complete; True if it changed, False if it was done already.

    Raises LearningError when the module is not released yet, no longer expected, or its
    kind's requirement is not met (see completion_blocker). Completes the enrollment when
    this was the last module expected.
    """
    if assignment.status == "completed":
        return False
    blocker = completion_blocker(assignment)
    if blocker:
        raise LearningError(blocker)
    now = now or utcnow()
    assignment.status = "completed"
    assignment.completed_at = now
    refresh_enrollment(assignment.enrollment, now.date())
    db.session.flush()
    return True


def refresh_enrollment(enrollment: Enrollment, day: date) -> bool:
    """Complete an active enrollment once nothing required is left; True if it changed."""
    if enrollment.status != "active":
        return False
    expected = [a for a in enrollment.assignments if a.status != "closed"]
    counted = [a for a in expected if a.module.required] or expected
    finished = all(a.status in DONE_STATUSES for a in counted)
    if not counted or not finished or not any(a.status == "completed" for a in counted):
        return False
    enrollment.status = "completed"
    enrollment.completed_on = day
    return True


def _require_open_for_work(assignment: Assignment) -> None:
    if assignment.status == "upcoming":
        raise LearningError(f"This module opens on {assignment.release_on:%d %b %Y}.")
    if assignment.status in ("excused", "closed"):
        raise LearningError("This module is no longer expected of you.")


def save_reflection(assignment: Assignment, text: str) -> None:
    """Store the person's private reflection (replacing the previous text).

    Raises LearningError if the module is not open for work or the text is too long.
    An empty text clears the reflection.
    """
    _require_open_for_work(assignment)
    text = (text or "").strip()
    if len(text) > REFLECTION_MAX:
        raise LearningError(f"Please keep it under {REFLECTION_MAX:,} characters.", "text")
    assignment.reflection_text = text or None
    db.session.flush()


def log_practice(assignment: Assignment, day: date, minutes: int, note: str = "",
                 *, on: date | None = None) -> PracticeLogEntry:
    """Log one day of practice on a practice-log module; `on` is today.

    One entry per day; minutes 1-180; not in the future and not before the module opened.
    Completes the module (and perhaps the program) when the weekly target is met.
    Raises LearningError naming the field at fault.
    """
    on = on or today()
    if assignment.module.kind != "practice":
        raise LearningError("This module has no practice log.")
    _require_open_for_work(assignment)
    low, high = PRACTICE_MINUTES
    if minutes is None or not low <= minutes <= high:
        raise LearningError(f"Enter between {low} and {high} minutes.", "minutes")
    if day > on:
        raise LearningError("You can only log days that have already happened.", "day")
    if day < assignment.release_on:
        raise LearningError(
            f"This log started on {assignment.release_on:%d %b %Y}; pick a day since then.",
            "day",
        )
    if any(entry.day == day for entry in assignment.practice_entries):
        raise LearningError(f"You already logged {day:%A %d %b}.", "day")
    entry = PracticeLogEntry(day=day, minutes=minutes, note=(note or "").strip()[:300])
    assignment.practice_entries.append(entry)
    db.session.flush()
    target = assignment.module.practice_days_per_week or DEFAULT_PRACTICE_DAYS
    if assignment.status == "available" and weekly_target_met(
        [e.day for e in assignment.practice_entries], target
    ):
        mark_complete(assignment)
    return entry


def weekly_target_met(days, target: int) -> bool:
    """True when some calendar week (Monday-Sunday) holds at least `target` logged days."""
    weeks: dict[date, int] = {}
    for day in set(days):
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + 1
    return any(count >= target for count in weeks.values())


@dataclass(frozen=True)
class WeekDay:
    day: date
    entry: PracticeLogEntry | None
    future: bool
    before_start: bool


def practice_week(assignment: Assignment, on: date | None = None) -> list[WeekDay]:
    """Monday to Sunday of the week of `on` (today), each with what was logged that day."""
    on = on or today()
    monday = on - timedelta(days=on.weekday())
    logged = {e.day: e for e in assignment.practice_entries}
    days = [monday + timedelta(days=i) for i in range(7)]
    return [
        WeekDay(d, logged.get(d), future=d > on, before_start=d < assignment.release_on)
        for d in days
    ]


# --- suggestions for the surveys side -------------------------------------------------------

# Which built-in modules (by their stable `module_key`, kept through copies and edits) help
# with which Copenhagen Burnout Inventory scale. Deliberately small and readable: a
# suggestion can always be explained by naming the modules that matched.
SCALE_MODULES: dict[str, frozenset[str]] = {
    # Personal burnout: general exhaustion; recovery habits and self-regulation help.
    "personal": frozenset({
        "course-5033", "course-3902", "course-3939", "course-4695", "breathing-practice",
        "micro-breaks", "closing-reflection",
    }),
    # Work-related burnout: how the work is organised; workload and team-level levers.
    "work": frozenset({
        "course-3652", "course-5033", "course-3939", "micro-breaks", "leader-workload",
        "leader-reflection",
    }),
    # Client (patient)-related burnout: emotional load of care; compassion with boundaries.
    "client": frozenset({
        "compassion-reading", "compassion-reflection", "course-4695", "course-3902",
    }),
}
SCALE_LABELS = {
    "personal": "personal burnout",
    "work": "work-related burnout",
    "client": "patient-related burnout",
}


@dataclass(frozen=True)
class Suggestion:
    program: Program
    scales: tuple[str, ...]  # the high scales it addresses
    modules: tuple[str, ...]  # titles of the modules that matched, for the explanation
    can_join: bool  # open for self-enrollment

    @property
    def reason(self) -> str:
        scales = " and ".join(SCALE_LABELS.get(s, s) for s in self.scales)
        return f"Addresses {scales} through: {', '.join(self.modules)}."


def suggested_programs(membership, high_scales: set[str]) -> list[Suggestion]:
    """Programs of the person's organisation whose modules fit their high CBI scales.

    `high_scales` holds scale names ("personal", "work", "client"); unknown names are
    ignored. Programs the person is actively enrolled in, drafts and archived programs are
    left out. Best matches first: more scales covered, then more matching modules.
    """
    wanted = {s: SCALE_MODULES[s] for s in high_scales if s in SCALE_MODULES}
    if not wanted:
        return []
    active = set(db.session.scalars(
        select(Enrollment.program_id).filter_by(membership_id=membership.id, status="active")
    ))
    programs = db.session.scalars(
        select(Program).where(
            Program.organisation_id == membership.organisation_id, Program.archived.is_(False)
        ).order_by(Program.name)
    )
    suggestions = []
    for program in programs:
        version = program.current_version
        if version is None or program.id in active:
            continue
        scales = tuple(sorted(s for s, keys in wanted.items()
                              if any(m.module_key in keys for m in version.modules)))
        if not scales:
            continue
        keys = frozenset().union(*(wanted[s] for s in scales))
        titles = tuple(m.title for m in version.modules if m.module_key in keys)
        suggestions.append(Suggestion(program, scales, titles, program.self_enroll))
    return sorted(suggestions, key=lambda s: (-len(s.scales), -len(s.modules), s.program.name))
