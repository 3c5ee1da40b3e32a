"""Program impact (figure 5): windows, pooling and difference-in-differences from shown cells.

The reference computation works on the raw scores behind the cells with numpy/scipy (Welch SE,
Welch-Satterthwaite df), so the check does not reuse anything from orgwell.metrics.stats.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy import stats as sps

from orgwell.metrics.headlines import enrolled_group_key, trend_headline
from orgwell.metrics.queries import Group
from orgwell.metrics.stats import comparison_groups, impact
from tests.metrics.figure_fixtures import ORG, cell, hidden, sample, team

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
