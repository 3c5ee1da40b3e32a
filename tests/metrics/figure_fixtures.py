"""Protected cells built in memory for the figure, stats and impact tests (no database).

`cell(group, wave, day, scores)` makes a shown `queries.Cell` from raw scores, computed with numpy
and scipy so that the cells are an independent reference for orgwell.metrics.stats;
`hidden(group, wave, day)` makes a suppressed one. `sample()` is a small practice over five
waves with one program, a hidden small team and a team that improved after the program: the
data every figure test and the browser screenshots draw.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from scipy import stats as sps

from orgwell.metrics.queries import Cell, CompletionCell, Group, ParticipationCell

REASON = "fewer than 5 responses"


def team(team_id: int, label: str) -> Group:
    return Group(key=f"team:{team_id}", label=label, kind="team", team_id=team_id)


ORG = Group(key="org", label="Riverside Physical Therapy", kind="organisation", team_id=None)


def cell(group: Group, wave_id: int, day: date, scores, cutoff: float = 50.0) -> Cell:
    """A shown cell from raw scores: mean, sd (ddof=1), t-based 95% CI, percent >= cutoff."""
    values = np.asarray(scores, dtype=float)
    n = len(values)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else None
    if n > 1:
        half = float(sps.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
        low, high = mean - half, mean + half
    else:
        low = high = None
    return Cell(
        group=group, wave_id=wave_id, wave_date=day, n=n, mean=mean, sd=sd, ci_low=low,
        ci_high=high, pct_high=float(100.0 * (values >= cutoff).mean()), suppressed=False,
        reason=None,
    )


def hidden(group: Group, wave_id: int, day: date, reason: str = REASON) -> Cell:
    return Cell(
        group=group, wave_id=wave_id, wave_date=day, n=None, mean=None, sd=None, ci_low=None,
        ci_high=None, pct_high=None, suppressed=True, reason=reason,
    )


@dataclass
class Sample:
    cells: list[Cell]
    cells_by_team: dict[int, list[Cell]]
    participation: list[ParticipationCell]
    completion: list[CompletionCell]
    enrolled: dict[int, date]
    enrollment_starts: list[tuple[date, str, list[int]]]
    actions: list[tuple[date, str]]
    scores: dict[tuple[int, int], np.ndarray]  # (team id, wave id) -> raw scores


WAVES = [date(2025, 1, 13), date(2025, 4, 14), date(2025, 7, 14), date(2025, 10, 13),
         date(2026, 1, 12)]
PROGRAM_START = date(2025, 5, 5)


def sample(seed: int = 7) -> Sample:
    """Three teams over five waves: North (enrolled, improves), South (not), Aquatics (tiny)."""
    rng = np.random.default_rng(seed)
    north, south, aquatic = (
        team(1, "Riverside North › Outpatient"), team(2, "Riverside South › Sports"),
        team(3, "Riverside North › Aquatics"),
    )
    cells: list[Cell] = []
    by_team: dict[int, list[Cell]] = {1: [], 2: [], 3: []}
    scores: dict[tuple[int, int], np.ndarray] = {}
    participation: list[ParticipationCell] = []
    for w, day in enumerate(WAVES, start=1):
        after = day > PROGRAM_START
        north_scores = _scores(rng, 12, 46.0 if after else 58.0)
        south_scores = _scores(rng, 9, 52.0 + w)
        scores[(1, w)], scores[(2, w)] = north_scores, south_scores
        org_scores = np.concatenate([north_scores, south_scores, _scores(rng, 3, 60)])
        wave_cells = [
            cell(ORG, w, day, org_scores), cell(north, w, day, north_scores),
            cell(south, w, day, south_scores) if w != 3 else hidden(
                south, w, day, "hidden so that a smaller group cannot be worked out"),
            hidden(aquatic, w, day),
        ]
        cells += wave_cells
        for c in wave_cells[1:]:
            by_team[c.group.team_id].append(c)
        for group, invited, responded in ((ORG, 30, len(org_scores)), (north, 14, 12),
                                          (south, 12, 9), (aquatic, 4, 3)):
            shown = group is not aquatic
            participation.append(ParticipationCell(
                group=group, wave_id=w, wave_date=day,
                invited=invited if shown else None, responded=responded if shown else None,
                rate=responded / invited if shown else None, suppressed=not shown,
                reason=None if shown else REASON,
            ))
    completion = []
    for week in range(12):
        start = PROGRAM_START + timedelta(weeks=week)
        released = 14 * min(week + 1, 6)
        completed = int(released * min(0.35 + 0.06 * week, 0.9))
        completion.append(CompletionCell(
            group=north, week_start=start, program_id=1, released=released,
            completed=completed, overdue=max(0, released - completed - 10),
            rate=completed / released,
        ))
    return Sample(
        cells=cells, cells_by_team=by_team, participation=participation, completion=completion,
        enrolled={1: PROGRAM_START},
        enrollment_starts=[(PROGRAM_START, "Resilience for PTs", [1])],
        actions=[(date(2025, 9, 1), "Rota review with the team")],
        scores=scores,
    )


def _scores(rng, n: int, centre: float) -> np.ndarray:
    """CBI-like scale scores: means of 7 items on 0/25/50/75/100, around `centre`."""
    items = np.clip(rng.normal(centre, 22, size=(n, 7)), 0, 100)
    return (np.round(items / 25) * 25).mean(axis=1)
