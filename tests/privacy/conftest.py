"""Fixtures: both organisations of `world` filled in every domain, and the person to erase."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import JSON, String, cast, func, or_, select

from orgwell.extensions import db as _db
from tests import factories, snapshots
from tests.privacy import data

NAME = "Zebedee Quixote"
EMAIL = "zebedee.quixote@mail.example"


@pytest.fixture
def filled(world, db):
    """org_x: team_a with staff_a, Zebedee (left) and 3 more; team_b with staff_b and 2 more.
    org_y: its owner and 3 people. Every domain has rows for both organisations."""
    return snapshots.reuse("filled", lambda: _fill(world))


def _fill(world) -> dict:
    org_x, org_y = world["org_x"], world["org_y"]
    zebedee = factories.MembershipFactory(
        organisation=org_x, teams=[world["team_a"]],
        user=factories.UserFactory(name=NAME, email=EMAIL),
    )
    people_x = [(world["staff_a"].memberships[0], world["team_a"]), (zebedee, world["team_a"])]
    people_x += [(factories.MembershipFactory(organisation=org_x, teams=[world["team_a"]]),
                  world["team_a"]) for _ in range(3)]
    people_x += [(world["staff_b"].memberships[0], world["team_b"])]
    people_x += [(factories.MembershipFactory(organisation=org_x, teams=[world["team_b"]]),
                  world["team_b"]) for _ in range(2)]
    people_y = [(factories.MembershipFactory(organisation=org_y, teams=[world["team_y"]]),
                 world["team_y"]) for _ in range(3)]
    skip = {people_x[-1][0].id}  # one person of team B never answers
    data.fill(org_x, people_x, skip_answer=skip)
    data.fill(org_y, people_y)
    zebedee.status, zebedee.left_on = "left", date(2025, 6, 30)
    _db.session.commit()
    return {**world, "zebedee": zebedee, "people_x": people_x, "people_y": people_y}


def text_hits(needles: list[str]) -> list[str]:
    """Every table.column whose value contains one of the needles (ignoring case)."""
    hits = []
    for table in _db.metadata.sorted_tables:
        for column in table.c:
            if not isinstance(column.type, String | JSON):
                continue
            value = func.lower(column if isinstance(column.type, String) else
                               cast(column, String))
            found = or_(*(value.contains(n.lower()) for n in needles))
            count = _db.session.scalar(select(func.count()).select_from(table).where(found))
            if count:
                hits.append(f"{table.name}.{column.name} ({count})")
    return hits
