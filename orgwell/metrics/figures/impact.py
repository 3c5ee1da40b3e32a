"""Figure 5: program impact, per-group change and the difference-in-differences estimate."""
from __future__ import annotations

import html
import textwrap
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orgwell.metrics.figures.common import (
    GRID_COLOUR,
    PALETTE,
    REFERENCE_COLOUR,
    _add_empty_note,
    _day,
    _responses,
    _row_label,
    _style,
    _text,
    _translucent,
)

if TYPE_CHECKING:
    from orgwell.metrics.stats import Impact


CAPTION_CHARS = 120  # the exported image is 1100 px wide (exports.IMAGE_SIZE)


def program_impact(
    impact: Impact, *, program_name: str | None = None, scale_name: str = "Score",
    caption: bool = False,
) -> go.Figure:
    """Figure 5: per-group change from baseline to the latest wave, enrolled beside not
    enrolled, plus the difference-in-differences estimate with its 95% interval.

    The groups are teams or clinics (`impact.unit`). Without an estimate the figure has the
    change panel only, with a short note under it. `caption=True` writes the plain sentence
    under the figure, for files where the figure travels alone (PNG/PDF); pages print the
    sentence once, as text beside the figure.
    """
    unit, units = impact.unit, f"{impact.unit}s"
    program = f": {program_name}" if program_name else ""
    result = impact.did
    has_did = result.estimate is not None
    bars = len(impact.teams) + 2
    rows = 2 if has_did else 1
    fig = make_subplots(
        rows=rows, cols=1, row_heights=[0.75, 0.25][:rows] if has_did else None,
        vertical_spacing=0.3,
        subplot_titles=(f"Change since baseline, per {unit}", "Enrolled minus not enrolled")
        [:rows],
    )
    caption_lines = (
        textwrap.wrap(html.escape(impact.sentence, quote=False), CAPTION_CHARS) if caption
        else []
    )
    note = None if has_did else f"Not enough data to compare enrolled with other {units}."
    bottom = 60 + (28 if note else 0) + 18 * len(caption_lines)
    _style(fig, title=f"Program impact{program} ({scale_name})",
           height=(230 if has_did else 150) + 52 * bars + bottom)
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
        fig.add_trace(go.Bar(
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
    if not impact.teams:
        _add_empty_note(fig, f"No {unit} has results before and after the program yet.",
                        xref="x domain", yref="y domain")
    notes = ([note] if note else []) + (["<br>".join(caption_lines)] if caption_lines else [])
    if notes:
        # Under the plot, measured from the bottom of the figure: never over the bars.
        fig.add_annotation(
            text="<br><br>".join(notes), xref="paper", x=0, xanchor="left", yref="paper",
            y=0, yanchor="top", yshift=-58, align="left", showarrow=False,
            font={"size": 12, "color": "#333333"},
        )
    fig.update_layout(margin={"b": bottom}, showlegend=False)
    return fig


def _add_did(fig: go.Figure, result) -> None:
    """The difference-in-differences estimate with its interval, in the lower panel."""
    has_interval = result.low is not None and result.high is not None
    fig.add_trace(go.Scatter(
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
