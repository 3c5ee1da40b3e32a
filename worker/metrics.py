"""Metrics tasks: program week rollups after a change, and the hourly refresh as repair.

Responses and wave closes update survey rollups in their own transactions
(orgwell/metrics/hooks.py). A program's week rollups are rebuilt by `refresh_program`, queued
after a transaction that changed its assignments, enrollments or people's teams commits. What
changes without any write -- assignments becoming released or overdue as days pass, a new
week, and the invited counts of waves that opened -- is recomputed by the hourly `refresh`,
which also repairs a hand-off lost while the broker was down. Every step recomputes whole rows
from raw data, so a late, doubled or concurrent run is harmless.
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


@shared_task(name="metrics.refresh_program")
def refresh_program(program_id: int) -> None:
    """Rebuild one program's week rollups (queued after its work changed); commit."""
    rebuild.rebuild_program(program_id)
    db.session.commit()
