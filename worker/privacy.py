"""Privacy tasks: erasing people some time after they left (ERASE_LEAVERS_AFTER_DAYS)."""
from __future__ import annotations

from celery import shared_task
from flask import current_app

from orgwell.extensions import db
from orgwell.privacy import erasure


@shared_task(name="privacy.erase_leavers")
def erase_leavers() -> int:
    """Erase every leaver who is due, one transaction per person; returns how many.

    Idempotent: erased people are skipped, and two runs racing for one person meet the
    unique erasure record, so the second rolls back. A failure on one person is logged and
    the others still go.
    """
    erased = 0
    for membership_id in erasure.due_leaver_ids():
        try:
            erased += erasure.erase_due_leaver(membership_id)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one bad record must not stop the others
            db.session.rollback()
            current_app.logger.exception("erasing membership %s failed", membership_id)
    return erased
