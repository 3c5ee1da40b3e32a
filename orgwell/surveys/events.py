"""Hooks other domains attach to survey events (the metrics rollups, for instance).

Surveys must not import metrics; metrics appends its updaters here instead. Each hook runs
inside the transaction of the job or request that raised the event, so an update it makes
commits (or rolls back) together with the event itself. Hooks must only flush.

WAVE_CLOSED_HOOKS      called with the Wave just closed (by the close job, exactly once).
RESPONSE_STORED_HOOKS  called with a `StoredResponse`: the facts of the response just stored
                       (by the submission service; seeding and tests pass a Response row,
                       which is described first), so that no hook reads them again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orgwell.surveys.survey import WaveFacts

if TYPE_CHECKING:
    from orgwell.surveys.models import Response, Wave


@dataclass(frozen=True)
class StoredScore:
    scale_key: str
    score: float | None
    band: str | None


@dataclass(frozen=True)
class StoredResponse:
    response_id: str
    wave: WaveFacts
    instrument_key: str
    team_id: int | None
    scores: tuple[StoredScore, ...]

    @classmethod
    def of(cls, response: Response) -> StoredResponse:
        """The facts of a stored Response row (flushed, with its scores)."""
        from orgwell.extensions import db
        from orgwell.surveys.models import Campaign, Wave

        wave = db.session.get(Wave, response.wave_id)
        campaign = db.session.get(Campaign, wave.campaign_id)
        return cls(
            response_id=response.id,
            wave=WaveFacts(wave.id, wave.organisation_id, wave.campaign_id, wave.opens_on,
                           wave.closes_at, wave.status),
            instrument_key=campaign.instrument_version.key,
            team_id=response.team_id,
            scores=tuple(StoredScore(s.scale_key, s.score, s.band) for s in response.scores),
        )


WAVE_CLOSED_HOOKS: list[Callable[[Wave], None]] = []
RESPONSE_STORED_HOOKS: list[Callable[[StoredResponse], None]] = []


def wave_closed(wave: Wave) -> None:
    """Tell every registered hook that `wave` closed."""
    for hook in WAVE_CLOSED_HOOKS:
        hook(wave)


def response_stored(response: StoredResponse | Response) -> None:
    """Tell every registered hook that `response` was stored."""
    if not isinstance(response, StoredResponse):
        response = StoredResponse.of(response)
    for hook in RESPONSE_STORED_HOOKS:
        hook(response)
