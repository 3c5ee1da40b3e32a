"""Program tasks: the daily release, reminders and the weekly leader digest.

Beat sends each every hour; each is idempotent per day (or per week for the digest), so a
late, repeated or doubled run mails nobody twice: releasing claims assignments with a
conditional UPDATE, and every mail has an outbox key. Two runs at once can both find a key
free and both insert it; the unique key refuses the later insert (IntegrityError) once the
first run commits. The loser then rolls back and runs once more: it now sees the winner's
keys and queues only what is still missing, so the task ends cleanly.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from orgwell.extensions import db
from orgwell.programs import digest, release
from orgwell.programs.models import today


def run_tolerating_race(job: Callable[[date], object]) -> None:
    """Run `job(today())` and commit; after losing a mail-key race, roll back and redo it."""
    try:
        job(today())
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        job(today())
        db.session.commit()


@shared_task(name="programs.release_due")
def release_due() -> None:
    """Release the modules whose date has come; one mail per person with what is new."""
    run_tolerating_race(release.release_due)


@shared_task(name="programs.send_reminders")
def send_reminders() -> None:
    """Remind people of modules due soon or overdue (once a day at most)."""
    run_tolerating_race(release.send_reminders)


@shared_task(name="programs.weekly_digest")
def weekly_digest() -> None:
    """This week's overdue and completion counts to owners and leaders (once a week each)."""
    run_tolerating_race(digest.send_weekly_digest)
