"""Fixtures for the leader side of programs: a held clock, the prehab program copied into
Riverside (org X), and helpers to enroll, log in and read the outbox."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from orgwell.extensions import db as _db
from orgwell.notifications.models import OutboxMessage
from orgwell.programs import enrollment
from orgwell.programs.models import Assignment, Enrollment
from tests import factories
from tests.programs.learning_fixtures import copy_prehab

MONDAY = date(2026, 3, 2)


@pytest.fixture
def at():
    """The clock held at 09:00 UTC on MONDAY; `at(day)` moves it to 09:00 on `day`."""
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False) as traveller:
        def move(day: date) -> None:
            traveller.move_to(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
        move.traveller = traveller
        yield move


@pytest.fixture
def program(world, at):
    """The 6-week "Burnout prehab" template copied into Riverside."""
    return copy_prehab(world)


def member(world, name: str):
    return world[name].memberships[0]


def enroll_teams(program, teams, start=MONDAY, **kwargs):
    result = enrollment.enroll(program, start_on=start, team_ids=[t.id for t in teams],
                               **kwargs)
    _db.session.commit()
    return result


def enrollment_of(program, membership) -> Enrollment:
    return _db.session.scalar(
        select(Enrollment).filter_by(program_id=program.id, membership_id=membership.id)
        .order_by(Enrollment.id.desc())
    )


def assignment_of(program, membership, module_key: str) -> Assignment:
    found = enrollment_of(program, membership)
    return next(a for a in found.assignments if a.module.module_key == module_key)


def mails(prefix: str = "programs.") -> list[OutboxMessage]:
    return list(_db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
        .order_by(OutboxMessage.id)
    ))


def login(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return client
