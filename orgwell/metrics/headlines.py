"""One plain sentence per figure, written from the protected cells the figure shows.

A slide or report section opens with what the figure says ("Work-related burnout at Riverside
North fell from 58 to 46 since the Resilience program began (12 respondents)"). Sentences are
built only from cells as shown (suppressed cells have no numbers), so a headline can never
say more than the figure. Pure functions: cells in, text out.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from orgwell.metrics.stats.summaries import wave_order

NO_DATA = "There are no survey results to show for this selection yet."


def shown(cells: Iterable[Any]) -> list[Any]:
    """The cells with numbers (not hidden), in the order given."""
    return [c for c in cells if not c.suppressed]


BREADTH = {"organisation": 0, "clinic": 1, "team": 2}


def focus_group_key(cells: Sequence[Any], preferred: str | None = None) -> str | None:
    """The group a headline speaks about: `preferred` if it has shown results, else the
    broadest group shown -- the organisation, else (a leader, who does not see it) a clinic,
    else a team -- the one with the most shown waves among equals, then by label."""
    visible = shown(cells)
    # Counted once (Counter), not per group: a year of waves holds thousands of cells.
    counts = Counter(c.group.key for c in visible)
    if preferred and preferred in counts:
        return preferred
    if not counts:
        return None
    groups = {c.group.key: c.group for c in visible}
    return min(groups, key=lambda key: (BREADTH.get(groups[key].kind, 3), -counts[key],
                                        groups[key].label, key))


def wave_name(cell: Any) -> str:
    """How a sentence names a cell's wave: "3 Mar 2024", with its campaign when another wave
    of the view opened that day (`Cell.wave_label`)."""
    return getattr(cell, "wave_label", "") or _day(cell.wave_date)


def enrolled_group_key(
    cells: Sequence[Any], starts: Iterable[tuple[date, str, list[int]]]
) -> str | None:
    """The group a program enrolled (a clinic or a team, as the cohort named it) that has shown
    results before and since its start: the latest such start wins. None when there is none
    (headlines then speak of the organisation)."""
    for began, _, team_ids in sorted(starts, key=lambda s: s[0], reverse=True):
        for team_id in team_ids:
            for key in (f"clinic:{team_id}", f"team:{team_id}"):
                series = _series(cells, key)
                if any(c.wave_date < began for c in series) and any(
                    c.wave_date >= began for c in series
                ):
                    return key
    return None


def _series(cells: Sequence[Any], key: str) -> list[Any]:
    return sorted((c for c in shown(cells) if c.group.key == key), key=wave_order)


def _day(on: date) -> str:
    return f"{on.day} {on:%b %Y}"


def _moved(before: float, after: float) -> str:
    if round(after) > round(before):
        return f"rose from {before:.0f} to {after:.0f}"
    if round(after) < round(before):
        return f"fell from {before:.0f} to {after:.0f}"
    return f"stayed at {after:.0f}"


def trend_headline(
    cells: Sequence[Any],
    *,
    scale_name: str,
    starts: Iterable[tuple[date, str, list[int]]] = (),
    preferred: str | None = None,
) -> str:
    """Figure 1: how the focus group's mean moved, since a program began where one did."""
    key = focus_group_key(cells, preferred)
    series = _series(cells, key) if key else []
    if not series:
        return NO_DATA
    latest = series[-1]
    label = latest.group.label
    if len(series) == 1:
        return (f"{scale_name} at {label} was {latest.mean:.0f} out of 100 in the survey of "
                f"{wave_name(latest)} ({latest.n} respondents).")
    program = _program_inside(series, starts, latest.group)
    if program is not None:
        name, began = program
        before = [c for c in series if c.wave_date < began][-1]
        return (f"{scale_name} at {label} {_moved(before.mean, latest.mean)} since the {name} "
                f"program began ({latest.n} respondents).")
    first = series[0]
    return (f"{scale_name} at {label} {_moved(first.mean, latest.mean)} between "
            f"{wave_name(first)} and {wave_name(latest)} ({latest.n} respondents).")


def _program_inside(series, starts, group) -> tuple[str, date] | None:
    """The latest program start for the group that lies between its first and latest wave."""
    found = None
    for began, name, team_ids in starts:
        applies = group.kind == "organisation" or (group.team_id in set(team_ids))
        if applies and series[0].wave_date < began <= series[-1].wave_date and (
            found is None or began > found[1]
        ):
            found = (name, began)
    return found


def share_headline(
    cells: Sequence[Any],
    *,
    cutoff: float | None,
    reference=None,
    preferred: str | None = None,
) -> str:
    """Figure 2 (+6): the share at or above the cut-off, beside the published reference."""
    key = focus_group_key([c for c in cells if c.pct_high is not None or c.suppressed],
                          preferred)
    series = [c for c in _series(cells, key) if c.pct_high is not None] if key else []
    if not series or cutoff is None:
        return NO_DATA if not series else "This scale has no cut-off to count people against."
    latest = series[-1]
    text = (f"{latest.pct_high:.0f}% of respondents at {latest.group.label} scored {cutoff:g} or "
            f"more in the survey of {wave_name(latest)}")
    if reference is not None:
        text += f", against {reference.value:.0f}% among {reference.population}"
    return text + "."


def participation_headline(
    participation_cells: Sequence[Any], completion_cells: Sequence[Any] = ()
) -> str:
    """Figure 3: the latest response rate and program completion of the focus group."""
    key = focus_group_key(participation_cells)
    rates = [c for c in _series(participation_cells, key) if c.rate is not None] if key else []
    parts = []
    if rates:
        latest = rates[-1]
        parts.append(f"{latest.rate * 100:.0f}% of the people invited at {latest.group.label} "
                     f"answered the survey of {wave_name(latest)}")
    completion = latest_completion(completion_cells)
    if completion is not None:
        week, rate, label = completion
        parts.append(f"{rate * 100:.0f}% of program modules released at {label} were completed "
                     f"by the week of {_day(week)}")
    if not parts:
        return "No survey or program participation to show for this selection yet."
    return "; ".join(parts) + "."


def latest_completion(cells: Sequence[Any]) -> tuple[date, float, str] | None:
    """(week, rate, label) of the organisation's (else the broadest group's) latest week."""
    rated = [c for c in cells if c.rate is not None]
    if not rated:
        return None
    best = min(rated, key=lambda c: (BREADTH.get(c.group.kind, 3), -c.week_start.toordinal(),
                                     c.group.label))
    same = [c for c in rated if c.group.key == best.group.key]
    latest = max(same, key=lambda c: c.week_start)
    return latest.week_start, latest.rate, latest.group.label


def heatmap_headline(cells: Sequence[Any], *, scale_name: str) -> str:
    """Figure 4: the highest shown group in the latest wave, and how many cells are hidden."""
    if not cells:
        return NO_DATA
    newest = max(cells, key=wave_order)
    latest = [c for c in shown(cells)
              if c.wave_id == newest.wave_id and c.group.kind != "organisation"]
    hidden = sum(1 for c in cells if c.suppressed)
    text = ""
    if latest:
        top = max(latest, key=lambda c: c.mean)
        text = (f"In the survey of {wave_name(newest)}, {top.group.label} had the highest "
                f"{scale_name.lower()} ({top.mean:.0f}).")
    if hidden:
        text += (f" {hidden} of {len(cells)} results are hidden to protect confidentiality "
                 "(grey cells).")
    return text.strip() or NO_DATA
