"""The program builder: details, modules of a draft version, publishing.

Published versions are frozen: every edit goes to the program's draft version, which
`ensure_draft` creates by copying the current version's modules (same `module_key`). Publishing
makes the draft the version new enrollments get; with `apply_to_open` the open assignments of
people already enrolled move to it too, while completed work stays on the module row it was
done for. Services flush; the view commits.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from orgwell.audit.services import record
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.services import FieldError
from orgwell.programs.content import is_http_url, render_markdown
from orgwell.programs.learning import refresh_enrollment
from orgwell.programs.models import (
    MODULE_KINDS,
    OPEN_STATUSES,
    Assignment,
    Enrollment,
    Module,
    Program,
    ProgramVersion,
    today,
)

# Module columns a leader edits (and that a new version copies).
MODULE_FIELDS = (
    "kind", "title", "summary", "body_markdown", "provider", "course_number", "url",
    "ce_hours", "level", "presenter", "video_url", "prompt", "practice_days_per_week",
    "practice_minutes", "release_offset_days", "due_offset_days", "required",
    "estimated_minutes",
)
PROGRAM_FIELDS = (
    "name", "description", "audience", "self_enroll", "reminder_days_before",
    "overdue_reminder_max", "overdue_reminder_gap_days",
)


def new_module_key() -> str:
    return secrets.token_hex(6)


def create_program(org, *, name: str, description: str = "", audience: str = "",
                   created_by=None, **settings) -> Program:
    """A new, empty program with a draft version 1. Flushes."""
    program = Program(
        organisation_id=org.id, name=name, description=description, audience=audience,
        created_by_id=getattr(created_by, "id", None), **settings,
    )
    db.session.add(program)
    db.session.flush()
    db.session.add(ProgramVersion(program=program, number=1))
    db.session.flush()
    record("program_created", target=program, organisation_id=org.id,
           actor_id=getattr(created_by, "id", None))
    return program


def update_details(program: Program, **values) -> None:
    """Change a program's details and reminder rules (not versioned: no history to keep)."""
    for name in PROGRAM_FIELDS:
        if name in values:
            setattr(program, name, values[name])
    if not program.reminder_days_before:
        program.reminder_days_before = []
    db.session.flush()
    record("program_updated", target=program, organisation_id=program.organisation_id)


def check_module(data: dict) -> None:
    """Rules a module must satisfy whatever form or script built it; raises FieldError."""
    if data.get("kind") not in MODULE_KINDS:
        raise FieldError("kind", "Choose a module kind.")
    if not (data.get("title") or "").strip():
        raise FieldError("title", "Give the module a title.")
    release, due = data.get("release_offset_days", 0), data.get("due_offset_days", 0)
    if release is None or release < 0:
        raise FieldError("release_offset_days", "Use 0 or more days.")
    if due is None or due < 0:
        raise FieldError("due_offset_days", "Use 0 or more days.")
    if due < release:
        raise FieldError("due_offset_days", "The due day cannot come before the release day.")
    for name in ("url", "video_url"):
        if data.get(name) and not is_http_url(data[name]):
            raise FieldError(name, "Use a web address starting with http:// or https://.")
    if data["kind"] == "course" and not data.get("url"):
        raise FieldError("url", "Give the course's web address.")
    if data["kind"] == "video" and not data.get("video_url"):
        raise FieldError("video_url", "Give the video's web address.")
    hours = data.get("ce_hours")
    if hours is not None and not (Decimal(hours).is_finite() and 0 <= hours <= 100):
        raise FieldError("ce_hours", "CE hours go from 0 to 100.")


def ensure_draft(program: Program) -> ProgramVersion:
    """The program's draft version, created from the current version when there is none."""
    draft = program.draft_version
    if draft is not None:
        return draft
    current = program.current_version
    draft = ProgramVersion(program=program, number=(current.number + 1) if current else 1)
    db.session.add(draft)
    db.session.flush()
    for module in current.modules if current else []:
        db.session.add(_copy_module(module, draft))
    db.session.flush()
    db.session.refresh(draft)
    return draft


def _copy_module(module: Module, version: ProgramVersion) -> Module:
    values = {name: getattr(module, name) for name in MODULE_FIELDS}
    return Module(
        version_id=version.id, module_key=module.module_key, position=module.position,
        body_html=module.body_html, **values,
    )


def add_module(program: Program, data: dict) -> Module:
    """Add a module at the end of the draft. Raises FieldError for bad data. Flushes."""
    check_module(data)
    draft = ensure_draft(program)
    module = Module(version_id=draft.id, module_key=data.get("module_key") or new_module_key(),
                    position=len(draft.modules))
    _apply(module, data)
    db.session.add(module)
    db.session.flush()
    db.session.refresh(draft)
    return module


def update_module(program: Program, module: Module, data: dict) -> Module:
    """Change the draft's copy of `module` (matched by key). Raises FieldError. Flushes."""
    check_module(data)
    target = draft_copy(program, module)
    _apply(target, data)
    db.session.flush()
    return target


def remove_module(program: Program, module: Module) -> None:
    """Take the module out of the draft (earlier versions keep it). Flushes."""
    target = draft_copy(program, module)
    draft = target.version
    db.session.delete(target)
    db.session.flush()
    db.session.refresh(draft)
    _renumber(draft)


def move_module(program: Program, module: Module, step: int) -> None:
    """Move the module up (-1) or down (+1) in the draft. Flushes."""
    target = draft_copy(program, module)
    modules = list(target.version.modules)
    index = modules.index(target)
    other = index + step
    if 0 <= other < len(modules):
        modules[index], modules[other] = modules[other], modules[index]
        for position, item in enumerate(modules):
            item.position = position
    db.session.flush()


def draft_copy(program: Program, module: Module) -> Module:
    """The draft version's module with the same key as `module` (creating the draft)."""
    draft = ensure_draft(program)
    for candidate in draft.modules:
        if candidate.module_key == module.module_key:
            return candidate
    raise FieldError("module", "This module is no longer in the draft.")


def _apply(module: Module, data: dict) -> None:
    for name in MODULE_FIELDS:
        if name in data:
            setattr(module, name, data[name])
    module.body_html = render_markdown(module.body_markdown or "")


def _renumber(version: ProgramVersion) -> None:
    for position, item in enumerate(version.modules):
        item.position = position
    db.session.flush()


@dataclass(frozen=True)
class PublishResult:
    version: ProgramVersion
    moved: int = 0
    added: int = 0
    closed: int = 0


def publish(program: Program, *, apply_to_open: bool, published_by=None) -> PublishResult:
    """Publish the draft. With `apply_to_open`, move active enrollments' open assignments to it.

    Open assignments of a module kept (same key) point at the new module row with dates
    recomputed from the enrollment start (plus time on leave); those of a removed module
    close (completing the enrollment when nothing else was left); added modules become new
    assignments. Completed and excused work is untouched.
    Raises FieldError("version") when there is no draft or it has no modules. Flushes.
    """
    draft = program.draft_version
    if draft is None:
        raise FieldError("version", "There are no unpublished changes.")
    if not draft.modules:
        raise FieldError("version", "Add at least one module before publishing.")
    draft.published_at = utcnow()
    draft.published_by_id = getattr(published_by, "id", None)
    draft.applied_to_open = apply_to_open
    db.session.flush()
    result = PublishResult(draft)
    if apply_to_open:
        result = _apply_to_open(program, draft)
    record("program_published", target=program, organisation_id=program.organisation_id,
           actor_id=getattr(published_by, "id", None), version=draft.number,
           applied_to_open=apply_to_open)
    db.session.flush()
    return result


def _apply_to_open(program: Program, version: ProgramVersion) -> PublishResult:
    by_key = {m.module_key: m for m in version.modules}
    moved = added = closed = 0
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.program_id == program.id, Enrollment.status == "active")
    )
    for enrollment in enrollments:
        seen, closed_here = set(), 0
        for assignment in enrollment.assignments:
            key = assignment.module.module_key
            seen.add(key)
            if assignment.status not in OPEN_STATUSES:
                continue
            module = by_key.get(key)
            if module is None:
                assignment.status, assignment.closed_at = "closed", utcnow()
                closed_here += 1
                continue
            assignment.module_id = module.id
            set_dates(assignment, enrollment, module)
            moved += 1
        for module in version.modules:
            if module.module_key not in seen:
                add_assignment(enrollment, module)
                added += 1
        closed += closed_here
        if closed_here:
            # The removed module may have been the last one they had left to do.
            refresh_enrollment(enrollment, today())
    db.session.flush()
    return PublishResult(version, moved, added, closed)


def set_dates(assignment: Assignment, enrollment: Enrollment, module: Module,
              on_leave: bool | None = None) -> None:
    """release_on/due_on from the enrollment start, the offsets and the time spent on leave.

    A released assignment keeps its release date; a person on leave has no due date.
    """
    shift = enrollment.start_on + timedelta(days=enrollment.leave_days)
    if assignment.status == "upcoming":
        assignment.release_on = shift + timedelta(days=module.release_offset_days)
    if on_leave is None:
        on_leave = enrollment.membership.on_leave
    assignment.due_on = None if on_leave else shift + timedelta(days=module.due_offset_days)


def add_assignment(enrollment: Enrollment, module: Module) -> Assignment:
    """A new upcoming assignment of `module` for `enrollment` (the release job releases it)."""
    assignment = Assignment(
        organisation_id=enrollment.organisation_id, enrollment=enrollment,
        membership_id=enrollment.membership_id, module=module, status="upcoming",
        release_on=enrollment.start_on,
    )
    set_dates(assignment, enrollment, module)
    db.session.add(assignment)
    return assignment
