"""A figure under construction, kept as plain dicts, made into a `go.Figure` once at the end.

Every `go.Figure.update_*`/`add_*` call re-validates and copies what it touches, and
`make_subplots` builds a figure of its own: built that way, a cold overview of the demo
practice took 522 ms of CPU, now 118 ms (bench/RESULTS.md, section 3). The builders write
their traces and layout into a `Draft` with the same calls and plotly's update rules (nested
dicts merge, None unsets), and plotly validates the whole figure once in `figure()`.
"""
from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

SUBPLOT_TITLE_FONT = {"size": 16}  # make_subplots' own


class Draft:
    """The data and layout of a figure, as plotly.js reads them."""

    def __init__(self, layout: dict | None = None):
        self.data: list[dict] = []
        self.layout: dict = merge({}, layout or {})

    def add_trace(self, trace: dict, row: int | None = None, col: int | None = None) -> None:
        """`trace`: a dict with its `type`; `row` (of `stacked`'s panels) sets its axes."""
        trace = merge({}, trace)
        if row is not None:
            trace["xaxis"], trace["yaxis"] = f"x{_suffix(row)}", f"y{_suffix(row)}"
        self.data.append(trace)

    def add_shape(self, **shape: Any) -> None:
        self.layout.setdefault("shapes", []).append(merge({}, shape))

    def add_annotation(self, **annotation: Any) -> None:
        self.layout.setdefault("annotations", []).append(merge({}, annotation))

    def update_layout(self, **props: Any) -> None:
        merge(self.layout, props)

    def update_xaxes(self, row: int | None = None, col: int | None = None, **props: Any) -> None:
        """Every x axis (row None), or the one of panel `row`, as go.Figure.update_xaxes."""
        self._update_axes("x", row, props)

    def update_yaxes(self, row: int | None = None, col: int | None = None, **props: Any) -> None:
        self._update_axes("y", row, props)

    def _update_axes(self, letter: str, row: int | None, props: dict) -> None:
        name = f"{letter}axis"
        if row is not None:
            names = [name + _suffix(row)]
        else:
            names = [key for key in self.layout
                     if key == name or (key.startswith(name) and key[5:].isdigit())] or [name]
        for axis in names:
            merge(self.layout.setdefault(axis, {}), props)

    def figure(self) -> go.Figure:
        return go.Figure({"data": self.data, "layout": self.layout})


def stacked(draft: Draft, rows: int, *, vertical_spacing: float,
            row_heights: list[float] | None = None, titles: list[str] | tuple = ()) -> None:
    """Panels one above the other, as `make_subplots(rows=rows, cols=1, ...)` lays them out
    (the same domains to the last digit, axes anchored in pairs, titles above the panels)."""
    vertical_spacing = float(vertical_spacing)
    if row_heights is None:
        heights = [(1.0 - vertical_spacing * (rows - 1)) / rows] * rows
    else:
        total = float(sum(row_heights))
        heights = [(1.0 - vertical_spacing * (rows - 1)) * (h / total) for h in row_heights]
        heights.reverse()  # make_subplots counts from the bottom
    for index in range(rows):  # top to bottom
        from_bottom = rows - 1 - index
        start = sum(heights[:from_bottom]) + from_bottom * vertical_spacing
        domain = [_clamped(start), _clamped(start + heights[-1 - index])]
        suffix = _suffix(index + 1)
        draft.layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [0.0, 1.0]}
        draft.layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": domain}
        if index < len(titles):
            draft.add_annotation(
                font=SUBPLOT_TITLE_FONT, showarrow=False, text=titles[index], x=0.5,
                xanchor="center", xref="paper", y=domain[1], yanchor="bottom", yref="paper",
            )


def merge(target: dict, props: dict) -> dict:
    """plotly's update rule: nested dicts merge, None removes, anything else replaces.
    Dicts are copied in, so that a caller's dict is never changed by a later update."""
    for key, value in props.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            found = target.get(key)
            target[key] = merge(found if isinstance(found, dict) else {}, value)
        else:
            target[key] = value
    return target


def _suffix(row: int) -> str:
    return "" if row == 1 else str(row)


def _clamped(value: float) -> float:
    """make_subplots' rounding of domains a hair outside 0..1."""
    if -0.01 < value < 0.0:
        return 0.0
    if 1.0 < value < 1.01:
        return 1.0
    return value
