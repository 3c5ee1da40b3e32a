"""Program tasks: the daily release, reminders and the weekly leader digest.

Beat sends each every hour; each is idempotent per day (or per week for the digest), so a
late, repeated or doubled run mails nobody twice: releasing claims assignments with a
conditional UPDATE, and every mail has an outbox key (unique: two runs at once cannot both
insert it; the loser rolls back).
"""
from __future__ import annotations

from celery import shared_task

from orgwell.extensions import db
from orgwell.programs import digest, release
from orgwell.programs.models import today


@shared_task(name="programs.release_due")
def release_due() -> None:
    """Release the modules whose date has come; one mail per person with what is new."""
    release.release_due(today())
    db.session.commit()


@shared_task(name="programs.send_reminders")
def send_reminders() -> None:
    """Remind people of modules due soon or overdue (once a day at most)."""
    release.send_reminders(today())
    db.session.commit()


@shared_task(name="programs.weekly_digest")
def weekly_digest() -> None:
    """This week's overdue and completion counts to owners and leaders (once a week each)."""
    digest.send_weekly_digest(today())
    db.session.commit()
