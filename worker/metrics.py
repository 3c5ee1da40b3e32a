"""Metrics tasks: the hourly refresh of rollups that no single event keeps up to date.

Responses and wave closes update rollups in their own transactions (orgwell/metrics/hooks.py).
What changes without an event -- assignments becoming overdue as days pass, releases,
completions, and the invited counts of waves that opened -- is recomputed here. Every step
recomputes whole rows from raw data, so a late, doubled or concurrent run is harmless.
"""
from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import rebuild
from orgwell.orgs.models import Organisation


@shared_task(name="metrics.refresh")
def refresh() -> None:
    """Program week rollups and open waves' invited counts of every organisation."""
    for org_id in db.session.scalars(select(Organisation.id).order_by(Organisation.id)).all():
        refresh_org.delay(org_id)


@shared_task(name="metrics.refresh_org")
def refresh_org(org_id: int) -> None:
    """Refresh one organisation's program weeks and open-wave participation; commit."""
    org = db.session.get(Organisation, org_id)
    if org is None:
        return
    rebuild.rebuild_program_weeks(org)
    rebuild.refresh_open_waves(org)
    db.session.commit()
