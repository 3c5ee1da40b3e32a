"""What a results view shows, assembled once for every surface that shows it.

The overview page, a team's page, presentation mode, the HTML report and the PNG/PDF export
all show the same panels (figure + headline) and summary: `build_results` reads PROTECTED
cells through `orgwell.metrics.queries` (never rollups or responses), hands them to the pure
figure builders and the headline writers, and returns plain data the templates render.

What a view derives from its waves -- the protected cells, the panels, the per-scale summaries,
the focus group -- is kept per process (`_VIEWS`): building the Plotly figures was most of a
results page, and the passes over a year of cells most of the rest (issue 6). The key holds
everything they are made from -- the decided waves (cached per rollups token in
wave_families.py, so a rebuild, a late answer or a team rename makes new ones), the filters,
the instrument's scales, the caller's scope, the focus team, and the program starts, actions
and completion read for this request -- so a kept view is exactly the one that would be built.
"""
from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import plotly.graph_objects as go
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import figures, headlines, queries, stats
from orgwell.metrics.action_results import actions_in_view
from orgwell.metrics.filters import Choices, ParsedFilters
from orgwell.metrics.queries import Filters
from orgwell.metrics.references import reference_for
from orgwell.orgs.models import Organisation, Team

PANEL_NAMES = ("exhaustion", "share-high", "participation", "heatmap", "impact")


@dataclass(frozen=True)
class Panel:
    """One figure as shown: on the page, on a slide, in the report and in the export.

    `figure` is the figure as a file draws it (PNG/PDF: it travels alone, so it may carry its
    headline as a caption); `page_figure`, when given, is the one pages and slides draw next
    to the headline text (`json`), so that no sentence is printed twice.
    """

    name: str
    title: str
    headline: str
    figure: go.Figure
    has_data: bool
    page_figure: go.Figure | None = None
    # Slides that must fit one screen: (name, title, headline, figure) drawn instead of this
    # panel in presentation mode and the report (None: the panel itself is the slide).
    slides: tuple | None = None

    @cached_property
    def json(self) -> str:
        # Once per panel: cached panels are shared by requests, and never changed.
        return figures.figure_json(self.page_figure or self.figure)


@dataclass(frozen=True)
class ScaleSummary:
    """A scale's latest shown result for the focus group and the change since the wave before."""

    key: str
    name: str
    cutoff: float | None
    latest: Any | None  # queries.Cell
    previous: Any | None

    @property
    def change(self) -> float | None:
        if self.latest is None or self.previous is None:
            return None
        return self.latest.mean - self.previous.mean


@dataclass(frozen=True)
class Results:
    org: Organisation
    k: int
    parsed: ParsedFilters
    choices: Choices
    scale_name: str
    cutoff: float | None
    cells: list
    participation_cells: list
    completion_cells: list
    panels: list[Panel]
    summaries: list[ScaleSummary]
    response: Any | None  # the focus group's latest ParticipationCell with a rate
    completion: tuple[date, float, str] | None
    focus_key: str | None
    focus_group: Any | None  # the group of focus_key, as the cells name it
    period: tuple[date, date] | None  # the first and last wave shown
    warnings: list[str] = field(default_factory=list)

    def panel(self, name: str) -> Panel | None:
        return next((p for p in self.panels if p.name == name), None)


def choices_for(org: Organisation, team_scope: set[int] | None) -> Choices:
    """What the filters offer this caller: the org's instruments and the teams in scope."""
    teams = db.session.scalars(select(Team).where(Team.organisation_id == org.id)).all()
    visible = [t for t in teams if team_scope is None or t.id in team_scope]
    return Choices(
        instruments=queries.available_instruments(org),
        teams=sorted(((t.id, t.label) for t in visible), key=lambda pair: pair[1].lower()),
    )


def build_results(
    org: Organisation,
    parsed: ParsedFilters,
    choices: Choices,
    *,
    team_scope: set[int] | None,
    focus_team_id: int | None = None,
    actions: list[tuple[date, str, list[int]]] | None = None,
) -> Results:
    """Every panel and summary of one results view (the caller's scope, the chosen filters)."""
    filters = parsed.filters
    scale_name, cutoff = parsed.scale_name(choices), parsed.cutoff(choices)
    # One read of the waves serves every scale, participation and the summaries.
    loaded = queries.load_waves(org, filters)
    wanted = _wanted_keys(filters.team_ids, team_scope)
    completion = [
        c for c in queries.completion_series(org, team_scope=team_scope)
        if _in_dates(c.week_start, filters) and (wanted is None or c.group.key in wanted)
    ]
    starts = [
        s for s in queries.enrollment_starts(org, team_scope=team_scope)
        if filters.team_ids is None or set(s[2]) & _with_parents(filters.team_ids)
    ]
    scales = tuple(choices.scales(filters.instrument))
    key = (
        tuple(loaded.families), filters, None if team_scope is None else frozenset(team_scope),
        scale_name, cutoff, scales, focus_team_id, _frozen(starts),
        _frozen(actions or []), tuple(completion),
    )
    view = _remembered(key, lambda: _view(
        loaded, filters, scales, team_scope, focus_team_id, completion, starts, actions or [],
        scale_name=scale_name, cutoff=cutoff,
    ))
    return Results(
        org=org, k=loaded.k, parsed=parsed, choices=choices, scale_name=scale_name,
        cutoff=cutoff, cells=view.cells, participation_cells=view.part_cells,
        completion_cells=completion, panels=list(view.panels), summaries=view.summaries,
        response=view.response, completion=headlines.latest_completion(completion),
        focus_key=view.focus, focus_group=view.focus_group, period=view.period,
        warnings=list(parsed.errors),
    )


@dataclass(frozen=True)
class _View:
    """What a results view derives from its waves: cells, panels, summaries, the focus."""

    cells: list
    part_cells: list
    panels: list[Panel]
    summaries: list[ScaleSummary]
    focus: str | None
    focus_group: Any | None
    response: Any | None
    period: tuple[date, date] | None


def _view(loaded, filters, scales, team_scope, focus_team_id, completion, starts, actions, *,
          scale_name: str, cutoff) -> _View:
    """Every derived part of a view (build_results' key names every input)."""
    cells = queries.burnout_cells(loaded, filters, team_scope=team_scope)
    part_cells = queries.participation_cells(loaded, filters, team_scope=team_scope)
    marks = [
        (on, label) for on, label, team_ids in actions
        if filters.team_ids is None or set(team_ids) & set(filters.team_ids)
    ]
    preferred = _key_of_team(cells, focus_team_id or _single_team_id(filters))
    focus = headlines.focus_group_key(cells, preferred)
    dates = [c.wave_date for c in cells]
    return _View(
        cells=cells,
        part_cells=part_cells,
        panels=_panels(cells, part_cells, completion, starts, marks, actions, filters,
                       scale_name=scale_name, cutoff=cutoff, preferred=preferred),
        summaries=_summaries(loaded, filters, scales, team_scope, preferred),
        focus=focus,
        focus_group=next((c.group for c in cells if c.group.key == focus), None),
        response=_latest_rate(part_cells, focus),
        period=(min(dates), max(dates)) if dates else None,
    )


# The newest views (module docstring): the five panels of a view of half a year of
# waves of a hundred teams, with their figures and JSON, are ~3 MB (more for a longer period);
# four views keep a web worker's cache in the tens of MB (a miss costs one cold build: 826 ms
# at 1M responses in bench/RESULTS.md, measured before the figures were built as dicts, which
# took the demo practice's cold view from 522 to 118 ms of CPU).
VIEW_CACHE_SIZE = 4
_VIEWS: OrderedDict[tuple, _View] = OrderedDict()
_VIEWS_LOCK = threading.Lock()


def _remembered(key: tuple, build: Callable[[], _View]) -> _View:
    with _VIEWS_LOCK:
        found = _VIEWS.get(key)
        if found is not None:
            _VIEWS.move_to_end(key)
            return found
    view = build()
    with _VIEWS_LOCK:
        _VIEWS[key] = view
        while len(_VIEWS) > VIEW_CACHE_SIZE:
            _VIEWS.popitem(last=False)
    return view


def _frozen(rows) -> tuple:
    """(day, label, team ids) rows as a hashable key."""
    return tuple((row[0], row[1], *(tuple(part) for part in row[2:])) for row in rows)


def _panels(cells, part_cells, completion, starts, marks, actions, filters, *,
            scale_name: str, cutoff, preferred) -> list[Panel]:
    """The five panels of a view: figures and headlines (build_results' key names every
    input)."""
    reference = reference_for(filters.instrument, filters.scale)
    # The lines of figures 1-3: few enough to read (the heatmap keeps every group).
    lines = _line_cells(cells, filters.team_ids)
    part_lines = _line_cells(part_cells, filters.team_ids)
    completion_lines = _line_cells(completion, filters.team_ids)
    story = preferred or headlines.enrolled_group_key(cells, starts)
    return [
        Panel(
            "exhaustion", f"{scale_name} over time",
            headlines.trend_headline(cells, scale_name=scale_name, starts=starts,
                                     preferred=story),
            figures.exhaustion_over_time(lines, cutoff=cutoff, scale_name=scale_name,
                                         enrollment_starts=starts, actions=marks),
            bool(headlines.shown(cells)),
        ),
        Panel(
            "share-high", "People at or above the cut-off",
            headlines.share_headline(cells, cutoff=cutoff, reference=reference,
                                     preferred=preferred),
            figures.share_high_over_time(lines, cutoff=cutoff, scale_name=scale_name,
                                         reference=reference),
            any(c.pct_high is not None for c in cells),
        ),
        Panel(
            "participation", "Taking part",
            headlines.participation_headline(part_cells, completion),
            figures.participation(part_lines, completion_lines),
            bool(headlines.shown(part_cells)) or bool(completion),
        ),
        Panel(
            "heatmap", "Teams and survey rounds at a glance",
            headlines.heatmap_headline(cells, scale_name=scale_name),
            figures.heatmap(cells, scale_name=scale_name, cutoff=cutoff),
            bool(headlines.shown(cells)),
        ),
        _impact_panel(cells, starts, scale_name, actions),
    ]


def _impact_panel(cells, starts, scale_name: str, actions) -> Panel:
    """Figure 5, with the actions whose team is in view (`actions`: (day, label, team ids))
    marked on a time axis beside what followed them, from the same protected cells."""
    cells_by_group, enrolled, unit = stats.comparison_groups(cells, starts)
    names = {name for began, name, _ in starts}
    impact = stats.impact(cells_by_group, enrolled, scale_name=scale_name.lower(), unit=unit)
    program_name = next(iter(names)) if len(names) == 1 else None
    followed = actions_in_view(cells, actions or [])
    has_data = impact.did.estimate is not None or bool(impact.teams) or bool(followed)
    return Panel(
        "impact", "Did the programs help?", impact.sentence,
        figures.program_impact(impact, program_name=program_name, scale_name=scale_name,
                               caption=True, actions=followed),
        has_data,
        page_figure=figures.program_impact(impact, program_name=program_name,
                                           scale_name=scale_name, actions=followed),
        slides=(
            ("impact", "Did the programs help?", impact.sentence,
             figures.program_impact(impact, program_name=program_name, scale_name=scale_name)),
            ("actions", "What changed after the actions", _follow_up_sentence(followed),
             figures.action_follow_up(followed, scale_name=scale_name)),
        ) if followed else None,
    )


def _follow_up_sentence(followed) -> str:
    """One sentence per action: its team's mean before it and at the latest follow-up."""
    parts = []
    for action in followed:
        latest, title = action.latest, action.label.removeprefix("Action: ")
        if action.change is not None and action.baseline is not None and latest is not None:
            parts.append(
                f"After \u201c{title}\u201d ({action.on:%-d %b %Y}), "
                f"{action.group_label.split(' › ')[-1]} went from {action.baseline.mean:.0f} to "
                f"{latest.mean:.0f} ({latest.n} respondents)."
            )
        else:
            parts.append(f"After \u201c{title}\u201d ({action.on:%-d %b %Y}), "
                         f"{action.group_label.split(' › ')[-1]} has no shown result to "
                         "compare yet.")
    return " ".join(parts)


def _line_cells(cells, team_ids) -> list:
    """The groups drawn as lines: the organisation and the clinics by default (eleven lines
    with bands cannot be read); every group of the view when the caller chose teams (a filter,
    or a clinic's or team's own page) or when the view has no clinic."""
    if team_ids or not any(c.group.kind == "clinic" for c in cells):
        return list(cells)  # (a leader of single teams has no clinic to draw)
    return [c for c in cells if c.group.kind in ("organisation", "clinic")]


def _summaries(loaded, chosen: Filters, scales, team_scope, preferred):
    """Latest result per scale of the chosen instrument, with the change since the wave before."""
    out = []
    for key, name, cutoff in scales:
        filters = dataclasses.replace(chosen, scale=key)
        cells = queries.burnout_cells(loaded, filters, team_scope=team_scope)
        focus = headlines.focus_group_key(cells, preferred)
        series = sorted((c for c in headlines.shown(cells) if c.group.key == focus),
                        key=headlines.wave_order)
        out.append(ScaleSummary(
            key, name, cutoff,
            series[-1] if series else None,
            series[-2] if len(series) > 1 else None,
        ))
    return out


def _latest_rate(part_cells, focus: str | None):
    """The focus group's latest response rate, else the broadest group's the caller sees."""
    rated = [c for c in part_cells if c.rate is not None]
    mine = [c for c in rated if c.group.key == focus]
    if not mine:
        broadest = headlines.focus_group_key(rated)
        mine = [c for c in rated if c.group.key == broadest]
    # The latest of one group's cells (not a sort of every group's: a year of waves of a
    # hundred teams is thousands of cells); the last of equals, as sorted()[-1] gave.
    return max(reversed(mine), key=headlines.wave_order) if mine else None


def _single_team_id(filters) -> int | None:
    if filters.team_ids and len(filters.team_ids) == 1:
        return next(iter(filters.team_ids))
    return None


def _key_of_team(cells, team_id: int | None) -> str | None:
    """The group key ("clinic:<id>" or "team:<id>") of a team, as the cells name it."""
    if team_id is None:
        return None
    return next((c.group.key for c in cells if c.group.team_id == team_id), None)


def _wanted_keys(team_ids, team_scope) -> set[str] | None:
    """Completion groups to keep: the organisation (when the caller sees it: queries leave it
    out for leaders) plus the chosen teams (None: all in scope)."""
    if not team_ids:
        return None
    return {"org"} | {f"team:{i}" for i in team_ids} | {f"clinic:{i}" for i in team_ids}


def _with_parents(team_ids) -> set[int]:
    ids = set(team_ids)
    parents = db.session.scalars(select(Team.parent_id).where(Team.id.in_(ids)))
    return ids | {p for p in parents if p is not None}


def _in_dates(day: date, filters) -> bool:
    return (filters.date_from is None or day >= filters.date_from) and (
        filters.date_to is None or day <= filters.date_to
    )
