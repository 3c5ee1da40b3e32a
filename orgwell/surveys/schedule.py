"""When a campaign's waves open and close: pure date arithmetic, no database.

A campaign's wave dates are computed from its start date, never from the previous wave, so
a late or missed run of the worker does not shift every later wave. Monthly and quarterly
dates keep the start's day of the month, clamped to short months (Jan 31 -> Feb 28 -> Mar 31).
"""
from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

# schedule -> (days, months) between two waves; "once" has none.
PERIODS: dict[str, tuple[int, int]] = {
    "weekly": (7, 0),
    "biweekly": (14, 0),
    "monthly": (0, 1),
    "quarterly": (0, 3),
}
SCHEDULE_LABELS = {
    "once": "Once",
    "weekly": "Every week",
    "biweekly": "Every 2 weeks",
    "monthly": "Every month",
    "quarterly": "Every 3 months",
}
# The longest a wave may stay open, so that two waves of one campaign never overlap.
MAX_OPEN_DAYS = {"once": 60, "weekly": 7, "biweekly": 14, "monthly": 28, "quarterly": 90}


def add_months(start: date, months: int) -> date:
    """`start` moved by `months`, keeping its day where the month has it (else the last day)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def nth_date(schedule: str, start: date, n: int) -> date:
    """The date of wave number `n` (0 is the start date)."""
    if schedule == "once":
        if n != 0:
            raise ValueError("a one-off campaign has a single wave")
        return start
    days, months = PERIODS[schedule]
    return start + timedelta(days=days * n) if days else add_months(start, months * n)


def schedule_dates(schedule: str, start: date, until: date) -> list[date]:
    """Every wave date of `schedule` from `start` up to and including `until`."""
    dates: list[date] = []
    n = 0
    while True:
        if schedule == "once" and n:
            return dates
        current = nth_date(schedule, start, n)
        if current > until:
            return dates
        dates.append(current)
        n += 1


def next_date(schedule: str, start: date, after: date) -> date | None:
    """The first wave date strictly after `after`, or None when there is none (once)."""
    if start > after:
        return start
    if schedule == "once":
        return None
    days, months = PERIODS[schedule]
    # Jump near the answer instead of walking from the start (weekly campaigns run for years).
    if days:
        n = (after - start).days // days
    else:
        n = max(0, ((after.year - start.year) * 12 + after.month - start.month) // months - 1)
    while nth_date(schedule, start, n) <= after:
        n += 1
    return nth_date(schedule, start, n)


def due_date(schedule: str, start: date, open_days: int, today: date) -> date | None:
    """The wave date that should be open on `today`, or None.

    That is the latest wave date on or before today whose open period has not ended. When
    the worker was down for longer than a wave's open period, the missed waves are skipped
    rather than opened late, which would mail people about a survey that is already over.
    """
    latest = None
    if start <= today:
        if schedule == "once":
            latest = start
        else:
            days, months = PERIODS[schedule]
            if days:
                latest = nth_date(schedule, start, (today - start).days // days)
            else:
                n = ((today.year - start.year) * 12 + today.month - start.month) // months
                while n > 0 and nth_date(schedule, start, n) > today:
                    n -= 1
                latest = nth_date(schedule, start, n)
    if latest is None or today >= latest + timedelta(days=open_days):
        return None
    return latest


def scheduled_close(opens_on: date, open_days: int) -> datetime:
    """When a scheduled wave closes: midnight UTC after its last open day."""
    return datetime.combine(opens_on + timedelta(days=open_days), time(0), tzinfo=UTC)


def manual_close(opened_at: datetime, open_days: int) -> datetime:
    """When a wave sent by hand closes: `open_days` full days after it was sent."""
    return opened_at + timedelta(days=open_days)
