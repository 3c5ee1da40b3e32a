"""Figure 4: every group x every wave, coloured by mean score, hidden cells in grey."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from orgwell.metrics.figures.common import (
    HEATMAP_SCALE,
    HIDDEN_FILL,
    _add_empty_note,
    _by_group,
    _day,
    _figure,
    _hidden_hover,
    _row_label,
    _text,
)

HIDDEN_MARK = "–"


def heatmap(cells: Sequence[Any], *, scale_name: str, cutoff: float | None = None) -> go.Figure:
    """Figure 4: groups (rows) x waves (columns), coloured by mean score.

    Hidden cells are drawn in grey with a dash (a word does not fit eighteen columns) and the
    reason on hover; a note above the grid says what grey means. Each shown cell
    carries its mean as text and n on hover. `cutoff`, when given, is marked on the colour bar.
    Columns are waves (by id), labelled by `wave_label` when the cells carry one.
    """
    groups = [group for group, _ in _by_group(cells)]
    # One column per wave (by id: two campaigns may open waves on the same day), oldest first,
    # labelled so that such waves can be told apart (queries' wave_label).
    waves = {c.wave_id: c for c in sorted(cells, key=lambda c: (c.wave_date, c.wave_id))}
    columns = [_text(getattr(c, "wave_label", "") or _day(c.wave_date)) for c in waves.values()]
    # Rows are named by the full label (hover says it on one line); the axis shows it wrapped.
    rows = [_text(g.label) for g in groups]
    where = {(c.group.key, c.wave_id): c for c in cells}
    shown_z, shown_numbers = [], []
    hidden_z, hidden_text, hidden_hover = [], [], []
    for group in groups:
        line = [where.get((group.key, wave_id)) for wave_id in waves]
        shown = [c if c is not None and not c.suppressed else None for c in line]
        shown_z.append([_one_place(c.mean) if c else None for c in shown])
        shown_numbers.append([[c.n, _one_place(c.ci_low), _one_place(c.ci_high)] if c else None
                              for c in shown])
        hidden_z.append([0 if c is not None and c.suppressed else None for c in line])
        hidden_text.append([HIDDEN_MARK if c is not None and c.suppressed else "" for c in line])
        hidden_hover.append([
            _hidden_hover(group, c) if c is not None and c.suppressed else "" for c in line
        ])
    height = max(320, 150 + 44 * len(groups))
    fig = _figure(title=f"{scale_name}: mean score by group and wave", y_title="", height=height)
    fig.update_xaxes(type="category", title={"text": "Survey wave"}, showgrid=False)
    fig.update_yaxes(type="category", autorange="reversed", showgrid=False, title=None,
                     tickmode="array", tickvals=rows,
                     ticktext=[_row_label(g.label) for g in groups])
    ticks = sorted({0, 25, 50, 75, 100} | ({cutoff} if cutoff is not None else set()))
    fig.add_trace(dict(type="heatmap",
        x=columns, y=rows, z=shown_z, zmin=0, zmax=100, colorscale=HEATMAP_SCALE,
        texttemplate="%{z:.0f}", customdata=shown_numbers,
        hovertemplate=_shown_hover(c for line in shown_numbers for c in line if c),
        hoverongaps=False, xgap=3, ygap=3, name="Mean score",
        colorbar={
            "title": {"text": "Mean (0-100)", "side": "right"}, "tickvals": ticks,
            "ticktext": [f"{t:g} cut-off" if t == cutoff else f"{t:g}" for t in ticks],
            "thickness": 14,
        },
    ))
    fig.add_trace(dict(type="heatmap",
        x=columns, y=rows, z=hidden_z, zmin=0, zmax=1, showscale=False,
        colorscale=[[0.0, HIDDEN_FILL], [1.0, HIDDEN_FILL]],
        text=hidden_text, texttemplate="%{text}", textfont={"color": "#333333"},
        hovertext=hidden_hover, hoverinfo="text", hoverongaps=False, xgap=3, ygap=3,
        name="Hidden",
    ))
    fig.update_layout(margin={"l": 20, "r": 20, "t": 70, "b": 60})
    if any(c.suppressed for c in cells):
        fig.add_annotation(
            text=f"Grey {HIDDEN_MARK} = hidden to protect confidentiality (hover for why)",
            xref="paper", yref="paper", x=1, y=1, xanchor="right", yanchor="bottom",
            showarrow=False, font={"size": 12, "color": "#555555"},
        )
    if not cells:
        _add_empty_note(fig, "No survey results to show yet.")
    return fig.figure()


def _one_place(value: float | None) -> float | None:
    """A mean or bound to the one decimal the hover shows: the JSON of a year of weekly waves
    of a hundred teams stays small (a page embeds it)."""
    return None if value is None else round(value, 1)


def _shown_hover(numbers) -> str:
    """One hover template for every shown cell, as figures.common's mean hover words it: the
    group, the wave, the mean, its 95% interval when every cell has one, and n. The cells carry
    only [n, low, high] (customdata): the words are not repeated thousands of times."""
    with_interval = all(low is not None and high is not None for _, low, high in numbers)
    interval = ("<br>95% interval %{customdata[1]:.1f} to %{customdata[2]:.1f}"
                if with_interval else "")
    return ("%{y}<br>%{x}: mean %{z:.1f}" + interval + "<br>%{customdata[0]} responses"
            "<extra></extra>")
