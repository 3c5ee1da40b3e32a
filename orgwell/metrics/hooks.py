"""Metrics' reactions to survey events: rollups follow responses and waves.

Imported by orgwell/api/metrics.py (loaded by create_app), so the web app and the worker both
register these hooks; `register()` is idempotent. Each hook only flushes, inside the
transaction of the request or job that raised the event.

response stored -> the response is added to its wave x team rollups (atomic upserts).
wave closed     -> the wave's rollups are rebuilt from raw data (which also covers demo seeding
                   and result imports that insert responses without the response hook), then
                   the alert job is queued when the alerts module exists.
"""
from __future__ import annotations

import importlib

from orgwell.metrics import rollups
from orgwell.surveys import events


def on_response_stored(response) -> None:
    rollups.record_response(response)


def on_wave_closed(wave) -> None:
    rollups.rebuild_wave(wave)
    alerts = _alerts_module()
    if alerts is not None:
        alerts.queue_after_wave_closed(wave)


def _alerts_module():
    # Alerts are optional here (another part of the metrics work); a missing module only
    # means no alert mails, never a failed wave close.
    try:
        module = importlib.import_module("orgwell.metrics.alerts")
    except ModuleNotFoundError as error:
        if error.name != "orgwell.metrics.alerts":
            raise
        return None
    return module if hasattr(module, "queue_after_wave_closed") else None


def register() -> None:
    if on_response_stored not in events.RESPONSE_STORED_HOOKS:
        events.RESPONSE_STORED_HOOKS.append(on_response_stored)
    if on_wave_closed not in events.WAVE_CLOSED_HOOKS:
        events.WAVE_CLOSED_HOOKS.append(on_wave_closed)


register()
