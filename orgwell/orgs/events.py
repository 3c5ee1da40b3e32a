"""Membership events other domains react to, without orgs importing them.

orgs/staff.py calls `emit(event, membership, **details)` after a change has been flushed;
each handler in MEMBERSHIP_HOOKS runs in the same transaction (handlers flush, never
commit). Domains add their handler when their package is imported (programs: hooks.py).

Events and their details:
  joined_teams   team_ids (list[int]), on (date): the person started in these teams
  leave_started  on (date)
  leave_ended    on (date)
  left           on (date): the person left the organisation
"""
from __future__ import annotations

from collections.abc import Callable

MEMBERSHIP_HOOKS: list[Callable[..., None]] = []


def subscribe(handler: Callable[..., None]) -> Callable[..., None]:
    """Register `handler(event, membership, **details)` once (re-imports do not double it)."""
    if handler not in MEMBERSHIP_HOOKS:
        MEMBERSHIP_HOOKS.append(handler)
    return handler


def emit(event: str, membership, **details) -> None:
    for handler in list(MEMBERSHIP_HOOKS):
        handler(event, membership, **details)
