"""Handing a background job (a staff import, a figure export) to the worker from a page."""
from __future__ import annotations

from flask import current_app, flash


def enqueue_job(task, job_id: int, what: str) -> None:
    """`task.delay(job_id)`; when the broker cannot be reached the job stays queued (a beat
    sweep starts it later) and the page says so instead of failing."""
    try:
        task.delay(job_id)
    except Exception:  # noqa: BLE001 - the job row stays queued and the sweep starts it
        current_app.logger.exception("could not queue %s %s", what, job_id)
        flash(f"The background worker could not be reached right now; the {what} waits in the "
              "queue and starts within a minute of the worker being reachable again.",
              "warning")
