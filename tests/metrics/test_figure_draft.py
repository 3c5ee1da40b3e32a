"""figures.draft: the builders' dict figures lay out and update as plotly's own calls would."""
from __future__ import annotations

import plotly.graph_objects as go
from hypothesis import given, settings
from hypothesis import strategies as st
from plotly.subplots import make_subplots

from orgwell.metrics.figures import figure_json
from orgwell.metrics.figures.draft import Draft, stacked


@settings(max_examples=60, deadline=None)
@given(
    heights=st.one_of(
        st.none(), st.lists(st.integers(min_value=20, max_value=400), min_size=1, max_size=4)
    ),
    rows=st.integers(min_value=1, max_value=4),
    gap_px=st.integers(min_value=0, max_value=150),
    titled=st.booleans(),
)
def test_stacked_panels_match_make_subplots(heights, rows, gap_px, titled):
    rows = len(heights) if heights else rows
    total = sum(heights) if heights else 300 * rows
    spacing = gap_px / (total + gap_px * (rows - 1)) if rows > 1 else 0
    titles = [f"Panel {n}" for n in range(rows)] if titled else []
    made = make_subplots(rows=rows, cols=1, row_heights=heights, vertical_spacing=spacing,
                         subplot_titles=titles or None, figure=go.Figure(layout={"template": {}}))
    made.add_trace(go.Scatter(x=[1], y=[2]), row=rows, col=1)

    draft = Draft({"template": {}})
    stacked(draft, rows, row_heights=heights, vertical_spacing=spacing, titles=titles)
    draft.add_trace({"type": "scatter", "x": [1], "y": [2]}, row=rows, col=1)

    assert figure_json(draft.figure()) == figure_json(made)


def test_updates_follow_plotlys_rules():
    """Nested dicts merge, None unsets, lists replace; every axis, or one panel's; a caller's
    dict is never changed by a later update."""
    margin = {"l": 20, "t": 50}
    draft = Draft({"template": {}, "margin": margin, "title": {"text": "A"}})
    stacked(draft, 2, vertical_spacing=0.2)
    draft.add_trace({"type": "scatter", "x": [1], "y": [1], "error_x": None}, row=2, col=1)
    draft.update_layout(margin={"b": 9}, title={"font": {"size": 17}})
    draft.update_yaxes(range=[0, 1], title={"text": "Y"})
    draft.update_yaxes(range=[0, 5], row=2, col=1)
    draft.update_xaxes(title=None)
    draft.add_annotation(text="note", x=0, y=0)

    by_plotly = make_subplots(rows=2, cols=1, vertical_spacing=0.2,
                              figure=go.Figure(layout={"template": {}, "margin": margin,
                                                       "title": {"text": "A"}}))
    by_plotly.add_trace(go.Scatter(x=[1], y=[1]), row=2, col=1)
    by_plotly.update_layout(margin={"b": 9}, title={"font": {"size": 17}})
    by_plotly.update_yaxes(range=[0, 1], title={"text": "Y"})
    by_plotly.update_yaxes(range=[0, 5], row=2, col=1)
    by_plotly.update_xaxes(title=None)
    by_plotly.add_annotation(text="note", x=0, y=0)

    built = draft.figure()
    assert margin == {"l": 20, "t": 50}
    assert built.layout.margin.to_plotly_json() == {"l": 20, "t": 50, "b": 9}
    assert built.layout.yaxis.range == (0, 1) and built.layout.yaxis2.range == (0, 5)
    assert built.data[0].xaxis == "x2" and built.data[0].error_x.to_plotly_json() == {}
    # plotly leaves an emptied title as {}, which plotly.js reads as no title; the dicts drop it.
    expected = by_plotly.to_plotly_json()
    for axis in ("xaxis", "xaxis2"):
        assert expected["layout"][axis].pop("title") == {}
    assert built.to_plotly_json() == expected
