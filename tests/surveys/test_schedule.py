"""Wave dates: computed from the start date, due only while their open period lasts."""
from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.surveys import campaigns, waves
from orgwell.surveys import schedule as sched
from orgwell.surveys.models import Wave


def test_monthly_dates_keep_the_day_and_clamp_short_months():
    dates = sched.schedule_dates("monthly", date(2027, 1, 31), date(2027, 5, 31))
    assert dates == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30),
        date(2027, 5, 31),
    ]


def test_weekly_biweekly_quarterly_and_once():
    start = date(2027, 3, 1)
    assert sched.schedule_dates("weekly", start, date(2027, 3, 22)) == [
        date(2027, 3, 1), date(2027, 3, 8), date(2027, 3, 15), date(2027, 3, 22)
    ]
    assert sched.schedule_dates("biweekly", start, date(2027, 3, 28)) == [
        date(2027, 3, 1), date(2027, 3, 15)
    ]
    assert sched.schedule_dates("quarterly", start, date(2028, 3, 1)) == [
        date(2027, 3, 1), date(2027, 6, 1), date(2027, 9, 1), date(2027, 12, 1),
        date(2028, 3, 1),
    ]
    assert sched.schedule_dates("once", start, date(2030, 1, 1)) == [start]
    assert sched.schedule_dates("monthly", start, date(2027, 2, 28)) == []


def test_next_date_is_strictly_after():
    start = date(2027, 1, 31)
    assert sched.next_date("monthly", start, date(2027, 1, 31)) == date(2027, 2, 28)
    assert sched.next_date("monthly", start, date(2027, 3, 30)) == date(2027, 3, 31)
    assert sched.next_date("weekly", date(2027, 3, 1), date(2027, 3, 8)) == date(2027, 3, 15)
    assert sched.next_date("once", start, date(2027, 1, 31)) is None
    assert sched.next_date("once", start, date(2027, 1, 1)) == start
    assert sched.next_date("quarterly", start, date(2027, 5, 1)) == date(2027, 7, 31)


def test_a_wave_is_due_only_within_its_open_days():
    start = date(2027, 3, 1)
    due = [sched.due_date("monthly", start, 7, date(2027, 3, d)) for d in range(1, 10)]
    assert due == [date(2027, 3, 1)] * 7 + [None, None]
    assert sched.due_date("monthly", start, 7, date(2027, 2, 28)) is None
    assert sched.due_date("monthly", start, 7, date(2027, 4, 3)) == date(2027, 4, 1)
    assert sched.due_date("once", start, 3, date(2027, 3, 3)) == start
    assert sched.due_date("once", start, 3, date(2027, 3, 4)) is None


def test_close_times_are_utc_and_labelled_for_the_last_minute():
    closes = sched.scheduled_close(date(2027, 3, 1), 7)
    assert closes == datetime(2027, 3, 8, tzinfo=UTC)
    from orgwell.surveys.invitations import closes_label

    assert closes_label(closes) == "Sunday 7 March 2027, 23:59 UTC"


def _waves(campaign) -> list[date]:
    return list(db.session.scalars(
        select(Wave.opens_on).filter_by(campaign_id=campaign.id).order_by(Wave.opens_on)
    ))


def test_waves_open_on_their_dates_as_time_passes(world, make_campaign):
    org = world["org_x"]
    with time_machine.travel(datetime(2027, 1, 31, 6, tzinfo=UTC), tick=False) as traveller:
        campaign = make_campaign(org, schedule="monthly", open_days=5)
        for day in (datetime(2027, 1, 31, 6), datetime(2027, 2, 2), datetime(2027, 2, 27),
                    datetime(2027, 2, 28, 0, 5), datetime(2027, 3, 1), datetime(2027, 3, 31)):
            traveller.move_to(day.replace(tzinfo=UTC))
            waves.open_due_waves()
            db.session.commit()
        assert _waves(campaign) == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
        assert campaigns.wave_dates(campaign, date(2027, 3, 31)) == _waves(campaign)


def test_a_paused_campaign_skips_its_dates_and_resumes_without_catching_up(
    world, make_campaign
):
    org = world["org_x"]
    with time_machine.travel(datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False) as traveller:
        campaign = make_campaign(org, schedule="weekly", open_days=3)
        waves.open_due_waves()
        campaigns.pause_campaign(campaign)
        db.session.commit()
        traveller.move_to(datetime(2027, 3, 8, 8, tzinfo=UTC))
        waves.open_due_waves()
        traveller.move_to(datetime(2027, 3, 11, 8, tzinfo=UTC))
        campaigns.resume_campaign(campaign)
        waves.open_due_waves()  # the 8 March wave's open days are over: not sent late
        db.session.commit()
        assert _waves(campaign) == [date(2027, 3, 1)]
        assert campaigns.next_wave_date(campaign, date(2027, 3, 11)) == date(2027, 3, 15)
        traveller.move_to(datetime(2027, 3, 15, 0, 1, tzinfo=UTC))
        waves.open_due_waves()
        db.session.commit()
        assert _waves(campaign) == [date(2027, 3, 1), date(2027, 3, 15)]


def test_the_worker_opening_twice_a_day_opens_one_wave(world, make_campaign):
    with time_machine.travel(datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False) as traveller:
        campaign = make_campaign(world["org_x"])
        first = waves.open_due_waves()
        db.session.commit()
        traveller.shift(300)
        second = waves.open_due_waves()
        db.session.commit()
    assert len(first) == 1 and second == []
    count = db.session.scalar(select(func.count(Wave.id)).filter_by(campaign_id=campaign.id))
    assert count == 1
