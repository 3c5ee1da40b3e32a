"""Metrics' reactions to survey and program events: rollups follow responses, waves and work.

`create_app` calls `register()` (idempotent), so the web app and the worker both react.
Each survey hook only flushes, inside the transaction of the request or job that raised the
event.

response stored -> the response is added to its wave x team rollups (atomic upserts).
wave closed     -> the wave's rollups are rebuilt from raw data (which also covers demo seeding
                   and result imports that insert responses without the response hook), then
                   the alert job is queued.
program work    -> when a flush adds or changes an assignment (completed, excused, closed,
                   new), an enrollment, or someone's team, the programs concerned are noted;
                   once that transaction COMMITS the worker rebuilds their week rollups
                   (worker.metrics.refresh_program). The programs domain raises no events of
                   its own for these (its services change rows in many places), so the flush
                   is where every one of them can be seen; a rollback forgets them. What no
                   write announces -- days passing (work released or overdue on a date, a new
                   week) -- and a hand-off lost with the broker down are caught by the hourly
                   `metrics.refresh`.
"""
from __future__ import annotations

from itertools import chain

from flask import current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from orgwell.metrics import alerts, rollups
from orgwell.orgs.models import TeamAssignment
from orgwell.programs.models import Assignment, Enrollment
from orgwell.surveys import events

_PENDING_KEY = "metrics.programs_changed"
# Assignment columns the week rollups depend on (reminder counters and reflections do not).
_ASSIGNMENT_COLUMNS = ("release_on", "due_on", "status", "completed_at", "excused_at",
                       "closed_at", "membership_id", "enrollment_id")


def on_response_stored(response) -> None:
    rollups.record_response(response)


def on_wave_closed(wave) -> None:
    rollups.rebuild_wave(wave)
    alerts.queue_after_wave_closed(wave)


def register() -> None:
    if on_response_stored not in events.RESPONSE_STORED_HOOKS:
        events.RESPONSE_STORED_HOOKS.append(on_response_stored)
    if on_wave_closed not in events.WAVE_CLOSED_HOOKS:
        events.WAVE_CLOSED_HOOKS.append(on_wave_closed)
    if not event.contains(Session, "after_flush", _note_program_changes):
        event.listen(Session, "after_flush", _note_program_changes)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


def _note_program_changes(session: Session, flush_context) -> None:
    """Remember the programs whose week rollups this flush changed (refreshed after commit)."""
    ids: dict[type, set[int]] = {Enrollment: set(), Assignment: set(), TeamAssignment: set()}
    programs: set[int] = set()
    changed = chain(session.new, session.deleted,
                    (obj for obj in session.dirty if _matters(obj)))
    for obj in changed:
        if type(obj) not in ids:
            continue
        state = inspect(obj)
        if state.identity:
            ids[type(obj)].add(state.identity[0])
        # What the object itself still holds: a deleted row can no longer be looked up.
        if isinstance(obj, Enrollment):
            programs.add(state.dict.get("program_id"))
        elif isinstance(obj, Assignment) and state.dict.get("enrollment_id") is not None:
            ids[Enrollment].add(state.dict["enrollment_id"])
    if not any(ids.values()):
        return
    # Core statements on the flush's own connection: an ORM query here would autoflush.
    connection = session.connection()
    looked_up = (
        (Enrollment, select(Enrollment.program_id).where(Enrollment.id.in_(ids[Enrollment]))),
        (Assignment, select(Enrollment.program_id)
         .join(Assignment, Assignment.enrollment_id == Enrollment.id)
         .where(Assignment.id.in_(ids[Assignment]))),
        (TeamAssignment, select(Enrollment.program_id)
         .join(TeamAssignment, TeamAssignment.membership_id == Enrollment.membership_id)
         .where(TeamAssignment.id.in_(ids[TeamAssignment]))),
    )
    for model, query in looked_up:
        if ids[model]:
            programs.update(connection.scalars(query.distinct()))
    programs.discard(None)
    if programs:
        session.info.setdefault(_PENDING_KEY, set()).update(programs)


def _matters(obj) -> bool:
    """A changed assignment matters when a column the rollups read changed."""
    if not isinstance(obj, Assignment):
        return True
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _ASSIGNMENT_COLUMNS)


def _after_commit(session: Session) -> None:
    program_ids = session.info.pop(_PENDING_KEY, None)
    if not program_ids:
        return
    from worker.metrics import refresh_program

    for program_id in sorted(program_ids):
        try:
            refresh_program.delay(program_id)
        except Exception:  # noqa: BLE001 - the broker may be down; the hourly refresh repairs
            current_app.logger.warning("could not queue the rollups of program %s",
                                       program_id, exc_info=True)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
