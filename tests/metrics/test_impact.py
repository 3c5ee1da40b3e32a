"""Program impact (figure 5): windows, pooling and difference-in-differences from shown cells.

The reference computation works on the raw scores behind the cells with numpy/scipy (Welch SE,
Welch-Satterthwaite df), so the check does not reuse anything from orgwell.metrics.stats.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats as sps

from orgwell.metrics import queries
from orgwell.metrics.action_results import actions_in_view
from orgwell.metrics.actions import Plan, create_action
from orgwell.metrics.figures import program_impact
from orgwell.metrics.headlines import enrolled_group_key, trend_headline
from orgwell.metrics.queries import Group
from orgwell.metrics.stats import comparison_groups, impact
from tests.metrics.figure_fixtures import ORG, WAVES, cell, hidden, sample, team
from tests.metrics.results_fixtures import WAVE_DATES, login, results_world

D = [date(2025, 1, 6), date(2025, 4, 7), date(2025, 7, 7), date(2025, 10, 6)]


def _welch(before_t, after_t, before_c, after_c):
    samples = [before_t, after_t, before_c, after_c]
    terms = [s.var(ddof=1) / len(s) for s in samples]
    se = np.sqrt(sum(terms))
    df = sum(terms) ** 2 / sum(t * t / (len(s) - 1) for t, s in zip(terms, samples, strict=True))
    estimate = (after_t.mean() - before_t.mean()) - (after_c.mean() - before_c.mean())
    half = sps.t.ppf(0.975, df) * se
    return estimate, estimate - half, estimate + half


def _practice(seed: int):
    """Five teams, random sizes and scores; two enrolled (different dates), one with a hidden
    baseline (falls back to the wave before), one hidden at the latest wave (excluded)."""
    rng = np.random.default_rng(seed)
    teams = [team(i, f"Team {i}") for i in range(1, 6)]
    raw = {(t.team_id, w): rng.normal(rng.uniform(35, 65), 15, int(rng.integers(5, 15)))
           for t in teams for w in range(4)}
    cells = {t.team_id: [] for t in teams}
    for t in teams:
        for w, day in enumerate(D):
            is_hidden = (t.team_id == 2 and w == 1) or (t.team_id == 5 and w == 3)
            cells[t.team_id].append(
                hidden(t, w, day) if is_hidden else cell(t, w, day, raw[(t.team_id, w)])
            )
    enrolled = {1: date(2025, 5, 1), 2: date(2025, 6, 1)}
    return raw, cells, enrolled


@pytest.mark.parametrize("seed", range(15))
def test_impact_matches_raw_scores(seed):
    raw, cells, enrolled = _practice(seed)
    result = impact(cells, enrolled, scale_name="work-related burnout")
    # Team 1: baseline wave 1 (Apr, the last before May); team 2: wave 1 is hidden -> wave 0.
    # Comparison teams 3 and 4 use the last wave before the earliest start (May) -> wave 1.
    # Team 5 is hidden at the latest wave -> excluded.
    before_t = np.concatenate([raw[(1, 1)], raw[(2, 0)]])
    after_t = np.concatenate([raw[(1, 3)], raw[(2, 3)]])
    before_c = np.concatenate([raw[(3, 1)], raw[(4, 1)]])
    after_c = np.concatenate([raw[(3, 3)], raw[(4, 3)]])
    estimate, low, high = _welch(before_t, after_t, before_c, after_c)
    assert result.did.estimate == pytest.approx(estimate, abs=1e-9)
    assert (result.did.low, result.did.high) == pytest.approx((low, high), abs=1e-6)
    assert result.enrolled.mean_before == pytest.approx(before_t.mean())
    assert result.not_enrolled.mean_after == pytest.approx(after_c.mean())
    assert (result.enrolled.n_before, result.enrolled.n_after) == (len(before_t), len(after_t))
    assert (result.enrolled.teams, result.not_enrolled.teams) == (2, 2)
    by_id = {t.team_id: t for t in result.teams}
    assert by_id[2].before_date == D[0] and by_id[1].before_date == D[1]
    assert by_id[3].before_date == D[1] and by_id[3].after_date == D[3]
    assert by_id[1].change == pytest.approx(raw[(1, 3)].mean() - raw[(1, 1)].mean())
    assert 5 not in by_id
    assert ("Team 5", "latest result hidden or missing") in result.excluded
    assert result.latest_wave == D[3] and result.baseline_before == date(2025, 5, 1)


def test_sentence_names_the_numbers_and_the_limits():
    s = sample()
    result = impact(s.cells_by_team, s.enrolled, scale_name="work-related burnout")
    text = result.sentence
    assert "work-related burnout went from" in text
    assert f"({result.enrolled.n_before} responses)" in text
    assert f"{result.not_enrolled.n_after} responses after" in text
    assert "95% interval" in text
    assert "not proof that the program caused the change" in text


def test_hidden_cells_never_enter_the_comparison():
    s = sample()
    result = impact(s.cells_by_team, s.enrolled)
    # Aquatics (team 3) is hidden in every wave: excluded, and no number of it appears.
    assert 3 not in {t.team_id for t in result.teams}
    assert any(label.endswith("Aquatics") for label, _ in result.excluded)
    # Sports (team 2) is hidden at the July wave, which is not one of its two windows.
    sports = next(t for t in result.teams if t.team_id == 2)
    assert sports.before_date == date(2025, 4, 14)


def test_enrollment_without_a_wave_since_or_before():
    t1, t2 = team(1, "Early"), team(2, "Other")
    cells = {
        1: [cell(t1, 0, D[0], [40, 50, 60, 55, 45]), cell(t1, 1, D[1], [40, 50, 60, 55, 45])],
        2: [cell(t2, 0, D[0], [40, 50, 60, 55, 45]), cell(t2, 1, D[1], [40, 50, 65, 55, 45])],
    }
    # Enrolled only after the latest wave: it had no program yet, so it is not enrolled here.
    too_late = impact(cells, {1: date(2025, 12, 1)})
    assert not any(t.enrolled for t in too_late.teams) and too_late.did.estimate is None
    assert "not enough data" in too_late.sentence.lower()
    too_early = impact(cells, {1: date(2024, 12, 1)})
    assert too_early.excluded[0] == ("Early", "no shown result before the program began")


def test_no_comparison_teams():
    t1 = team(1, "Only")
    cells = {1: [cell(t1, 0, D[0], [60, 70, 65, 55, 50]),
                 cell(t1, 1, D[2], [40, 45, 50, 35, 45])]}
    result = impact(cells, {1: D[1]})
    assert result.enrolled.change == pytest.approx(43 - 60)
    assert result.did.estimate is None
    assert "No team outside the program" in result.sentence


def _clinic(team_id: int, label: str) -> Group:
    return Group(key=f"clinic:{team_id}", label=label, kind="clinic", team_id=team_id,
                 parent_key="org")


def _team_in(team_id: int, label: str, clinic: Group) -> Group:
    return Group(key=f"team:{team_id}", label=f"{clinic.label} › {label}", kind="team",
                 team_id=team_id, parent_key=clinic.key)


def _demo_like():
    """The demo's shape: North (enrolled as a clinic in May) with a shown team and a small team
    that is always hidden; East and South with hidden teams; South enrolled AFTER the latest
    wave. Only clinics have results on both sides of the program in both arms."""
    north, east, south = _clinic(1, "North"), _clinic(4, "East"), _clinic(7, "South")
    outpatient = _team_in(2, "Outpatient", north)
    small = _team_in(3, "Sports", north)
    east_team, south_team = _team_in(5, "East Outpatient", east), _team_in(8, "Peds", south)
    scores = {north: [55, 60, 65, 58, 62, 61], outpatient: [50, 60, 64, 58, 66],
              east: [40, 42, 45, 38, 41], south: [44, 46, 40, 42, 45, 39]}
    after = {north: [40, 45, 50, 42, 44, 47], outpatient: [40, 45, 50, 42, 44],
             east: [41, 43, 46, 40, 42], south: [45, 47, 41, 43, 46, 40]}
    cells = [cell(ORG, 0, D[0], [50] * 20), cell(ORG, 3, D[3], [45] * 20)]
    for group in (north, outpatient, east, south):
        cells += [cell(group, 0, D[0], scores[group]), cell(group, 3, D[3], after[group])]
    for group in (small, east_team, south_team):
        cells += [hidden(group, 0, D[0]), hidden(group, 3, D[3])]
    starts = [(date(2025, 5, 1), "Prehab", [1]), (date(2025, 12, 1), "Prehab", [7])]
    return cells, starts


def test_a_clinic_enrollment_is_compared_at_the_clinic_level():
    cells, starts = _demo_like()
    by_group, enrolled, unit = comparison_groups(cells, starts)
    assert unit == "clinic" and set(by_group) == {1, 4, 7}
    assert enrolled == {1: date(2025, 5, 1), 7: date(2025, 12, 1)}
    result = impact(by_group, enrolled, unit=unit)
    # South's cohort began after the latest wave: it is a comparison clinic.
    arms = {t.team_id: t.enrolled for t in result.teams}
    assert arms == {1: True, 4: False, 7: False}
    assert result.did.estimate is not None
    assert "the enrolled clinic" in result.sentence and "2 clinics not enrolled" in result.sentence


def test_teams_are_compared_when_teams_were_enrolled_and_have_data():
    cells, _ = _demo_like()
    ids_of = {c.group.team_id for c in cells if c.group.kind == "team"}
    assert 2 in ids_of
    # Enrolling the Outpatient team only: at the team level, no other team has shown
    # results, so the clinic level (North holds the enrolled team) is used instead.
    by_group, enrolled, unit = comparison_groups(cells, [(date(2025, 5, 1), "Prehab", [2])])
    assert unit == "clinic" and 1 in enrolled and 4 not in enrolled
    # With a shown comparison team, teams it is.
    extra = _team_in(9, "Downtown team", _clinic(10, "Downtown"))
    same = [40, 41, 42, 43, 44]
    cells += [cell(extra, 0, D[0], same), cell(extra, 3, D[3], same)]
    by_group, enrolled, unit = comparison_groups(cells, [(date(2025, 5, 1), "Prehab", [2])])
    assert unit == "team" and enrolled == {2: date(2025, 5, 1)} and 9 in by_group


def test_the_headline_speaks_of_the_enrolled_group():
    cells, starts = _demo_like()
    key = enrolled_group_key(cells, starts)
    assert key == "clinic:1"
    text = trend_headline(cells, scale_name="Work-related burnout", starts=starts,
                          preferred=key)
    assert text.startswith("Work-related burnout at North fell from 60 to 45 since the Prehab")
    # Nothing enrolled with results on both sides: the organisation.
    assert enrolled_group_key(cells, [(date(2026, 1, 1), "Later", [1])]) is None


# --- actions on the impact figure ----------------------------------------------------------------

SPORTS_HIDDEN = date(2025, 7, 14)  # sample(): Sports is hidden (differencing) in that wave


def _sample_actions():
    s = sample()
    actions = [
        (date(2025, 5, 1), "Action: Rota review", [1]),
        (date(2025, 6, 2), "Action: Protect documentation time", [2]),
        (date(2025, 6, 2), "Action: Quiet room", [3]),  # Aquatics: hidden in every wave
        (date(2025, 6, 2), "Action: Another clinic's plan", [99]),  # not in this view
    ]
    return s, actions_in_view(s.cells, actions)


def test_actions_in_view_take_baseline_and_follow_ups_from_the_shown_cells():
    s, found = _sample_actions()
    assert [a.label for a in found] == [
        "Action: Rota review", "Action: Protect documentation time", "Action: Quiet room"]
    rota, documentation, quiet = found
    # The baseline is the last wave opened on or before the action's day; follow-ups after it.
    assert rota.baseline.wave_date == date(2025, 4, 14)
    assert [c.wave_date for c in rota.follow_ups] == WAVES[2:]
    north = {c.wave_date: c for c in s.cells if c.group.team_id == 1}
    assert rota.change == pytest.approx(north[WAVES[-1]].mean - north[date(2025, 4, 14)].mean)
    # A hidden follow-up stays hidden (no number); the change uses the latest SHOWN one.
    assert documentation.follow_ups[0].wave_date == SPORTS_HIDDEN
    assert documentation.follow_ups[0].suppressed and documentation.follow_ups[0].mean is None
    assert documentation.latest.wave_date == WAVES[-1]
    # A team hidden in every wave has no change at all.
    assert quiet.change is None and quiet.latest is None and quiet.baseline.suppressed


def test_the_impact_figure_marks_each_action_and_what_followed():
    s, found = _sample_actions()
    result = impact(s.cells_by_team, s.enrolled, scale_name="work-related burnout")
    fig = program_impact(result, program_name="Resilience", scale_name="Work-related burnout",
                         actions=found)
    layout = fig.layout.to_plotly_json()
    assert "xaxis3" in layout and layout["xaxis3"]["type"] == "date"  # a time axis, 3rd panel
    # Each action: a dotted line at its day, labelled with its title and date.
    marks = [a for a in fig.layout.annotations if a.hovertext and "Action" in a.hovertext]
    assert {a.x for a in marks} == {date(2025, 5, 1), date(2025, 6, 2)}
    rota = next(a for a in marks if "Rota" in a.text)
    assert "1 May 2025" in rota.text and (rota.xref, rota.yref) == ("x3", "y3 domain")
    assert {(s.x0, s.xref) for s in fig.layout.shapes} >= {(date(2025, 5, 1), "x3")}
    # Its team's means: exactly the shown cells, hidden waves as gaps (no number).
    lines = {t.name: t for t in fig.data if t.type == "scatter" and t.xaxis == "x3"
             and t.mode == "lines+markers+text"}
    north = {c.wave_date: c.mean for c in s.cells if c.group.team_id == 1}
    line = lines["Riverside North › Outpatient"]
    assert list(line.x) == WAVES[1:] and list(line.y) == [north[d] for d in WAVES[1:]]
    assert line.marker.symbol[0] == "diamond"  # the baseline
    change = north[WAVES[-1]] - north[WAVES[1]]
    # Several actions: the latest point names the team and carries the baseline.
    assert line.text[-1] == (
        f"Outpatient: {north[WAVES[1]]:.0f} → {north[WAVES[-1]]:.0f} ({change:+.0f})")
    # One action: its team is in the panel's title; the numbers sit at their own points.
    alone = program_impact(result, actions=found[:1])
    line = next(t for t in alone.data if t.type == "scatter" and t.mode == "lines+markers+text")
    assert line.text[0] == f"{north[WAVES[1]]:.0f} before"
    assert line.text[-1] == f"{north[WAVES[-1]]:.0f} after ({change:+.0f})"
    assert any(a.text == "After the action: Riverside North › Outpatient"
               for a in alone.layout.annotations)
    sports = lines["Riverside South › Sports"]
    assert sports.y[list(sports.x).index(SPORTS_HIDDEN)] is None
    # Hidden waves (Sports in July, Aquatics always) are grey crosses with their reason only.
    crosses = [t for t in fig.data if t.xaxis == "x3" and t.name.startswith("Hidden")]
    hover = " ".join(h for t in crosses for h in t.hovertext)
    assert "Aquatics" in hover and "cannot be worked out" in hover
    assert "Riverside North › Aquatics" not in lines
    # The difference-in-differences panel is still there, before the actions.
    assert "xaxis2" in layout and fig.data[0].type == "bar"


def test_without_actions_the_figure_has_no_time_panel():
    s = sample()
    result = impact(s.cells_by_team, s.enrolled)
    assert "xaxis3" not in program_impact(result).layout.to_plotly_json()
    assert "xaxis3" not in program_impact(result, actions=actions_in_view(
        s.cells, [(date(2025, 6, 2), "Action: elsewhere", [99])])).layout.to_plotly_json()


def _impact_figure(html: str, name: str = "impact") -> dict:
    data = re.search(rf'id="figure-data-{name}">(.*?)</script>', html, re.S).group(1)
    return json.loads(data)


def test_pages_and_presentation_show_the_action_with_protected_numbers(client, db):
    rw = results_world()
    practice = rw["practice"]
    # A team of 8 (shown) and the team of 3 beside it (always hidden), in the leader's clinic.
    shown_team, small = practice.teams[0], practice.teams[2]
    plan_day = date(2024, 4, 15)
    for acting, title in ((shown_team, "Rota review"), (small, "Quiet room")):
        create_action(rw["org"], acting, Plan(title, "Dana", plan_day + timedelta(days=30)),
                      started_on=plan_day, notify=False)
    db.session.commit()
    _k, cells = queries.burnout_series(rw["org"], queries.Filters(instrument="cbi-work",
                                                                  scale="work"),
                                       team_scope=None)
    mine = [c for c in cells if c.group.team_id == shown_team.id]
    shown = {c.wave_date: c.mean for c in mine}
    assert None not in shown.values()
    # Pages draw the actions inside figure 5; slides give them a slide of their own after it
    # (three stacked panels do not fit one screen).
    for user, url, name in (
        (rw["consultant"], "/o/riverside/results/present?scale=work", "actions"),
        (rw["consultant"], "/o/riverside/results/report.html?scale=work", "actions"),
        (rw["owner"], "/o/riverside/results/?scale=work", "impact"),
        (rw["leader"], "/o/riverside/results/?scale=work", "impact"),
    ):
        login(client, user)
        html = client.get(url).get_data(as_text=True)
        if name == "actions":
            assert html.index('id="figure-data-impact"') < html.index('id="figure-data-actions"')
            # The slide's sentence: numbers of the shown team only, none for the hidden one.
            assert re.search(r"After “Rota review” \(15 Apr 2024\), [^<]+? went from \d+ to \d+ "
                             r"\(\d+ respondents\)\.", html)
            assert "After “Quiet room” (15 Apr 2024), " in html
            assert "has no shown result to compare yet" in html
        fig = _impact_figure(html, name)
        texts = [a.get("text", "") for a in fig["layout"]["annotations"]]
        assert any("Rota review" in t and "15 Apr 2024" in t for t in texts), (user, texts)
        lines = [t for t in fig["data"] if t.get("mode") == "lines+markers+text"]
        line = lines[0]
        assert line["y"] == [shown[date.fromisoformat(x[:10])] for x in line["x"]]
        assert line["x"][0][:10] == WAVE_DATES[0].isoformat()  # the baseline
        # The hidden team's action: its waves as grey crosses, no line and no number.
        assert [t["name"] for t in lines] == [mine[0].group.label]
        crosses = [t for t in fig["data"] if t.get("xaxis") == line.get("xaxis")
                   and t.get("name", "").startswith("Hidden")]
        hovers = [h for t in crosses for h in t["hovertext"]]
        assert len(hovers) == len(WAVE_DATES)
        assert all("hidden (" in h and "mean" not in h for h in hovers)
        client.post("/logout")
