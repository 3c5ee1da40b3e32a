"""The task modules the worker loads and the periodic jobs beat sends."""
from __future__ import annotations

from datetime import timedelta

TASK_MODULES = ["worker.mail", "worker.staff", "worker.health"]

BEAT_SCHEDULE = {
    # Re-queue outbox rows whose hand-off to the broker was lost or whose worker died.
    # Expires: a sweep that waited longer than its period is superseded by the next one.
    "mail-sweep": {
        "task": "mail.sweep",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    # Start imports whose task was lost (the broker was down when the owner confirmed).
    "staff-import-sweep": {
        "task": "staff.sweep_imports",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
}
