"""Figure 5: program impact, per-group change, the difference-in-differences estimate, and the
actions taken on results with what followed them."""
from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from orgwell.metrics.figures.common import (
    GRID_COLOUR,
    PALETTE,
    REFERENCE_COLOUR,
    _add_empty_note,
    _add_hidden_points,
    _day,
    _fix_date_range,
    _mean_hover,
    _responses,
    _row_label,
    _style,
    _text,
    _translucent,
)
from orgwell.metrics.figures.draft import Draft, stacked
from orgwell.metrics.figures.markers import Marker, _add_markers, level_px, marker_levels

if TYPE_CHECKING:
    from orgwell.metrics.stats import Impact


CAPTION_CHARS = 120  # the exported image is 1100 px wide (exports.IMAGE_SIZE)
MAX_ACTIONS = 4  # the newest actions in view; more lines than this cannot be told apart
# Pixel heights of the panels and of the gap between two (axis title + next panel's title).
BAR_PX, DID_PX, ACTIONS_PX, GAP_PX = 40, 80, 250, 120
AXIS_PX = 72  # tick labels and axis title under a panel
# One colour per action line (vermillion first, as the action markers of figure 1).
ACTION_COLOURS = (PALETTE[5], PALETTE[3], PALETTE[4], PALETTE[2])


def program_impact(
    impact: Impact, *, program_name: str | None = None, scale_name: str = "Score",
    caption: bool = False, actions: Sequence[Any] = (),
) -> go.Figure:
    """Figure 5: per-group change from baseline to the latest wave, enrolled beside not
    enrolled, plus the difference-in-differences estimate with its 95% interval, and the
    actions taken on results: each on a time axis, its team's mean at the baseline wave and at
    every follow-up wave.

    The groups are teams or clinics (`impact.unit`). Without an estimate the figure has no
    difference panel, with a short note under it. `actions`: `action_results.ActionInView`s
    (protected cells: a hidden wave is a grey cross with its reason, never a number); the
    newest MAX_ACTIONS are drawn. `caption=True` writes the plain sentence under the figure,
    for files where the figure travels alone (PNG/PDF); pages print the sentence once, as text
    beside the figure.
    """
    unit, units = impact.unit, f"{impact.unit}s"
    program = f": {program_name}" if program_name else ""
    result = impact.did
    has_did = result.estimate is not None
    bars = len(impact.teams) + 2
    shown_actions = list(actions)[-MAX_ACTIONS:]
    panels = [("change", BAR_PX * bars, f"Change since baseline, per {unit}")]
    if has_did:
        panels.append(("did", DID_PX, "Enrolled minus not enrolled"))
    if shown_actions:
        panels.append(("actions", _actions_px(shown_actions), _actions_title(shown_actions)))
    gaps = len(panels) - 1
    plot_px = sum(px for _, px, _ in panels) + GAP_PX * gaps
    fig = Draft({"template": {}})
    stacked(fig, len(panels), row_heights=[px for _, px, _ in panels],
            vertical_spacing=GAP_PX / plot_px if gaps else 0,
            titles=[title for _, _, title in panels])
    caption_lines = (
        textwrap.wrap(html.escape(impact.sentence, quote=False), CAPTION_CHARS) if caption
        else []
    )
    note = None if has_did else f"Not enough data to compare enrolled with other {units}."
    # Under the last panel: its tick labels and axis title (AXIS_PX), then the notes.
    bottom = AXIS_PX + 4 + (28 if note else 0) + 18 * len(caption_lines)
    _style(fig, title=f"Program impact{program} ({scale_name})", height=plot_px + bottom)
    # The panels keep their pixel heights: add the title's margin, which _style just chose.
    fig.update_layout(height=plot_px + bottom + fig.layout["margin"]["t"])
    order = sorted(impact.teams, key=lambda t: (not t.enrolled, t.label))
    # Colour tells the arms apart, and so do the labels (colour is never the only cue).
    for enrolled, colour, suffix, pooled_label in (
        (True, PALETTE[0], "enrolled", f"All enrolled {units} (pooled)"),
        (False, PALETTE[1], "not enrolled", f"All {units} not enrolled (pooled)"),
    ):
        arm = [t for t in order if t.enrolled == enrolled]
        pooled = impact.enrolled if enrolled else impact.not_enrolled
        labels = [_row_label(f"{t.label} ({suffix})") for t in arm]
        changes = [t.change for t in arm]
        hover = [_team_change_hover(t) for t in arm]
        colours = [_translucent(colour, 0.55)] * len(arm)
        if pooled.change is not None:
            labels.append(_row_label(pooled_label))
            changes.append(pooled.change)
            hover.append(_pooled_hover(pooled, pooled_label, units))
            colours.append(colour)
        fig.add_trace(dict(type="bar",
            x=changes, y=labels, orientation="h", name=suffix.capitalize(), showlegend=False,
            marker={"color": colours, "line": {"color": colour, "width": 1.5}},
            hovertext=hover, hoverinfo="text",
            text=[f"{c:+.1f}" for c in changes], textposition="outside", cliponaxis=False,
        ), row=1, col=1)
    fig.update_yaxes(autorange="reversed", type="category", automargin=True, row=1, col=1)
    span = max([abs(t.change) for t in impact.teams] + [5.0])
    fig.update_xaxes(
        title={"text": "Change in mean score (points)"}, zeroline=True, zerolinecolor="#666666",
        range=[-span * 1.35, span * 1.35], gridcolor=GRID_COLOUR, row=1, col=1,
    )
    if has_did:
        _add_did(fig, result)
    if shown_actions:
        _add_actions(fig, shown_actions, row=len(panels), panel_px=panels[-1][1])
    if not impact.teams:
        _add_empty_note(fig, f"No {unit} has results before and after the program yet.",
                        xref="x domain", yref="y domain")
    notes = ([note] if note else []) + (["<br>".join(caption_lines)] if caption_lines else [])
    if notes:
        # Under the plot, measured from the bottom of the figure: never over the bars.
        fig.add_annotation(
            text="<br><br>".join(notes), xref="paper", x=0, xanchor="left", yref="paper",
            y=0, yanchor="top", yshift=-AXIS_PX, align="left", showarrow=False,
            font={"size": 12, "color": "#333333"},
        )
    fig.update_layout(margin={"b": bottom}, showlegend=False)
    return fig.figure()


def action_follow_up(actions: Sequence[Any], *, scale_name: str = "Score") -> go.Figure:
    """The actions panel of figure 5 on its own: for a slide, which must fit one screen (three
    stacked panels squeeze into each other at 768 px)."""
    shown_actions = list(actions)[-MAX_ACTIONS:]
    panel_px = _actions_px(shown_actions)
    fig = Draft({"template": {}})
    stacked(fig, 1, vertical_spacing=0.0)
    _style(fig, title=f"{_actions_title(shown_actions)} ({scale_name})",
           height=panel_px + AXIS_PX + 4)
    fig.update_layout(height=panel_px + AXIS_PX + 4 + fig.layout["margin"]["t"])
    _add_actions(fig, shown_actions, row=1, panel_px=panel_px)
    fig.update_layout(margin={"b": AXIS_PX + 4}, showlegend=False)
    return fig.figure()


def _add_did(fig: Draft, result) -> None:
    """The difference-in-differences estimate with its interval, in the lower panel."""
    has_interval = result.low is not None and result.high is not None
    fig.add_trace(dict(type="scatter",
        x=[result.estimate], y=[f"{result.confidence * 100:.0f}% interval"], mode="markers",
        marker={"size": 13, "color": REFERENCE_COLOUR, "symbol": "diamond"},
        error_x=(
            {"type": "data", "symmetric": False, "array": [result.high - result.estimate],
             "arrayminus": [result.estimate - result.low], "color": REFERENCE_COLOUR,
             "thickness": 2.5, "width": 8}
            if has_interval else None
        ),
        name=f"Difference ({result.confidence * 100:.0f}% interval)", showlegend=False,
        hovertext=[_did_hover(result)], hoverinfo="text",
    ), row=2, col=1)
    reach = max(abs(v) for v in (result.estimate, result.low or 0, result.high or 0, 5.0))
    fig.update_xaxes(
        range=[-reach * 1.25, reach * 1.25], title={"text": "Difference in change (points)"},
        zeroline=True, zerolinecolor="#666666", gridcolor=GRID_COLOUR, row=2, col=1,
    )
    fig.update_yaxes(automargin=True, row=2, col=1)


def _actions_title(actions: Sequence[Any]) -> str:
    if len(actions) == 1:
        return f"After the action: {_text(actions[0].group_label)}"
    return "After each action: its team's mean"


def _action_markers(actions: Sequence[Any]) -> list[Marker]:
    return [Marker(on=a.on, label=a.label, kind="action") for a in actions]


def _action_dates(actions: Sequence[Any]) -> list:
    return [a.on for a in actions] + [c.wave_date for a in actions for c in _action_cells(a)]


def _action_cells(action) -> list:
    return ([action.baseline] if action.baseline is not None else []) + list(action.follow_ups)


def _actions_px(actions: Sequence[Any]) -> int:
    """The panel's height: the data, plus a level of labels for every level beyond the first
    (levels counted on the unpadded range: at worst one level more room than needed)."""
    dates = _action_dates(actions)
    levels = marker_levels(_action_markers(actions), min(dates), max(dates))
    return ACTIONS_PX + level_px(dated=True) * max(levels - 1, 0)


def _add_actions(fig: Draft, actions: Sequence[Any], *, row: int, panel_px: int) -> None:
    """The actions panel: a dotted line per action on a time axis (its title and date), and
    a line through its team's mean at the baseline wave (a diamond) and each follow-up wave,
    the latest labelled with the change since the baseline. One colour per action."""
    axis = "" if row == 1 else str(row)
    first, last = _fix_date_range(fig, _action_dates(actions), row=row, col=1)
    markers = _action_markers(actions)
    colours = {m: ACTION_COLOURS[i % len(ACTION_COLOURS)] for i, m in enumerate(markers)}
    for index, (action, marker) in enumerate(zip(actions, markers, strict=True)):
        _add_action_line(fig, action, colours[marker], row=row, above=index % 2 == 1,
                         named=len(actions) > 1)
    levels = _add_markers(fig, markers, first, last, xref=f"x{axis}", yref=f"y{axis} domain",
                          dated=True, colours=colours)
    # Room above the data for the labels, which sit inside the top of the panel.
    label_share = min((level_px(dated=True) * max(levels, 1) + 12) / panel_px, 0.6)
    fig.update_yaxes(
        title={"text": "Mean (0-100)"}, range=[0, 100 / (1 - label_share)],
        tickvals=[0, 25, 50, 75, 100], gridcolor=GRID_COLOUR, zeroline=False,
        automargin=True, row=row, col=1,
    )
    fig.update_xaxes(type="date", tickformat="%b %Y", title={"text": "Survey wave"},
                     gridcolor=GRID_COLOUR, automargin=True, row=row, col=1)


def _add_action_line(fig: Draft, action, colour: str, *, row: int, above: bool = False,
                     named: bool = False) -> None:
    """One action's team: shown means joined by a line (a hidden wave breaks it and is drawn
    as a grey cross at the bottom, with its reason on hover). The baseline's and the latest
    mean are written beside their points (`above` the line for every other action, so that
    two teams with similar means stay legible); with several actions (`named`) only the
    latest, with the team's name and the baseline in it."""
    cells = _action_cells(action)
    if any(not c.suppressed and c.mean is not None for c in cells):
        latest, side = action.latest, "top" if above else "bottom"
        name = f"{_text(action.group_label.split(' › ')[-1])}: " if named else ""
        texts, places, hovers, symbols = [], [], [], []
        for cell in cells:
            is_base = cell is action.baseline
            # Text away from the panel's edges: the baseline's to the right, the latest's left.
            places.append(f"{side} right" if is_base else f"{side} left")
            if cell.suppressed or cell.mean is None:
                texts.append("")
            elif is_base:
                texts.append("" if named else f"{cell.mean:.0f} before")
            elif cell is latest:
                texts.append(name + _after_text(action, cell, with_baseline=named))
            else:
                texts.append("")
            when = "baseline, before the action" if is_base else "after the action"
            hovers.append(f"{_mean_hover(cell.group, cell)}<br>{when}")
            symbols.append("diamond" if is_base else "circle")
        fig.add_trace(dict(type="scatter",
            x=[c.wave_date for c in cells],
            y=[None if c.suppressed else c.mean for c in cells],
            mode="lines+markers+text", connectgaps=False, name=_text(action.group_label),
            line={"color": colour, "width": 2.5},
            marker={"color": colour, "size": [13 if s == "diamond" else 8 for s in symbols],
                    "symbol": symbols},
            text=texts, textposition=places, textfont={"size": 13, "color": colour},
            hovertext=hovers, hoverinfo="text", cliponaxis=False, showlegend=False,
        ), row=row, col=1)
    _add_hidden_points(fig, cells, y=4, row=row, col=1)


def _after_text(action, latest, *, with_baseline: bool) -> str:
    """"46 after (-12)"; "58 → 46 (-12)" when the baseline is not written at its own point."""
    change = action.change
    if change is None:
        return f"{latest.mean:.0f} after"
    if with_baseline:
        return f"{action.baseline.mean:.0f} → {latest.mean:.0f} ({change:+.0f})"
    return f"{latest.mean:.0f} after ({change:+.0f})"


def _team_change_hover(team) -> str:
    return (
        f"{_text(team.label)}<br>{_day(team.before_date)}: mean {team.before_mean:.1f} "
        f"({_responses(team.before_n)})<br>{_day(team.after_date)}: mean "
        f"{team.after_mean:.1f} ({_responses(team.after_n)})<br>Change {team.change:+.1f} points"
    )


def _pooled_hover(pooled, name: str, units: str = "teams") -> str:
    return (
        f"{name}, pooled ({pooled.teams} {units})<br>Before: mean {pooled.mean_before:.1f} "
        f"({_responses(pooled.n_before)})<br>Latest: mean {pooled.mean_after:.1f} "
        f"({_responses(pooled.n_after)})<br>Change {pooled.change:+.1f} points"
    )


def _did_hover(result) -> str:
    text = f"Difference in change: {result.estimate:+.1f} points"
    if result.low is not None and result.high is not None:
        text += (
            f"<br>{result.confidence * 100:.0f}% interval {result.low:+.1f} to {result.high:+.1f}"
        )
    return text + (
        f"<br>Enrolled: {result.n_treated_before} then {result.n_treated_after} responses"
        f"<br>Not enrolled: {result.n_control_before} then {result.n_control_after} responses"
    )
