"""Figure builders: structure, hidden cells, reference line, readability rules, determinism."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest

from orgwell.metrics import figures
from orgwell.metrics.references import reference_for
from orgwell.metrics.stats import impact
from tests.metrics.figure_fixtures import ORG, REASON, cell, hidden, sample, team
from tests.metrics.hover_templates import hover_texts


@pytest.fixture
def data():
    return sample()


def _all(data):
    result = impact(data.cells_by_team, data.enrolled, scale_name="work-related burnout")
    return {
        "exhaustion": figures.exhaustion_over_time(
            data.cells, cutoff=50, scale_name="Work-related burnout",
            enrollment_starts=data.enrollment_starts, actions=data.actions,
        ),
        "share": figures.share_high_over_time(
            data.cells, cutoff=50, scale_name="Work-related burnout",
            reference=reference_for("cbi", "work"),
        ),
        "participation": figures.participation(data.participation, data.completion),
        "heatmap": figures.heatmap(data.cells, scale_name="Work-related burnout", cutoff=50),
        "impact": figures.program_impact(
            result, program_name="Resilience for PTs", scale_name="Work-related burnout"
        ),
    }


def _texts(fig) -> list[str]:
    """Every string plotly.js will render as pseudo-HTML (titles, names, hover, annotations)."""
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(json.loads(figures.figure_json(fig)))
    return found


def test_exhaustion_has_line_band_cutoff_and_markers(data):
    fig = _all(data)["exhaustion"]
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == [
        "Riverside Physical Therapy", "Riverside North › Outpatient", "Riverside South › Sports",
        "Riverside North › Aquatics",
    ]
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 3  # Aquatics is hidden in every wave: no band
    assert all("0.18" in t.fillcolor for t in bands)
    # Sports is hidden at wave 3: a gap in its line (and in its band), not a made-up value.
    sports = next(t for t in lines if t.name == "Riverside South › Sports")
    assert sports.y[2] is None and sports.connectgaps is False
    sports_band = next(t for t in bands if t.legendgroup == "team:2")
    assert None in sports_band.x
    # Cut-off: a dashed horizontal line at 50 with a label.
    assert any(s.y0 == 50 and s.line.dash == "dash" for s in fig.layout.shapes)
    labels = [a.text.replace("<br>", " ") for a in fig.layout.annotations]
    assert "Cut-off 50: high work-related burnout" in labels
    assert "Program: Resilience for PTs starts" in labels
    assert "Action: Rota review with the team" in labels
    verticals = [s for s in fig.layout.shapes if s.yref == "paper" and s.x0 == s.x1]
    assert {s.x0 for s in verticals} == {date(2025, 5, 5), date(2025, 9, 1)}
    assert fig.layout.yaxis.title.text == "Mean score (0-100)"
    assert fig.layout.xaxis.type == "date"


def test_hidden_cells_are_drawn_with_their_reason(data):
    for name in ("exhaustion", "share", "participation"):
        fig = _all(data)[name]
        hidden_trace = next(t for t in fig.data if t.name == "Hidden (too few responses)")
        assert all(REASON in text or "smaller group" in text for text in hidden_trace.hovertext)
        assert hidden_trace.marker.color == figures.HIDDEN_COLOUR


def test_heatmap_flags_hidden_cells(data):
    fig = _all(data)["heatmap"]
    shown, hidden_layer = fig.data
    assert list(shown.y) == [
        "Riverside Physical Therapy", "Riverside North › Outpatient",
        "Riverside South › Sports", "Riverside North › Aquatics",
    ]
    # The axis shows the labels in two short lines, to fit a phone.
    assert list(fig.layout.yaxis.tickvals) == list(shown.y)
    assert fig.layout.yaxis.ticktext[1] == "Riverside North ›<br>Outpatient"
    assert list(shown.x) == ["13 Jan 2025", "14 Apr 2025", "14 Jul 2025", "13 Oct 2025",
                             "12 Jan 2026"]
    # Aquatics (row 4) hidden everywhere; Sports (row 3) hidden in July.
    assert hidden_layer.text[3] == ["–"] * 5 and shown.z[3] == [None] * 5
    assert hidden_layer.text[2][2] == "–" and shown.z[2][2] is None
    assert "hidden so that a smaller group cannot be worked out" in hidden_layer.hovertext[2][2]
    assert REASON in hidden_layer.hovertext[3][0]
    assert hidden_layer.colorscale[0][1] == figures.HIDDEN_FILL
    # Shown cells carry their mean as text and n on hover; no value under a hidden cell.
    assert shown.texttemplate == "%{z:.0f}"
    hover = hover_texts(shown.to_plotly_json())
    assert hover[1][0] == (
        f"Riverside North › Outpatient<br>13 Jan 2025: mean {shown.z[1][0]:.1f}<br>95% "
        f"interval {shown.customdata[1][0][1]:.1f} to {shown.customdata[1][0][2]:.1f}"
        "<br>12 responses"
    )
    assert hover[3] == [""] * 5  # no hover from the shown layer over hidden cells
    assert hidden_layer.z[1][0] is None
    assert "50 cut-off" in shown.colorbar.ticktext
    assert any("hidden to protect confidentiality" in a.text for a in fig.layout.annotations)


def test_share_has_percent_axis_and_the_published_reference(data):
    fig = _all(data)["share"]
    assert fig.layout.yaxis.ticksuffix == "%"
    reference = next(t for t in fig.data if t.meta == "reference")
    assert list(reference.y) == [43.8, 43.8]
    assert reference.name == "Creedy et al. 2017, midwives: 43.8%"
    assert "BMC Pregnancy and Childbirth 2017" in reference.hovertext[0]
    assert reference.line.dash == "dash"
    north = next(t for t in fig.data if t.name == "Riverside North › Outpatient")
    assert north.y[0] == data.cells[1].pct_high


def test_reference_only_where_one_is_published():
    assert reference_for("cbi", "personal").value == 64.9
    assert reference_for("cbi", "work").value == 43.8
    assert reference_for("cbi-work", "work").value == 43.8
    assert reference_for("cbi", "client").value == 10.4
    assert "Creedy" in reference_for("cbi", "client").source
    assert reference_for("mbi", "exhaustion") is None
    assert reference_for("cbi", "total") is None
    fig = figures.share_high_over_time(sample().cells, cutoff=50, scale_name="Work")
    assert not any(t.meta == "reference" for t in fig.data)


def test_participation_panels(data):
    fig = _all(data)["participation"]
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis2.tickformat == ".0%"
    response = [t for t in fig.data if t.yaxis == "y" and t.mode == "lines+markers"]
    completion = [t for t in fig.data if t.yaxis == "y2"]
    assert len(response) == 4 and len(completion) == 1
    north = next(t for t in response if t.name == "Riverside North › Outpatient")
    assert north.y[0] == pytest.approx(12 / 14)
    assert "12 of 14 answered (86%)" in north.hovertext[0]
    # The same group keeps its colour in both panels.
    assert completion[0].line.color == north.line.color
    assert "modules completed" in completion[0].hovertext[0]


def test_participation_without_programs_says_so(data):
    fig = figures.participation(data.participation, [])
    assert "No program modules released yet." in [a.text for a in fig.layout.annotations]
    # No empty completion panel (its date axis would run from 1970), and the survey axis is
    # fitted to the waves.
    assert "xaxis2" not in fig.layout.to_plotly_json()
    first = min(c.wave_date for c in data.participation)
    assert fig.layout.xaxis.range[0] > first.replace(year=first.year - 1)


def test_program_impact_shows_teams_pooled_did_and_sentence(data):
    fig = _all(data)["impact"]
    bars = [t for t in fig.data if t.type == "bar"]
    labels = [label.replace("<br>", " ") for t in bars for label in t.y]
    assert "Riverside North › Outpatient (enrolled)" in labels
    assert "All enrolled teams (pooled)" in labels
    assert "All teams not enrolled (pooled)" in labels
    did_trace = next(t for t in fig.data if t.type == "scatter")
    result = impact(data.cells_by_team, data.enrolled)
    assert did_trace.x[0] == pytest.approx(result.did.estimate)
    assert did_trace.error_x.array[0] == pytest.approx(result.did.high - result.did.estimate)
    # Pages print the sentence beside the figure: not inside it a second time.
    assert not any("not proof" in (a.text or "") for a in fig.layout.annotations)
    alone = figures.program_impact(result, caption=True)  # PNG/PDF: the figure travels alone
    caption = " ".join(a.text.replace("<br>", " ") for a in alone.layout.annotations)
    assert "not proof that the program caused the change" in caption


def test_program_impact_without_an_estimate_has_one_panel_and_a_note_below_it():
    t1 = team(1, "Only")
    result = impact({1: [cell(t1, 0, date(2025, 1, 6), [60, 70, 65, 55, 50]),
                         cell(t1, 1, date(2025, 7, 7), [40, 45, 50, 35, 45])]},
                    {1: date(2025, 4, 1)})
    fig = figures.program_impact(result)
    assert "xaxis2" not in fig.layout.to_plotly_json()
    note = next(a for a in fig.layout.annotations if a.text.startswith("Not enough data"))
    # Anchored under the plot area (paper y=0, hanging below), never over the bars.
    assert (note.yref, note.y, note.yanchor) == ("paper", 0, "top") and note.yshift < 0


def test_marker_labels_are_short_anchored_with_room_and_staggered():
    long = "Action: Protect documentation time: two 30-minute blocks a week for every clinician"
    fig = figures.exhaustion_over_time(
        [cell(ORG, i, day, [40, 50, 60, 55, 45]) for i, day in enumerate(
            [date(2025, 1, 6), date(2025, 4, 7), date(2025, 7, 7), date(2025, 10, 6)])],
        cutoff=50, scale_name="Work-related burnout",
        enrollment_starts=[(date(2025, 9, 1), "Burnout prehab", [1]),
                           (date(2025, 2, 1), "Early program", [1])],
        actions=[(date(2025, 9, 8), long)],
    )
    marks = [a for a in fig.layout.annotations if a.hovertext]
    texts = [a.text.replace("<br>", " ") for a in marks]
    action = next(a for a in marks if a.text.startswith("Action"))
    # The prefix once, cut to about 40 characters with an ellipsis, the full text on hover.
    assert action.text.count("Action:") == 1 and texts[texts.index(action.text.replace(
        "<br>", " "))].endswith("…")
    assert all(len(t) <= 41 for t in texts)
    assert long in action.hovertext
    # Late markers write to the left of their line, early ones to the right.
    early = next(a for a in marks if "Early" in a.text)
    assert early.xanchor == "left" and action.xanchor == "right"
    # The two September markers are a week apart: on different levels.
    september = [a for a in marks if a.x.month == 9]
    assert len({a.yshift for a in september}) == 2
    # Labels sit inside the plot (no top margin for them): the y axis leaves room above 100.
    assert all(a.yref == "paper" and a.y == 1 and a.yanchor == "top" for a in marks)
    assert fig.layout.yaxis.range[1] > 105
    assert fig.layout.margin.t < 90


def test_empty_inputs_give_a_readable_figure():
    for fig in (
        figures.exhaustion_over_time([], cutoff=50, scale_name="Work-related burnout"),
        figures.share_high_over_time([], cutoff=50, scale_name="Work",
                                     reference=reference_for("cbi", "work")),
        figures.heatmap([], scale_name="Work"),
        figures.participation([], []),
        figures.program_impact(impact({}, {})),
    ):
        assert fig.layout.title.text
        assert figures.figure_json(fig)


def test_readability_rules(data):
    for name, fig in _all(data).items():
        assert fig.layout.title.text, name
        assert fig.layout.autosize is True
        assert fig.layout.font.family == figures.FONT
        # No plotly template: small JSON, and no style we did not choose.
        assert len(json.dumps(fig.layout.template.to_plotly_json())) < 100, name
        for axis in ("xaxis", "yaxis"):
            title = fig.layout[axis].title.text
            if axis == "xaxis" or name not in ("heatmap", "impact"):  # those: row labels
                assert title, (name, axis)
        # Colours from the colour-blind-safe palette (or the grey of hidden cells / references).
        allowed = set(figures.PALETTE) | {figures.HIDDEN_COLOUR, figures.REFERENCE_COLOUR}
        lines = [t for t in fig.data if t.type == "scatter" and "lines" in (t.mode or "")]
        for trace in lines:
            if trace.fill != "toself":
                assert trace.line.color in allowed, (name, trace.name, trace.line.color)


def test_no_styled_pseudo_html_and_names_are_escaped():
    """plotly.js turns <b>, <i>, <span style> into style attributes the CSP blocks."""
    evil = team(9, "<b>Team</b> & <script>x</script>")
    cells = [cell(evil, 1, date(2025, 1, 1), [40, 50, 60, 70, 80]),
             hidden(evil, 2, date(2025, 4, 1))]
    made = [
        figures.exhaustion_over_time(cells, cutoff=50, scale_name="Work <i>x</i>",
                                     enrollment_starts=[(date(2025, 2, 1), "<b>P</b>", [9])]),
        figures.share_high_over_time(cells, cutoff=50, scale_name="Work"),
        figures.heatmap(cells, scale_name="Work"),
    ]
    made += list(_all(sample()).values())
    for fig in made:
        for text in _texts(fig):
            assert not re.search(r"<(b|i|em|strong|span|sup|sub|a)\b", text), text
        assert "<script" not in figures.figure_json(fig)
    trace = made[0].data[1]
    assert trace.name == "&lt;b&gt;Team&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"


def test_figure_json_is_deterministic_and_safe_in_a_script_element(data):
    first = {name: figures.figure_json(fig) for name, fig in _all(data).items()}
    second = {name: figures.figure_json(fig) for name, fig in _all(sample()).items()}
    assert first == second
    for text in first.values():
        assert "<" not in text and ">" not in text
        assert json.loads(text)["layout"]["title"]["text"]
    # Dates travel as ISO dates (plotly.js parses them), not as timestamps.
    exhaustion = json.loads(first["exhaustion"])
    line = next(t for t in exhaustion["data"] if t.get("mode") == "lines+markers")
    assert line["x"][0] == "2025-01-13"


def test_figure_config_is_minimal():
    config = figures.figure_config()
    assert config["responsive"] is True and config["displaylogo"] is False
    assert config["modeBarButtons"] == [["toImage"]]


def test_org_cells_are_first_and_keep_the_first_colour(data):
    fig = _all(data)["exhaustion"]
    line = next(t for t in fig.data if t.name == ORG.label)
    assert line.line.color == figures.PALETTE[0]
