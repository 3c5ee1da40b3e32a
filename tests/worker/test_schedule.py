"""What the worker loads and what beat sends."""
from __future__ import annotations

from datetime import timedelta

from worker.schedule import BEAT_SCHEDULE, TASK_MODULES


def test_sweep_runs_every_30_seconds(app):
    entry = BEAT_SCHEDULE["mail-sweep"]
    assert entry["task"] == "mail.sweep"
    assert entry["schedule"] == timedelta(seconds=30)
    assert app.extensions["celery"].conf.beat_schedule["mail-sweep"] == entry


def test_mail_and_health_modules_are_loaded(app):
    assert {"worker.mail", "worker.health"} <= set(TASK_MODULES)
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    assert {"mail.send", "mail.sweep"} <= set(celery.tasks)


def test_every_scheduled_task_exists(app):
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= set(celery.tasks)
