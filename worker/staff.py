"""Staff tasks: running a confirmed CSV import."""
from __future__ import annotations

from celery import shared_task
from flask import current_app

from orgwell.extensions import db
from orgwell.orgs import imports


@shared_task(name="staff.run_import")
def run_import(job_id: int) -> None:
    """Run the import job `job_id`, committing after each batch so progress shows.

    Idempotent: a finished job is left alone and a half-done one resumes. An unexpected
    error marks the job failed (the rows committed so far stay imported).
    """
    try:
        for _ in imports.run_import(job_id):
            db.session.commit()
    except Exception:  # noqa: BLE001 - the owner must see a failed job, not a stuck one
        db.session.rollback()
        current_app.logger.exception("staff import %s failed", job_id)
        imports.fail_import(job_id, "The import stopped on an unexpected error; the people "
                                    "listed as imported were added. Contact support.")
        db.session.commit()


@shared_task(name="staff.sweep_imports")
def sweep_imports() -> None:
    """Start again the confirmed imports whose task was lost (beat, every minute)."""
    for job_id in imports.stalled_import_ids():
        run_import.delay(job_id)
