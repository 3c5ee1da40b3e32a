"""Survey tasks: open due waves, fan out their invitations, remind, reshuffle, close.

Every task is safe to run twice or at once with itself: a wave opens once per campaign and
date (unique constraint), invitations are claimed before they are mailed, reminders are
claimed by their number, and a wave is closed (and announced) by one conditional UPDATE.
Mail goes through the outbox, keyed per invitation and reminder.
"""
from __future__ import annotations

from celery import shared_task

from orgwell.extensions import db
from orgwell.surveys import anonymity, invitations, waves
from orgwell.surveys.models import Wave


@shared_task(name="surveys.open_due_waves")
def open_due_waves() -> None:
    """Open the waves due today, then fan out every open wave with unsent invitations.

    Beat runs it every 5 minutes; the second half also restarts a fan-out whose task was
    lost (broker down, worker killed mid-way).
    """
    waves.open_due_waves()
    db.session.commit()
    for wave_id in invitations.waves_to_fan_out():
        fan_out.delay(wave_id)


@shared_task(name="surveys.fan_out")
def fan_out(wave_id: int) -> None:
    """Queue the invitation mails of wave `wave_id`, committing after each batch."""
    while invitations.fan_out_batch(wave_id):
        db.session.commit()
    db.session.commit()


@shared_task(name="surveys.send_reminders")
def send_reminders() -> None:
    """Remind non-responders of open waves (beat, every 5 minutes; at most once a day each)."""
    invitations.send_reminders()
    db.session.commit()


@shared_task(name="surveys.close_due_waves")
def close_due_waves() -> None:
    """Close waves whose time is up and tell the metrics side (beat, every 5 minutes).

    First reshuffles the open anonymous waves that received answers since the last run, one
    wave per transaction (see surveys/anonymity.py); closing reshuffles a wave once more.
    """
    for wave_id in anonymity.waves_to_reshuffle():
        wave = db.session.get(Wave, wave_id)
        anonymity.reshuffle_wave(wave)
        db.session.commit()
    waves.close_due_waves()
    db.session.commit()
