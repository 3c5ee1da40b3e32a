"""Fixtures for a staff member's own learning: the "Burnout prehab" template copied into
Riverside and team A (staff_a) and team B (staff_b) enrolled from a Monday, with the clock
held on that Monday (time_machine) so release and due dates are known.

Import the fixtures you use into a test module: `from tests.programs.learning_fixtures
import *  # noqa: F403`.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from orgwell.extensions import db as _db
from orgwell.programs import enrollment, library, release
from orgwell.programs.learning import log_practice, mark_complete, save_reflection
from orgwell.programs.models import Assignment, Enrollment, Module, today
from tests import snapshots

START = date(2026, 3, 2)  # a Monday
# Required modules of the burnout-prehab template (the bar counts these).
PREHAB_REQUIRED = 6

__all__ = [
    "PREHAB_REQUIRED", "START", "assignment_of", "clock", "copy_prehab", "enrolled", "finish",
    "membership_of", "move_to", "prehab",
]


@pytest.fixture
def clock():
    """The clock held at 09:00 UTC on START; `clock.move_to(day)` jumps (see move_to)."""
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def move_to(clock, day: date, *, release_due: bool = True) -> None:
    """Jump to 09:00 on `day` and run the daily release, as the worker would, and commit."""
    clock.move_to(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
    if release_due:
        release.release_due(today())
        _db.session.commit()


@pytest.fixture
def prehab(world, clock):
    return copy_prehab(world)


def copy_prehab(world):
    """The "Burnout prehab" template copied into Riverside by its owner, committed."""
    def build():
        program = library.copy_template(
            world["org_x"], "burnout-prehab", created_by=world["owner_x"])
        _db.session.commit()
        return program

    return snapshots.reuse("prehab", build)


@pytest.fixture
def enrolled(world, prehab):
    """Teams A and B enrolled from START: staff_a and staff_b each have one enrollment."""
    def build():
        result = enrollment.enroll(
            prehab, start_on=START, team_ids=[world["team_a"].id, world["team_b"].id],
            created_by=world["owner_x"], day=START,
        )
        _db.session.commit()
        return result

    return snapshots.reuse("enrolled", build)


def membership_of(world, person: str):
    return world[person].memberships[0]


def assignment_of(world, person: str, module_key: str) -> Assignment:
    membership = membership_of(world, person)
    return _db.session.scalar(
        select(Assignment)
        .join(Module, Module.id == Assignment.module_id)
        .join(Enrollment, Enrollment.id == Assignment.enrollment_id)
        .where(Assignment.membership_id == membership.id, Module.module_key == module_key,
               Enrollment.status != "closed")
    )


def finish(assignment: Assignment) -> None:
    """Do what the module asks and mark it complete, through the services (flushes)."""
    if assignment.module.kind == "reflection":
        save_reflection(assignment, "What helped me this week was a short walk at lunch.")
    if assignment.module.kind == "practice":
        log_practice(assignment, today() - timedelta(days=0), 5)
    if assignment.status != "completed":
        mark_complete(assignment)
