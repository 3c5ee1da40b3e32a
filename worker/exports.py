"""Metrics export tasks: rendering a results view's figures as PNG or PDF files."""
from __future__ import annotations

from celery import shared_task
from flask import current_app

from orgwell.extensions import db
from orgwell.metrics import exports


@shared_task(name="metrics.run_export")
def run_export(job_id: int) -> None:
    """Render the export job `job_id`, committing after each figure so progress shows.

    Idempotent: a finished job is left alone; a lost one is rendered again. A missing
    Chromium or an unexpected error marks the job failed with a message for the user.
    """
    try:
        exports.run_export(job_id, on_progress=db.session.commit)
        db.session.commit()
    except exports.ChromiumMissing:
        db.session.commit()  # the job is marked failed with the install hint
    except Exception:  # noqa: BLE001 - the user must see a failed job, not a stuck one
        db.session.rollback()
        current_app.logger.exception("metrics export %s failed", job_id)
        exports.fail_export(job_id, "The figures could not be drawn because of an unexpected "
                                    "error. Try again in a minute; if it happens again, "
                                    "contact support.")
        db.session.commit()


@shared_task(name="metrics.sweep_exports")
def sweep_exports() -> None:
    """Start again the exports whose task was lost (beat, every minute)."""
    for job_id in exports.stalled_export_ids():
        run_export.delay(job_id)
