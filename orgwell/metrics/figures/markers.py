"""Labelled vertical markers on a time axis: program starts and actions (figures 1 and 5)."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date
from typing import Any

from orgwell.metrics.figures.common import PALETTE, _text
from orgwell.metrics.figures.draft import Draft


@dataclass(frozen=True)
class Marker:
    """A labelled vertical marker on a time axis: a program start or an action."""

    on: date
    label: str
    kind: str = "program"  # "program" | "action"


LABEL_CHARS = 40  # a marker's label is cut to this (with an ellipsis); hover has it all
LINE_CHARS = 24  # ... and broken into lines this long, so that it fits beside a line on a phone
LABEL_SPAN = 0.3  # share of the axis a label takes, to decide which labels would overlap
LEVEL_PX = 32  # vertical step between staggered labels (two lines of 11px text)
MAX_LEVELS = 3


def _marker(item: Any, kind: str) -> Marker:
    if isinstance(item, Marker):
        return item
    on, label = item[0], str(item[1])
    if kind == "program":
        label = f"{label} starts"
    return Marker(on=on, label=label, kind=kind)


def short_label(marker: Marker) -> tuple[str, str]:
    """(short text, full text) of a marker: "Program: X starts" / "Action: X", the short one
    cut to LABEL_CHARS with an ellipsis and broken into lines (plotly.js does not wrap)."""
    prefix = "Program: " if marker.kind == "program" else "Action: "
    body = marker.label
    if body.lower().startswith(prefix.lower()):  # callers may already say what it is
        body = body[len(prefix):]
    full = prefix + body
    short = full if len(full) <= LABEL_CHARS else full[:LABEL_CHARS - 1].rstrip() + "…"
    lines = textwrap.wrap(short, LINE_CHARS, break_on_hyphens=False) or [short]
    return "<br>".join(_text(line) for line in lines), _text(full)


def _levels(positions: list[float]) -> list[tuple[int, bool]]:
    """(level, text to the right?) per marker, markers sorted by date, positions 0..1 on the axis.

    A label goes on the side with more room (right of its line in the left half of the axis,
    left of it in the right half), and one level further down when it would overlap a label
    already placed on a level."""
    placed: list[list[tuple[float, float]]] = [[] for _ in range(MAX_LEVELS)]
    out = []
    for index, at in enumerate(positions):
        right = at <= 0.5
        span = (at, at + LABEL_SPAN) if right else (at - LABEL_SPAN, at)
        level = next(
            (lvl for lvl, spans in enumerate(placed)
             if all(span[1] <= a or span[0] >= b for a, b in spans)),
            index % MAX_LEVELS,
        )
        placed[level].append(span)
        out.append((level, right))
    return out


def marker_levels(markers: list[Marker], first: date | None, last: date | None) -> int:
    """How many label levels `_add_markers` will use (so a caller can leave room first)."""
    unique = _unique(markers)
    if not unique or first is None or last is None:
        return 0
    return max(level for level, _ in _levels(_positions(unique, first, last))) + 1


def level_px(dated: bool = False) -> int:
    """The height of one level of labels (a dated label has a third line)."""
    return LEVEL_PX + (15 if dated else 0)


def _unique(markers: list[Marker]) -> list[Marker]:
    return sorted(dict.fromkeys(markers), key=lambda m: (m.on, m.kind, m.label))


def _positions(markers: list[Marker], first: date, last: date) -> list[float]:
    width = max((last - first).days, 1)
    return [(m.on - first).days / width for m in markers]


def _add_markers(fig: Draft, markers: list[Marker], first: date | None,
                 last: date | None, *, xref: str = "x", yref: str = "paper",
                 dated: bool = False, colours: dict[Marker, str] | None = None) -> int:
    """Vertical lines with short labels inside the top of the plot, staggered so that near
    dates stay legible; the full text is in the label's hover. `first`/`last`: the axis range.
    `xref`/`yref` place them in one panel of a figure with several ("x3", "y3 domain");
    `dated` writes the date under the label; `colours` replaces the colour of the kind, per
    marker.
    Returns how many label levels were used (the caller leaves room above the data)."""
    unique = _unique(markers)
    if not unique or first is None or last is None:
        return 0
    levels = _levels(_positions(unique, first, last))
    step = level_px(dated)
    for marker, (level, right) in zip(unique, levels, strict=True):
        line_colour = (colours or {}).get(marker) or (
            PALETTE[2] if marker.kind == "program" else PALETTE[5])
        fig.add_shape(
            type="line", xref=xref, x0=marker.on, x1=marker.on, yref=yref, y0=0, y1=1,
            line={"color": line_colour, "width": 1.5, "dash": "dot"},
        )
        text, full = short_label(marker)
        day = f"{marker.on.day} {marker.on:%b %Y}"
        if dated:
            text += f"<br>{day}"
        fig.add_annotation(
            text=text, hovertext=f"{full}<br>{day}",
            xref=xref, x=marker.on, xanchor="left" if right else "right", align="left" if right
            else "right", xshift=3 if right else -3,
            yref=yref, y=1.0, yanchor="top", yshift=-2 - step * level,
            showarrow=False, font={"size": 11, "color": line_colour},
            bgcolor="rgba(255,255,255,0.85)",
        )
    return max(level for level, _ in levels) + 1
