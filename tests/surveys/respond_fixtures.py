"""Helpers for the respondent-side tests: a wave whose links are read from the real outbox.

`linked_wave(make_campaign, fan_out, org, **campaign fields)` opens a wave now and returns
(wave, {membership_id: raw token}); the tokens come out of the invitation mails, exactly as
a person receives them.
"""
from __future__ import annotations

from datetime import date

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.surveys import waves
from orgwell.surveys.models import Invitation, Response
from tests import snapshots

# One answer for every item of cbi-work (q7..q13), "Often"/"To a high degree" = 75.
WORK_ITEMS = ("q7", "q8", "q9", "q10", "q11", "q12", "q13")


def linked_wave(make_campaign, fan_out, org, *, on: date | None = None, **fields):
    campaign = make_campaign(org, **fields)
    wave = waves.open_wave(campaign, on or utcnow().date(), source="manual")
    db.session.commit()
    return wave, fan_out(wave)


def riverside_wave(world, make_campaign, fan_out):
    """`linked_wave` with the default campaign for Riverside, kept per test process
    (tests/snapshots.py): the tests of several modules start from it."""
    return snapshots.reuse(
        "linked_wave", lambda: linked_wave(make_campaign, fan_out, world["org_x"]))


def form_data(answers: dict[str, object], **extra) -> dict[str, str]:
    """Form fields for item answers {item key: value}."""
    data = {f"item-{key}": str(value) for key, value in answers.items()}
    data.update({k: str(v) for k, v in extra.items()})
    return data


def all_work(value: int = 75) -> dict[str, int]:
    return dict.fromkeys(WORK_ITEMS, value)


def membership_of(user):
    return user.memberships[0]


def response_count() -> int:
    db.session.expire_all()
    return db.session.query(Response).count()


def invitation_of(wave, membership) -> Invitation:
    db.session.expire_all()
    return db.session.query(Invitation).filter_by(
        wave_id=wave.id, membership_id=membership.id
    ).one()
