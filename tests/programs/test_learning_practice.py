"""The practice log: one entry per day, 1-180 minutes, no future days or days before the
module opened, and the module completes itself when the weekly target is met."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from orgwell.programs import learning
from tests.programs.learning_fixtures import *  # noqa: F403
from tests.programs.learning_fixtures import START, assignment_of, move_to

OPENED = START + timedelta(days=7)  # breathing-practice is released on day 7 (a Monday)


@pytest.fixture
def practice(world, enrolled, clock):
    move_to(clock, OPENED + timedelta(days=3))  # Thursday of the first practice week
    assignment = assignment_of(world, "staff_a", "breathing-practice")
    assert assignment.status == "available"
    return assignment


def _log(client, assignment, **data):
    url = f"/o/riverside/learning/modules/{assignment.id}/practice"
    return client.post(url, data=data, follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2026-03-13", "minutes": "5"}, "only log days that have already happened"),
        ({"day": "2026-03-08", "minutes": "5"}, "pick a day since then"),
        ({"day": "2026-03-10", "minutes": "0"}, "between 1 and 180 minutes"),
        ({"day": "2026-03-10", "minutes": "181"}, "between 1 and 180 minutes"),
        ({"day": "2026-03-10", "minutes": "lots"}, "Not a valid integer value"),
        ({"day": "yesterday", "minutes": "5"}, "Not a valid date value"),
        ({"day": "", "minutes": "5"}, "Pick the day you practised"),
        ({"day": "2026-03-10", "minutes": "5", "note": "n" * 301}, "300 characters"),
    ],
)
def test_bad_practice_entries_are_refused(client, auth, world, practice, data, message):
    auth.login(world["staff_a"].email)
    html = _log(client, practice, **data)
    assert message in html
    assert practice.practice_entries == []


def test_a_day_is_logged_once(client, auth, world, practice):
    auth.login(world["staff_a"].email)
    assert "Logged Tuesday 10 Mar" in _log(client, practice, day="2026-03-10", minutes="4")
    assert "already logged Tuesday 10 Mar" in _log(client, practice, day="2026-03-10", minutes="6")
    assert [(e.day, e.minutes) for e in practice.practice_entries] == [(date(2026, 3, 10), 4)]
    html = client.get(f"/o/riverside/learning/modules/{practice.id}").get_data(as_text=True)
    assert "✓ 4 min" in html  # the week view marks the day


def test_practice_completes_when_the_weekly_target_is_met(world, practice, clock):
    # Target: 5 days a week. Mon-Thu of this week, then Friday.
    for offset in range(4):
        learning.log_practice(practice, OPENED + timedelta(days=offset), 3)
    assert practice.status == "available"
    move_to(clock, OPENED + timedelta(days=4), release_due=False)
    learning.log_practice(practice, OPENED + timedelta(days=4), 3)
    assert practice.status == "completed"


def test_five_days_across_two_weeks_do_not_meet_the_target(world, practice, clock):
    move_to(clock, OPENED + timedelta(days=9), release_due=False)
    for offset in (3, 4, 5, 7, 8):  # Thu, Fri, Sat | Mon, Tue
        learning.log_practice(practice, OPENED + timedelta(days=offset), 3)
    assert practice.status == "available"


def test_marking_practice_complete_needs_one_logged_day(world, practice):
    with pytest.raises(learning.LearningError, match="at least one day"):
        learning.mark_complete(practice)
    learning.log_practice(practice, OPENED, 3)
    assert learning.mark_complete(practice) is True


def test_weekly_target_is_counted_per_calendar_week():
    monday = date(2026, 3, 9)
    assert learning.weekly_target_met([monday + timedelta(days=i) for i in range(5)], 5)
    assert not learning.weekly_target_met([monday + timedelta(days=i) for i in range(3, 8)], 5)
    assert not learning.weekly_target_met([monday, monday, monday], 2)  # one day counts once
