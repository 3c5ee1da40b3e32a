"""Leavers are erased automatically ERASE_LEAVERS_AFTER_DAYS after their last day."""
from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.privacy.models import Erasure
from worker.privacy import erase_leavers


def _erased() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Erasure.membership_id)))


def test_a_leaver_is_erased_once_the_days_have_passed(app, filled):
    # Zebedee left on 30 June 2025; the default is 365 days.
    with time_machine.travel(datetime(2026, 6, 29, 12, tzinfo=UTC)):
        assert erase_leavers() == 0
    assert _erased() == set()
    with time_machine.travel(datetime(2026, 6, 30, 12, tzinfo=UTC)):
        assert erase_leavers() == 1
        assert erase_leavers() == 0  # a second run finds nobody
    assert _erased() == {filled["zebedee"].id}
    reasons = db.session.scalars(select(Erasure.reason)).all()
    assert reasons == ["automatic"]


def test_the_days_are_configurable_and_zero_means_never(app, filled):
    app.config["ERASE_LEAVERS_AFTER_DAYS"] = 0
    with time_machine.travel(datetime(2035, 1, 1, tzinfo=UTC)):
        assert erase_leavers() == 0
    app.config["ERASE_LEAVERS_AFTER_DAYS"] = 30
    with time_machine.travel(datetime(2025, 7, 31, tzinfo=UTC)):
        assert erase_leavers() == 1
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == 1


def test_current_staff_are_never_erased(app, filled):
    with time_machine.travel(datetime(2040, 1, 1, tzinfo=UTC)):
        erase_leavers()
    assert _erased() == {filled["zebedee"].id}
