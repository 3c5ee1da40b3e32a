"""Hover templates read as plotly.js fills them in: the adversary (adversary.py) and the figure
tests read what a person hovering sees, whether a trace carries whole hover texts or one
template over per-point numbers."""
from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"%\{(\w+)(?:\[(\d+)\])?(?::([^}]*))?\}")


def hover_texts(trace: Mapping):
    """A trace's hover text per point: its `hovertext`, or its `hovertemplate` filled in with
    each point's x, y, z, text and customdata as plotly.js does (a heatmap's as rows of
    columns, gaps as ""). Only the d3 formats OrgWell writes are known; another fails."""
    template = trace.get("hovertemplate")
    if not isinstance(template, str):
        return trace.get("hovertext")
    template = re.sub(r"<extra>.*?</extra>", "", template)
    if trace.get("type") == "heatmap":
        xs, ys = trace.get("x") or [], trace.get("y") or []
        z, custom = trace.get("z") or [], trace.get("customdata") or []
        return [[_fill(template, {"x": x, "y": y, "z": z[i][j],
                                  "customdata": _at(custom, i, j)})
                 if z[i][j] is not None else "" for j, x in enumerate(xs)]
                for i, y in enumerate(ys)]
    points = {name: trace.get(name) for name in ("x", "y", "text", "customdata")}
    count = max((len(v) for v in points.values() if isinstance(v, list)), default=1)
    return [_fill(template, {name: (v[i] if isinstance(v, list) else v)
                             for name, v in points.items()}) for i in range(count)]


def _at(rows, i: int, j: int):
    return rows[i][j] if i < len(rows) and isinstance(rows[i], list) and j < len(rows[i]) else None


def _fill(template: str, point: dict) -> str:
    def value(match: re.Match) -> str:
        name, index, spec = match.groups()
        found = point.get(name)
        if index is not None:
            found = found[int(index)] if isinstance(found, list) else None
        if found is None:
            raise AssertionError(f"hover template {template!r} has no {match.group(0)} here")
        if not spec:
            return str(found)
        if not re.fullmatch(r",?(?:\.\d+f|d)?", spec):
            raise AssertionError(f"hover template format {spec!r} is not read by the adversary")
        return format(found, spec)

    return PLACEHOLDER.sub(value, template)
