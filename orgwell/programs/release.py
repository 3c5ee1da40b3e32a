"""Daily release of modules and the reminders, as the worker (and enrolling) run them.

Both are safe to run twice on the same day. Releasing claims each assignment with a
conditional UPDATE (upcoming -> available), so only one run gets it and mails it; the mail
key names the person, the day and the first assignment released. Reminders are one mail per
person and day (key `programs.reminder:<membership>:<day>`); overdue reminders also count
per assignment, at most `overdue_reminder_max`, `overdue_reminder_gap_days` apart. Nobody on
leave, who left, completed or was excused gets a mail. Services flush; the task commits.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask import current_app, url_for
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.notifications.services import queue_mail
from orgwell.orgs.models import Membership
from orgwell.programs.models import Assignment, Enrollment, Module, Program


def external_url(endpoint: str, **values) -> str:
    """An absolute link for mail, built on BASE_URL (works in the worker too)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _eligible():
    """Assignments of active enrollments of people who are here: active and not on leave."""
    return (
        select(Assignment)
        .join(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .join(Membership, Membership.id == Assignment.membership_id)
        .where(
            Enrollment.status == "active",
            Membership.status == "active",
            Membership.on_leave.is_(False),
        )
    )


def release_due(day: date, *, enrollment_ids: list[int] | None = None,
                notify: bool = True) -> list[int]:
    """Make every upcoming assignment whose release date has come available, and mail each
    person once with what is new. `enrollment_ids` limits it (enrolling); `notify=False`
    releases without mail (demo data). Returns the ids released. Flushes."""
    stmt = _eligible().where(Assignment.status == "upcoming", Assignment.release_on <= day)
    if enrollment_ids is not None:
        if not enrollment_ids:
            return []
        stmt = stmt.where(Assignment.enrollment_id.in_(enrollment_ids))
    candidates = [a.id for a in db.session.scalars(stmt.order_by(Assignment.id))]
    if not candidates:
        return []
    released = db.session.scalars(
        update(Assignment)
        .where(Assignment.id.in_(candidates), Assignment.status == "upcoming")
        .values(status="available", released_at=utcnow())
        .returning(Assignment.id)
        .execution_options(synchronize_session=False)
    ).all()
    rows = _load(released) if notify else []
    for membership_id, items in _by_person(rows).items():
        first = min(a.id for a in items)
        _mail(f"programs.release:{membership_id}:{day.isoformat()}:{first}",
              "programs_release", items, day, new=items)
    return sorted(released)


@dataclass(frozen=True)
class ReminderCounts:
    people: int = 0
    due_soon: int = 0
    overdue: int = 0


def send_reminders(day: date) -> ReminderCounts:
    """Queue one reminder mail per person for assignments due soon or overdue on `day`.

    Due soon: available, due in exactly one of the program's `reminder_days_before` days.
    Overdue: available, past due, fewer than `overdue_reminder_max` reminders so far, the
    last one at least `overdue_reminder_gap_days` ago. Flushes.
    """
    rows = db.session.scalars(
        _eligible()
        .where(Assignment.status == "available", Assignment.due_on.is_not(None))
        .options(joinedload(Assignment.module), joinedload(Assignment.enrollment)
                 .joinedload(Enrollment.program))
        .order_by(Assignment.due_on, Assignment.id)
    ).unique().all()
    due_soon: dict[int, list[Assignment]] = defaultdict(list)
    overdue: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in rows:
        program = assignment.enrollment.program
        days_left = (assignment.due_on - day).days
        if days_left >= 0 and days_left in (program.reminder_days_before or []):
            due_soon[assignment.membership_id].append(assignment)
        elif days_left < 0 and _overdue_reminder_due(assignment, program, day):
            overdue[assignment.membership_id].append(assignment)
    people = set(due_soon) | set(overdue)
    for membership_id in sorted(people):
        soon, late = due_soon.get(membership_id, []), overdue.get(membership_id, [])
        key = f"programs.reminder:{membership_id}:{day.isoformat()}"
        if already_queued(key):
            continue
        _mail(key, "programs_reminder", soon + late, day, due_soon=soon, overdue=late)
        for assignment in late:
            assignment.reminders_sent += 1
            assignment.last_reminded_on = day
    db.session.flush()
    return ReminderCounts(len(people), sum(map(len, due_soon.values())),
                          sum(map(len, overdue.values())))


def _overdue_reminder_due(assignment: Assignment, program: Program, day: date) -> bool:
    if assignment.reminders_sent >= program.overdue_reminder_max:
        return False
    last = assignment.last_reminded_on
    return last is None or (day - last).days >= max(program.overdue_reminder_gap_days, 1)


def already_queued(key: str) -> bool:
    return db.session.scalar(select(OutboxMessage.id).filter_by(key=key)) is not None


def _load(ids) -> list[Assignment]:
    if not ids:
        return []
    return list(db.session.scalars(
        select(Assignment).where(Assignment.id.in_(ids))
        .options(joinedload(Assignment.module).joinedload(Module.version),
                 joinedload(Assignment.membership).joinedload(Membership.user),
                 joinedload(Assignment.enrollment).joinedload(Enrollment.program))
        .order_by(Assignment.release_on, Assignment.id)
        .execution_options(populate_existing=True)
    ).unique())


def _by_person(rows) -> dict[int, list[Assignment]]:
    grouped: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in rows:
        grouped[assignment.membership_id].append(assignment)
    return grouped


def _mail(key: str, template: str, items: list[Assignment], day: date, **context):
    """Queue `template` for the person the `items` belong to; None when there is no one."""
    if not items:
        return None
    membership = items[0].membership
    org = membership.organisation
    links = {
        a.id: external_url("learning.module", slug=org.slug, assignment_id=a.id) for a in items
    }
    return queue_mail(
        key, membership.user.email, template, organisation_id=org.id,
        person=membership.user, organisation=org, day=day, links=links,
        learning_url=external_url("learning.index", slug=org.slug), **context,
    )
