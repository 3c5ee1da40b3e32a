"""Hooks other domains attach to survey events (the metrics rollups, for instance).

Surveys must not import metrics; metrics appends its updaters here instead. Each hook runs
inside the transaction of the job or request that raised the event, so an update it makes
commits (or rolls back) together with the event itself. Hooks must only flush.

WAVE_CLOSED_HOOKS      called with the Wave just closed (by the close job, exactly once).
RESPONSE_STORED_HOOKS  called with the Response just stored (by the submission service).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orgwell.surveys.models import Response, Wave

WAVE_CLOSED_HOOKS: list[Callable[[Wave], None]] = []
RESPONSE_STORED_HOOKS: list[Callable[[Response], None]] = []


def wave_closed(wave: Wave) -> None:
    """Tell every registered hook that `wave` closed."""
    for hook in WAVE_CLOSED_HOOKS:
        hook(wave)


def response_stored(response: Response) -> None:
    """Tell every registered hook that `response` was stored."""
    for hook in RESPONSE_STORED_HOOKS:
        hook(response)
