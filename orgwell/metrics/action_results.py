"""What changed after an action: the team's protected results before it and at each follow-up.

Numbers come only from `orgwell.metrics.queries` (so they have passed confidentiality): a
team hidden in a wave shows the reason, never a number. The baseline is the team's last
closed wave on or before the action's day; follow-up waves are those opened after it
(`actions.follow_up_waves`). Also small helpers the action pages share.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app, url_for

from orgwell.metrics import actions, queries
from orgwell.metrics.action_models import Action
from orgwell.orgs.models import Organisation, Team
from orgwell.surveys.models import Wave

RESULTS_ENDPOINT = "metrics.team"


@dataclass(frozen=True)
class ScaleResult:
    """One scale of the team in one wave, as shown, with the change since the baseline."""

    scale_name: str
    cutoff: float | None
    cell: queries.Cell | None  # None: the team has no result in that wave
    change: float | None = None  # mean now minus mean at the baseline, when both are shown


@dataclass(frozen=True)
class WaveResult:
    wave: Wave
    scales: list[ScaleResult] = field(default_factory=list)

    @property
    def wave_date(self) -> date:
        return self.wave.opens_on


@dataclass(frozen=True)
class FollowUp:
    baseline: WaveResult | None
    waves: list[WaveResult]


def team_results_url(org: Organisation, team: Team) -> str | None:
    """The team's results page (the dashboards' drill-down), if that page exists."""
    if RESULTS_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(RESULTS_ENDPOINT, slug=org.slug, team_id=team.id)


def group_by_team(found: list[Action]) -> list[tuple[Team, list[Action]]]:
    """Actions grouped per team, teams in label order, each team's newest first."""
    teams: dict[int, tuple[Team, list[Action]]] = {}
    for action in found:
        teams.setdefault(action.team_id, (action.team, []))[1].append(action)
    return sorted(teams.values(), key=lambda pair: pair[0].label.lower())


def _scales(org: Organisation) -> dict[str, list[tuple[str, str, float | None]]]:
    return {key: scales for key, _name, scales in queries.available_instruments(org)}


def team_cells(org: Organisation, team: Team, instrument_key: str, scale_key: str,
               team_scope: set[int] | None) -> dict[int, queries.Cell]:
    """wave id -> the team's protected cell on one scale (only waves where it has a group)."""
    _k, cells = queries.burnout_series(
        org, queries.Filters(instrument=instrument_key, scale=scale_key,
                             team_ids=frozenset({team.id})),
        team_scope=team_scope,
    )
    return {c.wave_id: c for c in cells if c.group.team_id == team.id}


def follow_up(action: Action, team_scope: set[int] | None) -> FollowUp:
    """The team's results at the baseline wave and at each follow-up wave, per scale."""
    org, team = action.team.organisation, action.team
    baseline = actions.baseline_wave(action)
    waves = actions.follow_up_waves(action)
    scales = _scales(org)
    cache: dict[tuple[str, str], dict[int, queries.Cell]] = {}

    def results(wave: Wave, base: WaveResult | None) -> WaveResult:
        key = wave.campaign.instrument_version.key
        rows = []
        for scale_key, scale_name, cutoff in scales.get(key, []):
            if (key, scale_key) not in cache:
                cache[(key, scale_key)] = team_cells(org, team, key, scale_key, team_scope)
            cell = cache[(key, scale_key)].get(wave.id)
            rows.append(ScaleResult(scale_name, cutoff, cell, _change(cell, base, scale_name)))
        return WaveResult(wave, rows)

    base = results(baseline, None) if baseline is not None else None
    return FollowUp(base, [results(w, base) for w in waves])


def _change(cell, base: WaveResult | None, scale_name: str) -> float | None:
    if cell is None or cell.suppressed or base is None:
        return None
    before = next((s.cell for s in base.scales if s.scale_name == scale_name), None)
    if before is None or before.suppressed or before.mean is None or cell.mean is None:
        return None
    return round(cell.mean - before.mean, 1)
