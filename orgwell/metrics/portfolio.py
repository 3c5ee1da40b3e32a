"""A consultant's view across clients: side-by-side comparison, and the anonymous benchmark.

Two uses, two rules:
- `compare`: the consultant compares clients they were granted, by name (they serve them all).
  Only organisations with a live grant to the caller are included; any other slug in the URL is
  dropped as if it did not exist.
- `benchmark`: inside ONE client's report, the consultant's other clients appear only as an
  anonymous distribution (the middle half and a median in whole points; never names, never the
  lowest or highest, never one organisation's value), and only when at least MIN_ORGS other
  organisations contribute. An organisation contributes its latest organisation
  total only when that total passed its own threshold (it comes protected from queries.py).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import figures, queries
from orgwell.metrics.figures.draft import Draft
from orgwell.orgs.models import ConsultantGrant, Organisation

MIN_ORGS = 5
MAX_COMPARED = 6


def granted_organisations(user) -> list[Organisation]:
    """The organisations `user` holds a live consultant grant for, by name."""
    return list(db.session.scalars(
        select(Organisation)
        .join(ConsultantGrant, ConsultantGrant.organisation_id == Organisation.id)
        .where(ConsultantGrant.consultant_id == user.id, ConsultantGrant.revoked_at.is_(None))
        .order_by(Organisation.name)
    ))


def latest_org_total(org: Organisation, filters: queries.Filters):
    """The organisation total of the latest wave where it is shown (passed k), or None."""
    _, cells = queries.burnout_series(org, filters, team_scope=None)
    totals = [c for c in cells if c.group.kind == "organisation" and not c.suppressed]
    return max(totals, key=lambda c: c.wave_date) if totals else None


# --- side by side -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    orgs: list[Organisation]
    rows: list[tuple[str, str, list]]  # (scale key, scale name, [latest Cell or None per org])
    figure: go.Figure
    scale_name: str


def compare(user, slugs: list[str], filters: queries.Filters) -> Comparison:
    """Compare the named clients (only those granted to `user`; unknown slugs are dropped)."""
    granted = {org.slug: org for org in granted_organisations(user)}
    orgs = [granted[s] for s in dict.fromkeys(slugs) if s in granted][:MAX_COMPARED]
    scales: dict[str, str] = {}
    cutoff = None
    for org in orgs:
        for key, _, instrument_scales in queries.available_instruments(org):
            if key == filters.instrument:
                for scale_key, scale_name, scale_cutoff in instrument_scales:
                    scales.setdefault(scale_key, scale_name)
                    if scale_key == filters.scale:
                        cutoff = scale_cutoff
    rows = []
    for scale_key, scale_name in scales.items():
        scale_filters = dataclasses.replace(filters, scale=scale_key, team_ids=None)
        rows.append((scale_key, scale_name, [latest_org_total(o, scale_filters) for o in orgs]))
    cells = []
    for org in orgs:
        _, org_cells = queries.burnout_series(
            org, dataclasses.replace(filters, team_ids=None), team_scope=None
        )
        cells += [_renamed(c, org) for c in org_cells if c.group.kind == "organisation"]
    scale_name = scales.get(filters.scale, filters.scale)
    figure = figures.exhaustion_over_time(cells, cutoff=cutoff, scale_name=scale_name)
    return Comparison(orgs, rows, figure, scale_name)


def _renamed(cell, org: Organisation):
    """An organisation total relabelled with its organisation, so each client is one line."""
    group = dataclasses.replace(cell.group, key=f"org:{org.slug}", label=org.name)
    return dataclasses.replace(cell, group=group)


# --- anonymous benchmark ------------------------------------------------------------------------

@dataclass(frozen=True)
class Benchmark:
    """The other clients' latest organisation totals as a distribution: the middle half and a
    median, in whole points. No minimum or maximum and no single organisation's value: every
    number lies strictly between two organisations' results (see `anonymous_quartiles`)."""

    scale_name: str
    contributors: int
    q1: int
    median: int
    q3: int
    client_value: float | None
    client_date: date | None

    @property
    def sentence(self) -> str:
        text = (f"Across {self.contributors} other organisations this consultant serves, the "
                f"middle half scored between {self.q1} and {self.q3} "
                f"(median {self.median}); no single organisation's result is shown.")
        if self.client_value is not None:
            text += f" This organisation's latest result is {self.client_value:.0f}."
        return text


def anonymous_quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """Lower quartile, median and upper quartile of `values` (at least 3), none of them equal
    to a value only one organisation has.

    Each quartile sits at the "exclusive" position i(n+1)/4 of the sorted values. Between two
    values, it is interpolated between those two neighbours, strictly inside when they differ,
    so it equals nobody's result (with 5 organisations the quartiles are the averages of the
    two lowest and of the two highest). ON a value (the median of an odd count; every quartile
    of 7, 11, ...) that value alone would be one organisation's result, so it is replaced by
    the mean of the two half-way points around it, (x[p-1] + 2 x[p] + x[p+1]) / 4; when the
    two neighbours are exactly symmetric that mean is x[p] again, and the lower half-way point
    (x[p-1] + x[p]) / 2 is used instead. Ties need no care: a value equal to a value two
    organisations share reveals neither.
    """
    xs = sorted(values)
    if len(xs) < 3:
        raise ValueError("need at least 3 values")
    return tuple(_quartile(xs, i * (len(xs) + 1) / 4) for i in (1, 2, 3))


def _quartile(xs: list[float], position: float) -> float:
    below = int(position)  # 1-based: xs[below - 1] <= result <= xs[below]
    weight = position - below
    if weight:
        return xs[below - 1] + weight * (xs[below] - xs[below - 1])
    lower, at, upper = xs[below - 2], xs[below - 1], xs[below]
    smoothed = (lower + 2 * at + upper) / 4
    if smoothed == at and lower != at:
        return (lower + at) / 2
    return smoothed


def whole_points(value: float) -> int:
    """Rounded half up (not to even), as people round."""
    return math.floor(value + 0.5)


def distribution(values: Sequence[float]) -> tuple[int, int, int] | None:
    """The shown (q1, median, q3) of the contributors' values in whole points, or None when
    fewer than MIN_ORGS contribute."""
    if len(values) < MIN_ORGS:
        return None
    return tuple(whole_points(v) for v in anonymous_quartiles(values))


def benchmark(consultant, client: Organisation, filters: queries.Filters,
              scale_name: str) -> Benchmark | None:
    """The benchmark for `client` among `consultant`'s other clients, or None when fewer than
    MIN_ORGS of them have a shown organisation total on this instrument and scale."""
    overall = dataclasses.replace(filters, team_ids=None)
    values = []
    for org in granted_organisations(consultant):
        if org.id == client.id:
            continue
        cell = latest_org_total(org, overall)
        if cell is not None and cell.mean is not None:
            values.append(cell.mean)
    shown = distribution(values)
    if shown is None:
        return None
    q1, median, q3 = shown
    own = latest_org_total(client, overall)
    return Benchmark(
        scale_name=scale_name, contributors=len(values), q1=q1, median=median, q3=q3,
        client_value=own.mean if own is not None else None,
        client_date=own.wave_date if own is not None else None,
    )


def benchmark_figure(bench: Benchmark) -> go.Figure:
    """The other clients' middle half as a band with its median, and this client's diamond.

    Drawn as a bar from q1 to q3 rather than a box plot: a box has whiskers (the lowest and
    highest organisation) and plotly.js would label fences on hover.
    """
    row = "Other clients"
    hover = (f"{bench.contributors} other organisations<br>middle half {bench.q1} to "
             f"{bench.q3}<br>median {bench.median}<extra></extra>")
    fig = Draft({
        "title": {"text": f"{bench.scale_name}: this organisation among "
                          f"{bench.contributors} other clients"},
        "xaxis": {"title": {"text": "Mean score (0-100)"}, "range": [0, 100]},
        "yaxis": {"showticklabels": False},
        "legend": {"orientation": "h", "y": -0.3},
        "height": 320, "margin": {"l": 40, "r": 20, "t": 60, "b": 80},
        "template": "plotly_white",
    })
    fig.add_trace({
        "type": "bar", "name": "Middle half of the other clients", "orientation": "h",
        "y": [row], "x": [max(bench.q3 - bench.q1, 0.4)], "base": [bench.q1], "width": [0.5],
        "marker": {"color": "rgba(0,114,178,0.25)",
                   "line": {"color": figures.PALETTE[0], "width": 1.5}},
        "hovertemplate": hover,
    })
    fig.add_trace({
        "type": "scatter", "name": "Median of the other clients", "x": [bench.median],
        "y": [row], "mode": "markers",
        "marker": {"symbol": "line-ns", "size": 30,
                   "line": {"width": 3, "color": figures.PALETTE[0]}},
        "hovertemplate": hover,
    })
    if bench.client_value is not None:
        fig.add_trace({
            "type": "scatter", "name": "This organisation", "x": [bench.client_value],
            "y": [row], "mode": "markers",
            "marker": {"size": 16, "color": figures.PALETTE[1], "symbol": "diamond",
                       "line": {"width": 1, "color": "#333"}},
            "hovertemplate": "This organisation: %{x:.0f}<extra></extra>",
        })
    return fig.figure()
