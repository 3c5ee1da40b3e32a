"""The task modules the worker loads, the queues their tasks go to, and the periodic jobs
beat sends."""
from __future__ import annotations

from datetime import timedelta

TASK_MODULES = ["worker.mail", "worker.staff", "worker.health", "worker.surveys", "worker.programs",
                "worker.privacy", "worker.exports", "worker.metrics_alerts", "worker.metrics"]

# mail: every message (invitations, resets, reminders), short and urgent.
# reports: long jobs that draw or recompute reports (Chromium renders, the hourly rebuild of
#   every organisation's rollups), so that they queue behind each other, not before mail.
# default: everything else (sweeps, fan-outs, imports, a program's rollups after a change).
QUEUES = ("mail", "default", "reports")
TASK_ROUTES = {
    "mail.*": {"queue": "mail"},
    "metrics.run_export": {"queue": "reports"},
    "metrics.refresh_org": {"queue": "reports"},
}

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
    # Survey waves: open those due (and restart lost fan-outs), remind, close. Each is
    # idempotent, so a late or doubled run does no harm.
    "surveys-open-waves": {
        "task": "surveys.open_due_waves",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    "surveys-reminders": {
        "task": "surveys.send_reminders",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    "surveys-close-waves": {
        "task": "surveys.close_due_waves",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 300},
    },
    # Programs: release modules, remind, and the weekly digest. Hourly, but each job is
    # idempotent per day (the digest per week), so a run that comes late or twice is harmless.
    "programs-release": {
        "task": "programs.release_due",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    "programs-reminders": {
        "task": "programs.send_reminders",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    "programs-digest": {
        "task": "programs.weekly_digest",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Start figure exports (PNG/PDF) whose task was lost; a job renders once to "done".
    "metrics-export-sweep": {
        "task": "metrics.sweep_exports",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # Alerts of waves closed in the last two days whose task was lost; the mails are keyed
    # per wave and person, so re-checking a wave never mails twice.
    "metrics-alerts-sweep": {
        "task": "metrics.sweep_alerts",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Metrics: program week rollups and open waves' invited counts, recomputed whole per
    # organisation (idempotent), so a late or doubled run is harmless.
    "metrics-refresh": {
        "task": "metrics.refresh",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
    # Erase people who left more than ERASE_LEAVERS_AFTER_DAYS ago. The job erases by date
    # and skips people already erased, so running it every few hours is the same as daily.
    "privacy-erase-leavers": {
        "task": "privacy.erase_leavers",
        "schedule": timedelta(hours=6),
        "options": {"expires": 3600},
    },
}
