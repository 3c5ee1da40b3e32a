"""Metrics' reactions to survey events: rollups follow responses and waves.

`create_app` calls `register()` (idempotent), so the web app and the worker both react.
Each hook only flushes, inside the transaction of the request or job that raised the event.

response stored -> the response is added to its wave x team rollups (atomic upserts).
wave closed     -> the wave's rollups are rebuilt from raw data (which also covers demo seeding
                   and result imports that insert responses without the response hook), then
                   the alert job is queued.
"""
from __future__ import annotations

from orgwell.metrics import alerts, rollups
from orgwell.surveys import events


def on_response_stored(response) -> None:
    rollups.record_response(response)


def on_wave_closed(wave) -> None:
    rollups.rebuild_wave(wave)
    alerts.queue_after_wave_closed(wave)


def register() -> None:
    if on_response_stored not in events.RESPONSE_STORED_HOOKS:
        events.RESPONSE_STORED_HOOKS.append(on_response_stored)
    if on_wave_closed not in events.WAVE_CLOSED_HOOKS:
        events.WAVE_CLOSED_HOOKS.append(on_wave_closed)
