"""The task modules the worker loads and the periodic jobs beat sends."""
from __future__ import annotations

from datetime import timedelta

TASK_MODULES = ["worker.mail", "worker.staff", "worker.health"]

BEAT_SCHEDULE = {
    # Re-queue outbox rows whose hand-off to the broker was lost or whose worker died.
    "mail-sweep": {"task": "mail.sweep", "schedule": timedelta(seconds=30)},
}
