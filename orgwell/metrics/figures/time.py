"""Figures over time: mean score (1), share at or above the cut-off (2, 6), participation (3)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from orgwell.metrics.figures.common import (
    GRID_COLOUR,
    HIDDEN_COLOUR,
    PALETTE,
    _add_cutoff,
    _add_empty_note,
    _add_hidden_points,
    _add_reference,
    _band,
    _by_group,
    _colours_by_group,
    _completion_hover,
    _day,
    _figure,
    _fix_date_range,
    _mean_hover,
    _participation_hover,
    _share_hover,
    _style,
    _text,
    _translucent,
)
from orgwell.metrics.figures.draft import Draft, stacked
from orgwell.metrics.figures.markers import _add_markers, _marker

if TYPE_CHECKING:
    from orgwell.metrics.references import Reference


def exhaustion_over_time(
    cells: Sequence[Any],
    *,
    cutoff: float | None,
    scale_name: str,
    enrollment_starts: Iterable[Any] = (),
    actions: Iterable[Any] = (),
) -> go.Figure:
    """Figure 1: mean score per group over time with its 95% confidence band.

    `cells`: `queries.Cell`s of any groups and waves; one line per group (in first-seen order),
    hidden cells leave a gap and appear as grey "hidden" points whose hover gives the reason.
    `cutoff`: drawn as a labelled dashed horizontal line (None: no line).
    `enrollment_starts`: `(date, program name, team ids)` tuples (queries.enrollment_starts) or
    `Marker`s; `actions`: `(date, label)` tuples or `Marker`s. Each is a labelled vertical line.
    """
    fig = _figure(
        title=f"{scale_name} over time",
        y_title="Mean score (0-100)",
        y_range=[0, 105],
    )
    for index, (group, series) in enumerate(_by_group(cells)):
        colour = PALETTE[index % len(PALETTE)]
        dates = [c.wave_date for c in series]
        band_x, band_y = _band(series)
        if band_x:
            fig.add_trace(dict(type="scatter",
                x=band_x, y=band_y, fill="toself", fillcolor=_translucent(colour, 0.18),
                line={"width": 0}, mode="lines", hoverinfo="skip", showlegend=False,
                legendgroup=group.key, name=f"{_text(group.label)}: 95% interval",
            ))
        fig.add_trace(dict(type="scatter",
            x=dates, y=[None if c.suppressed else c.mean for c in series],
            mode="lines+markers", name=_text(group.label), legendgroup=group.key,
            line={"color": colour, "width": 2.5}, marker={"size": 8, "color": colour},
            hovertext=[_named(_mean_hover(group, c), c) for c in series], hoverinfo="text",
            connectgaps=False,
        ))
    _add_hidden_points(fig, cells, y=2)
    if cutoff is not None:
        _add_cutoff(fig, cutoff, f"Cut-off {cutoff:g}: high {scale_name.lower()}")
    markers = [_marker(m, "program") for m in enrollment_starts]
    markers += [_marker(m, "action") for m in actions]
    first, last = _fix_date_range(fig, [c.wave_date for c in cells] + [m.on for m in markers])
    levels = _add_markers(fig, markers, first, last)
    if levels:  # room above 100 for the marker labels, so that they do not cover data
        fig.update_yaxes(range=[0, 105 + 12 * levels])
    if not cells:
        _add_empty_note(fig, "No survey results to show yet.")
    return fig.figure()


def share_high_over_time(
    cells: Sequence[Any],
    *,
    cutoff: float | None,
    scale_name: str,
    reference: Reference | None = None,
) -> go.Figure:
    """Figure 2 (+6): percent of respondents at or above the cut-off per group over time.

    `reference` (from `references.reference_for`) adds a dashed horizontal line labelled with its
    population and source (figure 6). The y axis is 0-100%.
    """
    line = f"{cutoff:g} or more" if cutoff is not None else "above the cut-off"
    fig = _figure(
        title=f"{scale_name}: share of respondents scoring {line}",
        y_title=f"Scoring {cutoff:g}+ (%)" if cutoff is not None else "High scores (%)",
        y_range=[0, 105],
    )
    fig.update_yaxes(ticksuffix="%", ticktext=[f"{v}%" for v in fig.layout["yaxis"]["tickvals"]])
    for index, (group, series) in enumerate(_by_group(cells)):
        colour = PALETTE[index % len(PALETTE)]
        fig.add_trace(dict(type="scatter",
            x=[c.wave_date for c in series],
            y=[None if c.suppressed else c.pct_high for c in series],
            mode="lines+markers", name=_text(group.label), legendgroup=group.key,
            line={"color": colour, "width": 2.5}, marker={"size": 8, "color": colour},
            hovertext=[_named(_share_hover(group, c, line), c) for c in series],
            hoverinfo="text",
            connectgaps=False,
        ))
    _add_hidden_points(fig, cells, y=2)
    if reference is not None:
        _add_reference(fig, reference, [c.wave_date for c in cells])
    _fix_date_range(fig, [c.wave_date for c in cells])
    if not cells:
        _add_empty_note(fig, "No survey results to show yet.")
    return fig.figure()


def participation(
    participation_cells: Sequence[Any],
    completion_cells: Sequence[Any] = (),
    *,
    program_names: Mapping[int, str] | None = None,
) -> go.Figure:
    """Figure 3: survey response rate per wave (top) and module completion rate per week (bottom).

    Both panels in percent per group, a group keeping its colour in both; hidden participation
    cells and hidden completion weeks (too few people) show as grey points with the reason on
    hover. `program_names` (program id -> name)
    labels completion lines when more than one program is shown. Without completion cells the
    figure is the response panel alone, with a note that no program modules were released (an
    empty date axis would otherwise run from 1970 and squeeze the survey points).
    """
    rows = 2 if completion_cells else 1
    fig = Draft({"template": {}})
    stacked(fig, rows, vertical_spacing=0.2,
            titles=("Survey response rate per wave", "Program modules completed, per week"))
    _style(fig, title="Participation", height=720 if rows == 2 else 460)
    fig.update_yaxes(
        range=[0, 1.05], tickformat=".0%", gridcolor=GRID_COLOUR, zeroline=False,
        automargin=True,
    )
    fig.update_yaxes(title={"text": "Answered (% invited)"}, row=1, col=1)
    fig.update_xaxes(type="date", gridcolor=GRID_COLOUR, automargin=True)
    fig.update_xaxes(title={"text": "Survey wave"}, tickformat="%b %Y", row=1, col=1)
    _fix_date_range(fig, [c.wave_date for c in participation_cells], row=1, col=1)
    if rows == 2:
        fig.update_yaxes(title={"text": "Done (% released)"}, row=2, col=1)
        fig.update_xaxes(title={"text": "Week starting"}, tickformat="%-d %b", row=2, col=1)
        _fix_date_range(fig, [c.week_start for c in completion_cells], row=2, col=1)
    colours = _colours_by_group(list(participation_cells) + list(completion_cells))
    seen: set[str] = set()
    for group, series in _by_group(participation_cells):
        fig.add_trace(dict(type="scatter",
            x=[c.wave_date for c in series],
            y=[None if c.suppressed else c.rate for c in series],
            mode="lines+markers", name=_text(group.label), legendgroup=group.key,
            line={"color": colours[group.key], "width": 2.5},
            marker={"size": 8, "color": colours[group.key]},
            hovertext=[_named(_participation_hover(group, c), c) for c in series],
            hoverinfo="text",
            connectgaps=False,
        ), row=1, col=1)
        seen.add(group.key)
    _add_hidden_points(fig, participation_cells, y=0.02, row=1, col=1)
    programs = sorted({c.program_id for c in completion_cells})
    names = dict(program_names or {})
    for group, series in _by_group(completion_cells):
        for program_id in programs:
            weeks = sorted(
                (c for c in series if c.program_id == program_id), key=lambda c: c.week_start
            )
            if not weeks:
                continue
            label = _text(group.label)
            if len(programs) > 1:
                label += " · " + _text(names.get(program_id, f"program {program_id}"))
            fig.add_trace(dict(type="scatter",
                x=[c.week_start for c in weeks],
                y=[None if _hidden(c) else c.rate for c in weeks],
                mode="lines+markers", name=label, legendgroup=group.key,
                showlegend=group.key not in seen or len(programs) > 1,
                line={"color": colours[group.key], "width": 2,
                      "dash": ("solid", "dot", "dash", "dashdot")[programs.index(program_id) % 4]},
                marker={"size": 6, "color": colours[group.key]},
                hovertext=[_week_hover(group, c, label) for c in weeks], hoverinfo="text",
                connectgaps=False,
            ), row=2, col=1)
            seen.add(group.key)
    _add_hidden_weeks(fig, completion_cells)
    if not participation_cells:
        _add_empty_note(fig, "No survey waves yet.", xref="x domain", yref="y domain")
    if not completion_cells:
        fig.add_annotation(
            text="No program modules released yet.", xref="paper", x=1, xanchor="right",
            yref="paper", y=1, yanchor="bottom", yshift=24, showarrow=False,
            font={"size": 12, "color": "#555555"},
        )
    return fig.figure()


def _named(text: str, cell: Any) -> str:
    """Hover text naming the cell's wave by its label when it has one (two waves of one day
    differ by their campaign: queries' `wave_label`), else by its date."""
    label = getattr(cell, "wave_label", "")
    return text.replace(_day(cell.wave_date), _text(label), 1) if label else text


def _hidden(cell: Any) -> bool:
    return bool(getattr(cell, "suppressed", False))


def _week_hover(group, cell, label: str) -> str:
    if _hidden(cell):
        return (f"{label}<br>Week of {_day(cell.week_start)}: hidden "
                f"({_text(cell.reason or 'too few people')})")
    return _completion_hover(group, cell, label)


def _add_hidden_weeks(fig: Draft, cells: Sequence[Any]) -> None:
    """Hidden completion weeks as grey points with the reason, like hidden survey cells."""
    hidden = [c for c in cells if _hidden(c)]
    if not hidden:
        return
    fig.add_trace(dict(type="scatter",
        x=[c.week_start for c in hidden], y=[0.02] * len(hidden), mode="markers",
        name="Hidden (too few people)",
        marker={"symbol": "x-thin-open", "size": 11, "color": HIDDEN_COLOUR,
                "line": {"width": 2, "color": HIDDEN_COLOUR}},
        hovertext=[_week_hover(c.group, c, _text(c.group.label)) for c in hidden],
        hoverinfo="text",
    ), row=2, col=1)
