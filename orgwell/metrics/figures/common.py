"""The house style shared by every figure: palette, layout, hover text, hidden cells, JSON.

Readability rules every builder follows: a title and axis titles with units, percent axes as %,
dates on x, the Okabe-Ito colour-blind-safe palette, the cut-off as a labelled dashed line,
95% intervals as translucent bands, hidden cells drawn in grey with the reason on hover,
legends below the plot area.
"""
from __future__ import annotations

import html
import json
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.utils import PlotlyJSONEncoder

from orgwell.metrics.figures.draft import Draft

if TYPE_CHECKING:
    from orgwell.metrics.references import Reference

# Okabe & Ito (2008) colour-blind-safe palette, black left out (kept for text and reference lines).
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow (last: weak on white)
)
HIDDEN_COLOUR = "#9E9E9E"
HIDDEN_FILL = "#D9D9D9"
REFERENCE_COLOUR = "#333333"
GRID_COLOUR = "#E5E5E5"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# Sequential, readable in colour-blind vision and in greyscale, and distinct from the grey of a
# hidden cell: light yellow (low) to dark red (high). Colorbrewer YlOrRd.
HEATMAP_SCALE = [
    [0.0, "#FFFFCC"], [0.25, "#FED976"], [0.5, "#FD8D3C"], [0.75, "#E31A1C"], [1.0, "#800026"],
]


def figure_json(fig: go.Figure) -> str:
    """The figure as compact, deterministic JSON for a `<script type="application/json">` block.

    `<`, `>` and `&` are escaped so that no label can end the script element.
    """
    text = json.dumps(
        fig.to_plotly_json(), cls=PlotlyJSONEncoder, separators=(",", ":"), sort_keys=True
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_config() -> dict:
    """plotly.js `config` shared by every page: responsive, a minimal mode bar, no plotly logo."""
    return {
        "responsive": True,
        "displaylogo": False,
        "displayModeBar": "hover",
        "scrollZoom": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "scale": 2},
    }

def _fix_date_range(fig: Draft, dates: list[date], *, row=None, col=None
                    ) -> tuple[date | None, date | None]:
    """An explicit date range around the data (returned): plotly.js would otherwise widen the
    axis to fit the marker labels' text (by years, on a phone)."""
    if not dates:
        return None, None
    first, last = min(dates), max(dates)
    pad = max((last - first) * 0.04, timedelta(days=12))
    fig.update_xaxes(range=[first - pad, last + pad], row=row, col=col)
    return first - pad, last + pad


def _figure(*, title: str, y_title: str, y_range=None, height: int = 480) -> Draft:
    """A single-panel time figure with the house style."""
    layout = _style_layout(title=title, height=height)
    layout["xaxis"] = {
        "type": "date", "tickformat": "%b %Y", "title": {"text": "Survey wave"},
        "gridcolor": GRID_COLOUR, "automargin": True,
    }
    layout["yaxis"] = {
        "title": {"text": y_title}, "range": y_range, "gridcolor": GRID_COLOUR,
        "zeroline": False, "automargin": True,
        "tickvals": [0, 20, 40, 60, 80, 100] if y_range else None,
    }
    return Draft(layout)


def _style(fig: Draft, *, title: str, height: int) -> None:
    """The house style: no plotly template (small JSON), readable fonts, legend below the plot."""
    fig.update_layout(**_style_layout(title=title, height=height))


def _style_layout(*, title: str, height: int) -> dict:
    """The layout properties of the house style (`_style`), as a dict."""
    title_lines = textwrap.wrap(_text(title), 36, break_on_hyphens=False) or [""]
    return dict(
        template={},
        # Wrapped by hand (plotly.js does not wrap) so that a title fits a phone; pinned to the
        # top so that labels of vertical markers and a subtitle have room under it.
        title={"text": "<br>".join(title_lines), "x": 0.01, "xanchor": "left",
               "yref": "container", "y": 1, "yanchor": "top",
               # plotly.js anchors a multi-line title by its first line: pad for the others.
               "pad": {"t": 12 + 20 * (len(title_lines) - 1)}, "font": {"size": 17}},
        font={"family": FONT, "size": 14, "color": "#222222"},
        autosize=True,
        height=height,
        paper_bgcolor="#FFFFFF",
        plot_bgcolor="#FFFFFF",
        hovermode="closest",
        hoverlabel={"font": {"family": FONT, "size": 13}},
        # Below everything, measured from the bottom of the figure, so that it never covers data
        # or the x axis title however tall the plot is.
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom",
                "x": 0, "xanchor": "left", "font": {"size": 13}},
        # The title's lines and a little air: the plot keeps the height (marker labels sit
        # inside the plot, not above it).
        margin={"l": 20, "r": 20, "t": 44 + 22 * len(title_lines), "b": 40},
    )


def _by_group(cells: Iterable[Any]) -> list[tuple[Any, list[Any]]]:
    """Cells grouped by group key in first-seen order, each group's cells by date."""
    groups: dict[str, tuple[Any, list[Any]]] = {}
    for cell in cells:
        groups.setdefault(cell.group.key, (cell.group, []))[1].append(cell)
    return [
        (group, sorted(series, key=lambda c: getattr(c, "wave_date", None) or c.week_start))
        for group, series in groups.values()
    ]


def _colours_by_group(cells: Iterable[Any]) -> dict[str, str]:
    keys = list(dict.fromkeys(c.group.key for c in cells))
    return {key: PALETTE[index % len(PALETTE)] for index, key in enumerate(keys)}


def _band(series: Sequence[Any]) -> tuple[list, list]:
    """Closed polygons (one per run of cells with an interval), separated by None gaps."""
    runs, run = [], []
    for cell in series:
        if not cell.suppressed and cell.ci_low is not None and cell.ci_high is not None:
            run.append(cell)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    xs, ys = [], []
    for run in runs:
        if xs:
            xs.append(None)
            ys.append(None)
        if len(run) == 1:  # one wave: a thin vertical bar, so the interval stays visible
            xs += [run[0].wave_date, run[0].wave_date]
            ys += [run[0].ci_low, run[0].ci_high]
            continue
        xs += [c.wave_date for c in run] + [c.wave_date for c in reversed(run)]
        ys += [min(c.ci_high, 100.0) for c in run]
        ys += [max(c.ci_low, 0.0) for c in reversed(run)]
    return xs, ys


def _add_hidden_points(fig, cells, *, y, row=None, col=None) -> None:
    hidden = [c for c in cells if c.suppressed]
    if not hidden:
        return
    fig.add_trace(dict(type="scatter",
        x=[c.wave_date for c in hidden], y=[y] * len(hidden), mode="markers",
        name="Hidden (too few responses)",
        marker={"symbol": "x-thin-open", "size": 11, "color": HIDDEN_COLOUR,
                "line": {"width": 2, "color": HIDDEN_COLOUR}},
        hovertext=[_hidden_hover(c.group, c) for c in hidden], hoverinfo="text",
    ), row=row, col=col)


def _add_cutoff(fig: Draft, cutoff: float, label: str) -> None:
    fig.add_shape(
        type="line", xref="paper", x0=0, x1=1, yref="y", y0=cutoff, y1=cutoff,
        line={"color": REFERENCE_COLOUR, "width": 1.5, "dash": "dash"}, layer="below",
    )
    fig.add_annotation(
        text=_text(label), xref="paper", x=1, xanchor="right", yref="y", y=cutoff,
        yanchor="bottom", showarrow=False, font={"size": 12, "color": REFERENCE_COLOUR},
        bgcolor="rgba(255,255,255,0.8)",
    )


def _add_reference(fig: Draft, reference: Reference, dates: list[date]) -> None:
    """Figure 6: the published share as a dashed line across the plotted waves, with its source."""
    hover = _text(f"{reference.label}. {reference.measure}.") + "<br>" + "<br>".join(
        textwrap.wrap(_text(reference.source), 70)
    )
    if dates:
        fig.add_trace(dict(type="scatter",
            x=[min(dates), max(dates)], y=[reference.value, reference.value], mode="lines",
            name=_text(reference.label),
            line={"color": REFERENCE_COLOUR, "width": 2, "dash": "dash"},
            hovertext=[hover, hover], hoverinfo="text", meta="reference",
        ))
    else:
        fig.add_shape(
            type="line", xref="paper", x0=0, x1=1, yref="y", y0=reference.value,
            y1=reference.value, line={"color": REFERENCE_COLOUR, "width": 2, "dash": "dash"},
        )
    fig.add_annotation(
        text="Published reference (dashed)",
        xref="paper", x=0, xanchor="left", yref="y", y=reference.value, yanchor="bottom",
        showarrow=False, font={"size": 12, "color": REFERENCE_COLOUR},
        bgcolor="rgba(255,255,255,0.8)",
    )


def _add_empty_note(fig, text: str, *, xref="paper", yref="paper") -> None:
    fig.add_annotation(
        text=_text(text), xref=xref, yref=yref, x=0.5, y=0.5, showarrow=False,
        font={"size": 14, "color": "#555555"},
    )


def _translucent(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _text(value: str) -> str:
    """Escape text for plotly's pseudo-HTML: a name with "<" must not become a tag."""
    return html.escape(str(value), quote=False)


def _row_label(label: str) -> str:
    """A category label broken into short lines (after " › ", then by words) to fit a phone."""
    parts = label.split(" › ")
    lines: list[str] = []
    for index, part in enumerate(parts):
        wrapped = textwrap.wrap(part, 20, break_on_hyphens=False) or [part]
        if index < len(parts) - 1:
            wrapped[-1] += " ›"
        lines += wrapped
    return "<br>".join(_text(line) for line in lines)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _responses(n: int | None) -> str:
    return "1 response" if n == 1 else f"{n} responses"


def _mean_hover(group, cell) -> str:
    if cell.suppressed:
        return _hidden_hover(group, cell)
    text = f"{_text(group.label)}<br>{_day(cell.wave_date)}: mean {cell.mean:.1f}"
    if cell.ci_low is not None and cell.ci_high is not None:
        text += f"<br>95% interval {cell.ci_low:.1f} to {cell.ci_high:.1f}"
    return text + f"<br>{_responses(cell.n)}"


def _share_hover(group, cell, line: str) -> str:
    if cell.suppressed:
        return _hidden_hover(group, cell)
    return (
        f"{_text(group.label)}<br>{_day(cell.wave_date)}: {cell.pct_high:.0f}% scored {line}"
        f"<br>{_responses(cell.n)}"
    )


def _hidden_hover(group, cell) -> str:
    day = getattr(cell, "wave_date", None)
    when = f"{_day(day)}: " if day else ""
    return f"{_text(group.label)}<br>{when}hidden ({_text(cell.reason or 'too few responses')})"


def _participation_hover(group, cell) -> str:
    if cell.suppressed:
        return _hidden_hover(group, cell)
    rate = "" if cell.rate is None else f" ({cell.rate:.0%})"
    return (
        f"{_text(group.label)}<br>{_day(cell.wave_date)}: {cell.responded} of {cell.invited} "
        f"answered{rate}"
    )


def _completion_hover(group, cell, label: str) -> str:
    rate = "" if cell.rate is None else f" ({cell.rate:.0%})"
    return (
        f"{label}<br>Week of {_day(cell.week_start)}: {cell.completed} of {cell.released} "
        f"modules completed{rate}, {cell.overdue} overdue"
    )
