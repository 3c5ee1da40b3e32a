"""Helpers for the organisation tests: logging in as a persona of the `world` fixture."""
from __future__ import annotations

import pytest

from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership


@pytest.fixture
def login_as(auth, world):
    """Log the test client in as one of the world's personas and return that user."""

    def login(persona: str):
        user = world[persona]
        response = auth.login(user.email)
        assert response.status_code == 302, f"could not log in as {persona}"
        return user

    return login


def membership_of(user, org) -> Membership:
    return db.session.scalar(
        db.select(Membership).filter_by(user_id=user.id, organisation_id=org.id)
    )


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).filter_by(to_addr=email)))
