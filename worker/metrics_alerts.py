"""Alert tasks: mail leaders and owners about teams that got worse when a wave closed.

Both tasks are idempotent: the alert mails are keyed per wave and person
(`metrics.alert:<wave_id>:<user_id>`), so a repeated task or the sweep never mails twice.
"""
from __future__ import annotations

from celery import shared_task

from orgwell.extensions import db
from orgwell.metrics import alerts


@shared_task(name="metrics.send_wave_alerts")
def send_wave_alerts(wave_id: int) -> None:
    """Queue the alert mails of the closed wave `wave_id` (queued after the close commits)."""
    alerts.send_wave_alerts(wave_id)
    db.session.commit()


@shared_task(name="metrics.sweep_alerts")
def sweep_alerts() -> None:
    """Send the alerts of waves closed lately whose task was lost (beat, hourly)."""
    for wave_id in alerts.recently_closed_wave_ids():
        alerts.send_wave_alerts(wave_id)
        db.session.commit()
