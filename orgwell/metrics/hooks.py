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
                   once the outermost transaction COMMITS (orgwell/after_commit.py: not when
                   a savepoint is released) the worker rebuilds their week rollups
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

from orgwell.after_commit import run_after_commit
from orgwell.metrics import alerts, rollups
from orgwell.orgs.models import TeamAssignment
from orgwell.programs.models import Assignment, Enrollment
from orgwell.surveys import events

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


def _note_program_changes(session: Session, flush_context) -> None:
    """Note the programs whose week rollups this flush changed (refreshed after the commit)."""
    ids: dict[type, set[int]] = {Enrollment: set(), Assignment: set(), TeamAssignment: set()}
    moved: set[int] = set()  # memberships whose team history changed
    programs: set[int] = set()
    changed = chain(session.new, session.deleted,
                    (obj for obj in session.dirty if _matters(obj)))
    for obj in changed:
        if type(obj) not in (Enrollment, Assignment, TeamAssignment):
            continue
        state = inspect(obj)
        # What the object itself holds: a deleted row can no longer be looked up, and a new
        # one has no identity yet in after_flush (its keys are in its dict all the same).
        if state.identity:
            ids[type(obj)].add(state.identity[0])
        if isinstance(obj, TeamAssignment):
            moved.add(state.dict.get("membership_id"))
            continue
        if isinstance(obj, Enrollment):
            programs.add(state.dict.get("program_id"))
        elif state.dict.get("enrollment_id") is not None:
            ids[Enrollment].add(state.dict["enrollment_id"])
    moved.discard(None)
    # Most flushes touch none of these: build no statement for them (this runs on every flush).
    if any(ids.values()) or moved:
        # Core statements on the flush's own connection: an ORM query here would autoflush.
        connection = session.connection()
        for query in _program_lookups(ids, moved):
            programs.update(connection.scalars(query.distinct()))
    programs.discard(None)
    if programs:
        run_after_commit(session, queue_refreshes, programs)


def _program_lookups(ids: dict[type, set[int]], moved: set[int]):
    """The queries for the program ids behind the noted rows, one per non-empty kind."""
    if ids[Enrollment]:
        yield select(Enrollment.program_id).where(Enrollment.id.in_(ids[Enrollment]))
    if ids[Assignment]:
        yield (select(Enrollment.program_id)
               .join(Assignment, Assignment.enrollment_id == Enrollment.id)
               .where(Assignment.id.in_(ids[Assignment])))
    if moved:
        yield select(Enrollment.program_id).where(Enrollment.membership_id.in_(moved))
    if ids[TeamAssignment]:
        # A changed row loaded before the last commit may hold only what was changed.
        yield (select(Enrollment.program_id)
               .join(TeamAssignment, TeamAssignment.membership_id == Enrollment.membership_id)
               .where(TeamAssignment.id.in_(ids[TeamAssignment])))


def _matters(obj) -> bool:
    """A changed assignment matters when a column the rollups read changed."""
    if not isinstance(obj, Assignment):
        return True
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _ASSIGNMENT_COLUMNS)


def queue_refreshes(program_ids: list[int]) -> None:
    """After the commit: ask the worker to rebuild the week rollups of `program_ids`."""
    from worker.metrics import refresh_program

    for program_id in program_ids:
        try:
            refresh_program.delay(program_id)
        except Exception:  # noqa: BLE001 - the broker may be down; the hourly refresh repairs
            current_app.logger.warning("could not queue the rollups of program %s",
                                       program_id, exc_info=True)
