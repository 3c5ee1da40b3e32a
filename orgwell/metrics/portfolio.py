"""A consultant's view across clients: side-by-side comparison, and the anonymous benchmark.

Two uses, two rules:
- `compare`: the consultant compares clients they were granted, by name (they serve them all).
  Only organisations with a live grant to the caller are included; any other slug in the URL is
  dropped as if it did not exist.
- `benchmark`: inside ONE client's report, the consultant's other clients appear only as an
  anonymous distribution (quartiles, never names, never single values), and only when at least
  MIN_ORGS other organisations contribute. An organisation contributes its latest organisation
  total only when that total passed its own threshold (it comes protected from queries.py).
"""
from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import figures, queries
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
    """The distribution of other clients' latest organisation totals (no names, no values)."""

    scale_name: str
    contributors: int
    low: float
    q1: float
    median: float
    q3: float
    high: float
    client_value: float | None
    client_date: date | None

    @property
    def sentence(self) -> str:
        text = (f"Across {self.contributors} other organisations this consultant serves, the "
                f"middle half scored between {self.q1:.0f} and {self.q3:.0f} "
                f"(median {self.median:.0f}).")
        if self.client_value is not None:
            text += f" This organisation's latest result is {self.client_value:.0f}."
        return text


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
    if len(values) < MIN_ORGS:
        return None
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    own = latest_org_total(client, overall)
    return Benchmark(
        scale_name=scale_name, contributors=len(values), low=min(values), q1=q1,
        median=median, q3=q3, high=max(values),
        client_value=own.mean if own else None, client_date=own.wave_date if own else None,
    )


def benchmark_figure(bench: Benchmark) -> go.Figure:
    """A box of the other clients' results (quartiles and range only) and this client's dot."""
    fig = go.Figure()
    fig.add_trace(go.Box(
        name="Other clients", orientation="h",
        q1=[bench.q1], median=[bench.median], q3=[bench.q3],
        lowerfence=[bench.low], upperfence=[bench.high],
        marker_color=figures.PALETTE[0], fillcolor="rgba(0,114,178,0.25)",
        hovertemplate=(f"{bench.contributors} other organisations<br>middle half "
                       f"{bench.q1:.0f}-{bench.q3:.0f}<extra></extra>"),
    ))
    if bench.client_value is not None:
        fig.add_trace(go.Scatter(
            name="This organisation", x=[bench.client_value], y=["Other clients"],
            mode="markers", marker={"size": 16, "color": figures.PALETTE[1], "symbol": "diamond",
                                    "line": {"width": 1, "color": "#333"}},
            hovertemplate="This organisation: %{x:.0f}<extra></extra>",
        ))
    fig.update_layout(
        title={"text": f"{bench.scale_name}: this organisation among "
                       f"{bench.contributors} other clients"},
        xaxis={"title": {"text": "Mean score (0-100)"}, "range": [0, 100]},
        yaxis={"showticklabels": False},
        legend={"orientation": "h", "y": -0.3},
        height=320, margin={"l": 40, "r": 20, "t": 60, "b": 80},
        template="plotly_white",
    )
    return fig
