"""What changed after an action: the team's protected results before it and at each follow-up.

Numbers come only from `orgwell.metrics.queries` (so they have passed confidentiality): a
team hidden in a wave shows the reason, never a number. The baseline is the team's last
closed wave on or before the action's day; follow-up waves are those opened after it
(`actions.follow_up_waves`). `actions_in_view` applies the same rule to the cells a results
view already holds, for the impact figure. Also small helpers the action pages share.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
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


@dataclass(frozen=True)
class ActionInView:
    """An action as the impact figure marks it: its team's cells (as shown, hidden ones
    without numbers) at the baseline wave and at each follow-up wave of the view."""

    on: date
    label: str  # "Action: <title>" (+ the program it enrolled the team in)
    group_label: str  # the team or clinic, as the cells name it
    baseline: queries.Cell | None
    follow_ups: tuple[queries.Cell, ...]

    @property
    def latest(self) -> queries.Cell | None:
        """The newest follow-up with a shown result."""
        shown = [c for c in self.follow_ups if not c.suppressed and c.mean is not None]
        return shown[-1] if shown else None

    @property
    def change(self) -> float | None:
        """Mean at the latest shown follow-up minus the baseline mean, when both are shown."""
        latest, base = self.latest, self.baseline
        if latest is None or base is None or base.suppressed or base.mean is None:
            return None
        return latest.mean - base.mean


def actions_in_view(cells: Sequence[queries.Cell],
                    actions: Iterable[tuple[date, str, Sequence[int]]]) -> list[ActionInView]:
    """The actions whose team has results in this view, oldest first, with the team's cells
    at its baseline (its last wave opened on or before the action's day) and follow-up waves
    (opened after it): the rule of `follow_up`, applied to the view's protected cells.

    `actions`: (day, label, team ids) as `actions.actions_for` gives them. An action whose team
    has no wave on either side in the view (a date filter, another instrument) is left out.
    Pure: no database.
    """
    found = []
    for on, label, team_ids in actions:
        key = next((c.group.key for c in cells if c.group.team_id in set(team_ids)), None)
        mine = sorted((c for c in cells if c.group.key == key),
                      key=lambda c: (c.wave_date, c.wave_id))
        before = [c for c in mine if c.wave_date <= on]
        after = tuple(c for c in mine if c.wave_date > on)
        if not before and not after:
            continue
        found.append(ActionInView(on, label, mine[0].group.label,
                                  before[-1] if before else None, after))
    return sorted(found, key=lambda a: (a.on, a.label))


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
