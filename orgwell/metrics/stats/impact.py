"""Program impact (figure 5): the change of enrolled groups against groups not enrolled.

`impact()` only ever sees PROTECTED cells (suppressed cells carry no numbers), so it cannot
reveal more than the pages already show.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from orgwell.metrics.stats.did import DiD, did
from orgwell.metrics.stats.summaries import Stats, mean_sd, pool, stats_from_summary, wave_order


@dataclass(frozen=True)
class TeamChange:
    """One team's change between its baseline wave and the latest wave (shown cells only)."""

    team_id: int
    label: str
    enrolled: bool
    enrolled_on: date | None
    before_date: date
    before_n: int
    before_mean: float
    before_sd: float | None
    after_date: date
    after_n: int
    after_mean: float
    after_sd: float | None

    @property
    def change(self) -> float:
        return self.after_mean - self.before_mean


@dataclass(frozen=True)
class PooledChange:
    """Teams of one arm (enrolled or not) pooled: respondents and means before and after."""

    teams: int
    n_before: int
    mean_before: float | None
    n_after: int
    mean_after: float | None

    @property
    def change(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return self.mean_after - self.mean_before


@dataclass(frozen=True)
class Impact:
    """Program impact, ready for figure 5 and a headline.

    `teams` lists every team that took part in the comparison; `excluded` names the others with
    the reason ((label, reason)); `sentence` says in plain words what the numbers can and cannot
    show.
    """

    teams: tuple[TeamChange, ...]
    enrolled: PooledChange
    not_enrolled: PooledChange
    did: DiD
    latest_wave: date | None
    baseline_before: date | None
    sentence: str
    excluded: tuple[tuple[str, str], ...] = field(default=())
    unit: str = "team"  # what the compared groups are: "team" or "clinic"


def impact(
    cells_by_team: Mapping[int, Sequence[Any]],
    enrolled: Mapping[int, date],
    *,
    scale_name: str = "the score",
    confidence: float = 0.95,
    unit: str = "team",
) -> Impact:
    """Compare the change in mean score of enrolled teams with teams not enrolled.

    `cells_by_team` maps team id -> that team's protected `queries.Cell`s (any order; suppressed
    cells are ignored, so nothing hidden enters the comparison). `enrolled` maps the enrolled team
    ids -> the date their enrollment started; every other team in `cells_by_team` is a comparison
    team. A team whose enrollment started AFTER the latest wave counts as not enrolled (it had
    no program yet when its latest result was taken). `unit` ("team" or "clinic") is what the
    groups are, for the sentence; `comparison_groups` picks the level and builds both mappings
    from a view's cells.

    Windows: the latest wave is the most recent among all cells (by date, then id). An enrolled team
    compares its last shown wave BEFORE its enrollment date with its shown cell at the latest wave
    (which must be on/after enrollment). Comparison teams compare their last shown wave before the
    earliest enrollment date of the included enrolled teams with their latest-wave cell, so that
    with one cohort both arms cover the same waves. Teams lacking either cell are listed in
    `excluded` with the reason. Both arms are pooled by sufficient statistics (n, mean, sd) and fed
    to `did()`.
    """
    shown = {
        team_id: sorted(
            (c for c in cells if not c.suppressed and c.n and c.mean is not None),
            key=wave_order,
        )
        for team_id, cells in cells_by_team.items()
    }
    labels = {
        team_id: (cells[0].group.label if cells else f"Team {team_id}")
        for team_id, cells in cells_by_team.items()
    }
    # The latest DATE: two campaigns' waves may open on one day, and a team surveyed in only
    # one of them still has a result then (at_latest takes its last wave of that day).
    all_dates = [c.wave_date for cells in cells_by_team.values() for c in cells]
    latest = max(all_dates) if all_dates else None
    excluded: list[tuple[str, str]] = []
    changes: list[TeamChange] = []
    enrolled = {t: day for t, day in enrolled.items() if latest is None or day <= latest}

    def at_latest(team_id):
        found = [c for c in shown[team_id] if c.wave_date == latest]
        return found[-1] if found else None

    def last_before(team_id, day):
        found = [c for c in shown[team_id] if c.wave_date < day]
        return found[-1] if found else None

    treated_ids = sorted(t for t in cells_by_team if t in enrolled)
    for team_id in treated_ids:
        start = enrolled[team_id]
        before, after = last_before(team_id, start), at_latest(team_id)
        if latest is None or latest < start:
            excluded.append((labels[team_id], "no survey wave since the program began"))
        elif before is None:
            excluded.append((labels[team_id], "no shown result before the program began"))
        elif after is None:
            excluded.append((labels[team_id], "latest result hidden or missing"))
        else:
            changes.append(_team_change(team_id, labels[team_id], start, before, after))
    included_starts = [c.enrolled_on for c in changes if c.enrolled_on is not None]
    baseline = min(included_starts) if included_starts else None
    for team_id in sorted(t for t in cells_by_team if t not in enrolled):
        if baseline is None:
            break
        before, after = last_before(team_id, baseline), at_latest(team_id)
        if before is None:
            excluded.append((labels[team_id], "no shown result before the program began"))
        elif after is None:
            excluded.append((labels[team_id], "latest result hidden or missing"))
        else:
            changes.append(_team_change(team_id, labels[team_id], None, before, after))

    treated = [c for c in changes if c.enrolled]
    control = [c for c in changes if not c.enrolled]
    before_t, after_t = _pooled(treated, "before"), _pooled(treated, "after")
    before_c, after_c = _pooled(control, "before"), _pooled(control, "after")
    result = did(before_t, after_t, before_c, after_c, confidence=confidence)
    enrolled_arm = _arm(treated, before_t, after_t)
    control_arm = _arm(control, before_c, after_c)
    return Impact(
        teams=tuple(changes),
        enrolled=enrolled_arm,
        not_enrolled=control_arm,
        did=result,
        latest_wave=latest,
        baseline_before=baseline,
        sentence=impact_sentence(enrolled_arm, control_arm, result, scale_name, unit=unit),
        excluded=tuple(excluded),
        unit=unit,
    )


def comparison_groups(
    cells: Sequence[Any], starts: Sequence[tuple[date, str, Sequence[int]]]
) -> tuple[dict[int, list[Any]], dict[int, date], str]:
    """Choose the groups `impact()` compares: (cells by group id, enrolled id -> start, unit).

    `cells`: the view's protected cells (organisation, clinics, teams); `starts`: cohort starts
    as (date, program name, enrolled team ids), an id being a clinic or a team.

    The rule: compare at the level the cohorts enrolled (clinics when any cohort enrolled a
    whole clinic, else teams), and fall back to the other level when the first has no group
    with shown results before and at the latest wave in BOTH arms; when neither level has both
    arms, the level with more usable enrolled groups wins (clinics on a tie when a clinic was
    enrolled). At the clinic level a clinic is enrolled when it, or any team in it, was enrolled
    (a clinic with one enrolled team cannot serve as a comparison); at the team level a team is
    enrolled when it or its clinic was (teams are the leaf groups: teams, and clinics without
    teams). The enrollment date is the earliest start that applies. Groups enrolled only after
    the latest wave count as not enrolled (see `impact`).
    """
    groups = {c.group.key: c.group for c in cells if c.group.team_id is not None}
    clinic_ids = {g.team_id for g in groups.values() if g.kind == "clinic"}
    parents = {g.parent_key for g in groups.values()}
    levels = {
        "clinic": [g for g in groups.values() if g.kind == "clinic"],
        "team": [g for key, g in groups.items() if key not in parents],
    }
    parent_of = {g.team_id: _parent_id(g.parent_key) for g in groups.values()}
    enrolls_clinic = any(set(ids) & clinic_ids for _, _, ids in starts)
    order = ["clinic", "team"] if enrolls_clinic else ["team", "clinic"]
    latest = max((c.wave_date for c in cells), default=None)
    options = []
    for unit in order:
        by_id = _cells_of(cells, levels[unit])
        enrolled = _enrolled_at(levels[unit], starts, unit, parent_of)
        usable = _usable(by_id, enrolled, latest)
        if usable[0] and usable[1]:
            return by_id, enrolled, unit
        options.append((usable[0], by_id, enrolled, unit))
    best = max(options, key=lambda option: option[0])  # max keeps the first on a tie
    return best[1], best[2], best[3]


def _cells_of(cells, groups) -> dict[int, list[Any]]:
    keys = {g.key for g in groups}
    by_id: dict[int, list[Any]] = {}
    for cell in cells:
        if cell.group.key in keys:
            by_id.setdefault(cell.group.team_id, []).append(cell)
    return by_id


def _enrolled_at(groups, starts, unit: str, parent_of: dict[int, int | None]) -> dict[int, date]:
    """Enrolled group id -> earliest start that applies to it at this level."""
    enrolled: dict[int, date] = {}
    for began, _, team_ids in starts:
        ids = set(team_ids)
        for group in groups:
            if unit == "team":  # the team itself or its clinic
                hit = group.team_id in ids or parent_of.get(group.team_id) in ids
            else:  # the clinic itself or any team in it
                hit = group.team_id in ids or any(parent_of.get(i) == group.team_id for i in ids)
            if hit:
                enrolled[group.team_id] = min(began, enrolled.get(group.team_id, began))
    return enrolled


def _usable(by_id, enrolled, latest) -> tuple[int, int]:
    """(enrolled groups, other groups) with a shown result at the latest wave and one before
    the (earliest) start."""
    live = {t: d for t, d in enrolled.items() if latest is not None and d <= latest}
    first = min(live.values(), default=None)
    treated = control = 0
    for team_id, cells in by_id.items():
        shown = [c for c in cells if not c.suppressed and c.mean is not None]
        start = live.get(team_id, first)
        if start is None or not any(c.wave_date == latest for c in shown):
            continue
        if any(c.wave_date < start for c in shown):
            if team_id in live:
                treated += 1
            else:
                control += 1
    return treated, control


def _parent_id(parent_key: str | None) -> int | None:
    if parent_key and parent_key.startswith("clinic:"):
        return int(parent_key.split(":", 1)[1])
    return None


def _team_change(team_id, label, enrolled_on, before, after) -> TeamChange:
    return TeamChange(
        team_id=team_id, label=label, enrolled=enrolled_on is not None, enrolled_on=enrolled_on,
        before_date=before.wave_date, before_n=before.n, before_mean=before.mean,
        before_sd=before.sd,
        after_date=after.wave_date, after_n=after.n, after_mean=after.mean, after_sd=after.sd,
    )


def _pooled(changes: Sequence[TeamChange], when: str) -> Stats:
    return pool(
        stats_from_summary(
            getattr(c, f"{when}_n"), getattr(c, f"{when}_mean"), getattr(c, f"{when}_sd")
        )
        for c in changes
    )


def _arm(changes: Sequence[TeamChange], before: Stats, after: Stats) -> PooledChange:
    return PooledChange(
        teams=len(changes),
        n_before=before[0], mean_before=mean_sd(*before)[0],
        n_after=after[0], mean_after=mean_sd(*after)[0],
    )


def _people(n: int) -> str:
    return f"{n} response" if n == 1 else f"{n} responses"


def impact_sentence(treated: PooledChange, control: PooledChange, result: DiD, scale: str,
                    *, unit: str = "team") -> str:
    """Plain words on what the comparison shows, with its n's, and what it cannot show."""
    units = f"{unit}s"
    caveat = (
        f"This is an observation, not proof that the program caused the change: {units} were "
        "not chosen at random, and other things changed at the same time."
    )
    if treated.change is None:
        return (
            f"There is not enough data yet to compare: enrolled {units} need a shown result "
            "before the program began and one at the latest wave. " + caveat
        )
    groups = (f"the enrolled {unit}" if treated.teams == 1
              else f"the {treated.teams} enrolled {units}")
    text = (
        f"In {groups}, {scale} went from {treated.mean_before:.0f} "
        f"({_people(treated.n_before)}) to {treated.mean_after:.0f} "
        f"({_people(treated.n_after)}), a change of {treated.change:+.1f} points."
    )
    if control.change is None or result.estimate is None:
        return (text + f" No {unit} outside the program has shown results to compare with. "
                + caveat)
    groups = f"the {unit}" if control.teams == 1 else f"the {control.teams} {units}"
    text += (
        f" In {groups} not enrolled it changed by {control.change:+.1f} "
        f"({_people(control.n_before)} before, {_people(control.n_after)} after)."
    )
    if result.low is not None and result.high is not None:
        level = f"{result.confidence * 100:.0f}%"
        text += (
            f" The difference is {result.estimate:+.1f} points ({level} interval "
            f"{result.low:+.1f} to {result.high:+.1f})"
        )
        if result.low <= 0 <= result.high:
            text += ", which includes no difference at all."
        else:
            text += "."
    else:
        text += (
            f" The difference is {result.estimate:+.1f} points "
            "(too few answers for an interval)."
        )
    return text + " " + caveat
