"""Plotly figure builders for the metrics pages, the report and the exports (pure functions).

Data in (PROTECTED cells from `orgwell.metrics.queries`, or an `Impact` from `stats.impact`),
`plotly.graph_objects.Figure` out: no database, no Flask, no clock, so the same input always gives
the same JSON (the HTML report and the PNG/PDF exports rely on it). Views call
`figure_json(fig)` and embed it as a `<script type="application/json">` data block, which
`static/js/metrics-*.js` hands to plotly.js with `figure_config()`.

One module per topic (common: the house style; markers; time: figures 1-3; heatmap: 4;
impact: 5); the public names are re-exported here. Each builder writes plain dicts into a
`draft.Draft` and makes the Figure once, at the end (draft's docstring says why).

Field conventions of the cells (from queries.py): `Cell.mean`/`ci_*` on the instrument's 0-100
scale, `Cell.pct_high` in percent (0..100); `ParticipationCell.rate` and `CompletionCell.rate` as
fractions (0..1).
"""
from orgwell.metrics.figures.common import (
    FONT,
    GRID_COLOUR,
    HEATMAP_SCALE,
    HIDDEN_COLOUR,
    HIDDEN_FILL,
    PALETTE,
    REFERENCE_COLOUR,
    figure_config,
    figure_json,
)
from orgwell.metrics.figures.heatmap import heatmap
from orgwell.metrics.figures.impact import action_follow_up, program_impact
from orgwell.metrics.figures.markers import Marker
from orgwell.metrics.figures.time import exhaustion_over_time, participation, share_high_over_time

__all__ = [
    "FONT", "GRID_COLOUR", "HEATMAP_SCALE", "HIDDEN_COLOUR", "HIDDEN_FILL", "PALETTE",
    "REFERENCE_COLOUR", "Marker", "exhaustion_over_time", "figure_config", "figure_json",
    "action_follow_up", "heatmap", "participation", "program_impact", "share_high_over_time",
]
