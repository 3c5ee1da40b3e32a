"""The confidentiality decision: the issue's rules, example by example, and as properties."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orgwell.metrics.confidentiality import (
    REASON_DIFFERENCING,
    Node,
    decide,
    maximal_shown_below,
    small_reason,
)
from tests.metrics.confidentiality_checks import assert_nothing_derivable

K = 5


def family(org_extra: int, clinics: list[tuple[int, list[int]]], invited=None):
    """Nodes for an org whose clinics have (direct respondents, [team respondents])."""
    nodes, total = [], org_extra
    for c, (direct, teams) in enumerate(clinics):
        clinic_total = direct + sum(teams)
        total += clinic_total
        nodes.append(Node(f"clinic:{c}", "org", (clinic_total,)))
        nodes.extend(Node(f"team:{c}.{t}", f"clinic:{c}", (n,)) for t, n in enumerate(teams))
    nodes.append(Node("org", None, (total,)))
    return nodes


def shown_as_cells(nodes, decision):
    return [("w", n.key, {"n": n.measures[0] if decision.is_shown(n.key) else None})
            for n in nodes]


def parents(nodes):
    return {n.key: n.parent for n in nodes}


def test_groups_under_k_are_hidden_with_the_reason():
    nodes = family(0, [(0, [6, 4, 7])])
    decision = decide(nodes, K)
    assert not decision.is_shown("team:0.1")
    assert decision.reason("team:0.1") == "fewer than 5 responses" == small_reason(5)
    assert decision.is_shown("team:0.2") and decision.reason("team:0.2") is None


def test_a_hidden_child_is_protected_by_hiding_the_next_smallest_sibling():
    # clinic 17 = 6 + 4 + 7: showing 6 and 7 would reveal the 4 as 17 - 6 - 7.
    nodes = family(0, [(0, [6, 4, 7])])
    decision = decide(nodes, K)
    assert not decision.is_shown("team:0.0")  # the smallest shown sibling
    assert decision.reason("team:0.0") == REASON_DIFFERENCING
    assert decision.is_shown("team:0.2") and decision.is_shown("clinic:0")
    assert_nothing_derivable(shown_as_cells(nodes, decision), parents(nodes), K)


def test_hidden_siblings_that_together_reach_k_need_nothing_more():
    nodes = family(0, [(0, [3, 3, 8])])
    decision = decide(nodes, K)
    assert decision.is_shown("team:0.2") and decision.is_shown("clinic:0")
    assert decision.is_shown("org")


def test_the_parent_is_hidden_when_no_sibling_is_left_to_hide():
    # clinic of 7 = 7 in one team + ... nothing to hide but the team itself, then the clinic
    # block is 7 -> fine; with 2 people attached to the clinic directly and a 6-team:
    nodes = family(0, [(2, [6]), (0, [9])])
    decision = decide(nodes, K)
    # clinic 0 (8) minus team (6) = 2: the team is hidden (a sibling), and clinic 0 stays.
    assert not decision.is_shown("team:0.0")
    assert decision.is_shown("clinic:0")
    assert_nothing_derivable(shown_as_cells(nodes, decision), parents(nodes), K)


def test_nested_groups_never_differ_by_less_than_k():
    # the organisation has one clinic with 12 and one person with no team
    nodes = family(1, [(0, [12])])
    decision = decide(nodes, K)
    shown = [n for n in nodes if decision.is_shown(n.key)]
    for a, b in itertools.combinations(shown, 2):
        assert not 0 < abs(a.measures[0] - b.measures[0]) < K
    assert_nothing_derivable(shown_as_cells(nodes, decision), parents(nodes), K)


def test_equal_nested_groups_may_both_show():
    nodes = family(0, [(0, [12])])
    decision = decide(nodes, K)
    assert decision.shown == {"org", "clinic:0", "team:0.0"}


def test_invited_counts_are_protected_like_respondents():
    # team 1 has 0 respondents of 3 invited: invited of clinic minus team 0 would reveal 3.
    nodes = [Node("org", None, (12, 20)), Node("clinic:0", "org", (12, 20)),
             Node("team:0.0", "clinic:0", (12, 17)), Node("team:0.1", "clinic:0", (0, 3))]
    decision = decide(nodes, K)
    assert not decision.is_shown("team:0.0")
    cells = [("w", n.key, {"responded": n.measures[0], "invited": n.measures[1]})
             for n in nodes if decision.is_shown(n.key)]
    assert_nothing_derivable(cells, parents(nodes), K)


def test_decisions_are_deterministic_and_refuse_bad_input():
    nodes = family(0, [(0, [6, 6, 2])])
    assert decide(nodes, K) == decide(list(reversed(nodes)), K)
    with pytest.raises(ValueError):
        decide([Node("team:1", "clinic:9", (5,))], K)
    with pytest.raises(ValueError):
        decide(nodes, 0)


def test_maximal_shown_below_skips_hidden_levels():
    children = {"org": ["clinic:0"], "clinic:0": ["team:0", "team:1"], "team:0": [], "team:1": []}
    assert maximal_shown_below(children, {"org", "team:0"}, "org") == ["team:0"]


def test_the_checker_catches_each_kind_of_leak():
    fam = {"org": None, "clinic:0": "org", "team:0": "clinic:0", "team:1": "clinic:0"}
    with pytest.raises(AssertionError, match="< k"):
        assert_nothing_derivable([("w", "team:0", {"n": 3})], fam, K)
    with pytest.raises(AssertionError, match="leaves"):  # clinic 10 - team 7 = 3
        assert_nothing_derivable(
            [("w", "clinic:0", {"n": 10}), ("w", "team:0", {"n": 7})], fam, K)
    with pytest.raises(AssertionError, match="differ"):  # org 9 vs team 6, clinic hidden
        assert_nothing_derivable([("w", "org", {"n": 9}), ("w", "team:0", {"n": 6}),
                                  ("w", "team:1", {"n": 3 + 5})], fam, K)
    with pytest.raises(AssertionError, match="shows n=6 and 7"):
        assert_nothing_derivable([("w", "org", {"n": 6}), ("w", "org", {"n": 7})], fam, K)
    assert_nothing_derivable([("w", "org", {"n": 12}), ("w", "team:0", {"n": 7}),
                              ("w", "team:1", {"n": None})], fam, K)


clinic = st.tuples(st.integers(0, 3), st.lists(st.integers(0, 12), min_size=0, max_size=4))


@settings(max_examples=300, deadline=None)
@given(clinics=st.lists(clinic, min_size=1, max_size=5), extra=st.integers(0, 4),
       k=st.integers(3, 7))
def test_no_decision_lets_a_small_group_be_derived(clinics, extra, k):
    nodes = family(extra, clinics)
    decision = decide(nodes, k)
    for node in nodes:
        if decision.is_shown(node.key):
            assert node.measures[0] >= k
        else:
            assert decision.reason(node.key)
    assert_nothing_derivable(shown_as_cells(nodes, decision), parents(nodes), k)


@settings(max_examples=200, deadline=None)
@given(clinics=st.lists(clinic, min_size=1, max_size=4), extra=st.integers(0, 4),
       k=st.integers(3, 7), data=st.data())
def test_any_narrower_view_of_a_decision_is_still_safe(clinics, extra, k, data):
    """A leader's scope or a team filter shows a subset of the shown groups: still safe."""
    nodes = family(extra, clinics)
    decision = decide(nodes, k)
    subset = set()
    if decision.shown:
        subset = data.draw(st.sets(st.sampled_from(sorted(decision.shown))))
    cells = [("w", n.key, {"n": n.measures[0]}) for n in nodes if n.key in subset]
    assert_nothing_derivable(cells, parents(nodes), k)


# --- one decision over several measures (respondents, invited, each scale's n) ---------------


def test_a_scale_answered_by_fewer_than_k_hides_the_whole_group():
    # team 0.1: 6 responded, but only 3 have a score on the second scale
    nodes = [Node("org", None, (18, 20, 18, 15)), Node("clinic:0", "org", (18, 20, 18, 15)),
             Node("team:0.0", "clinic:0", (12, 13, 12, 12)),
             Node("team:0.1", "clinic:0", (6, 7, 6, 3))]
    decision = decide(nodes, K)
    assert not decision.is_shown("team:0.1")
    assert decision.reason("team:0.1") == small_reason(K)
    # the clinic minus team 0.0 is team 0.1 on every measure: it must not show beside it
    assert not decision.is_shown("team:0.0") or not decision.is_shown("clinic:0")
    assert_every_measure_safe(nodes, decision, ("responded", "invited", "n", "n2"))


def test_a_measure_of_zero_does_not_hide_a_group():
    # nobody in team 0.1 works with patients: the client scale is 0 there, which shows no answer
    nodes = [Node("org", None, (12, 12, 6)), Node("clinic:0", "org", (12, 12, 6)),
             Node("team:0.0", "clinic:0", (6, 6, 6)), Node("team:0.1", "clinic:0", (6, 6, 0))]
    assert decide(nodes, K).shown == {"org", "clinic:0", "team:0.0", "team:0.1"}


def test_the_respondent_count_can_be_given_apart_from_the_measures():
    # two programs: 3 and 6 people of the team; the team counts at least max(3, 6) people,
    # but 3 of one program would still be singled out
    assert not Node("team:1", None, (3, 6), respondents=6).passes(K)
    assert Node("team:1", None, (0, 6), respondents=6).passes(K)
    assert not Node("team:1", None, (0, 6), respondents=4).passes(K)
    # the smallest sibling is chosen by the respondent count
    nodes = [Node("org", None, (17, 17), respondents=17),
             Node("team:a", "org", (6, 6), respondents=9),
             Node("team:b", "org", (4, 4), respondents=4),
             Node("team:c", "org", (7, 7), respondents=7)]
    decision = decide(nodes, K, too_few="fewer than 5 people")
    assert decision.reason("team:b") == "fewer than 5 people"
    assert not decision.is_shown("team:c") and decision.is_shown("team:a")


def test_every_group_of_a_family_has_the_same_measures():
    with pytest.raises(ValueError):
        decide([Node("org", None, (6, 6)), Node("clinic:0", "org", (6,))], K)


def assert_every_measure_safe(nodes, decision, names):
    cells = [("w", n.key, dict(zip(names, (m if m else None for m in n.measures), strict=True)))
             for n in nodes if decision.is_shown(n.key)]
    assert_nothing_derivable(cells, parents(nodes), K)


scored_clinic = st.tuples(
    st.integers(0, 3),
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 3)),
             min_size=0, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(clinics=st.lists(scored_clinic, min_size=1, max_size=4), extra=st.integers(0, 3),
       k=st.integers(3, 7))
def test_no_measure_of_a_joint_decision_lets_a_small_group_be_derived(clinics, extra, k):
    """Respondents, invited and two scales' n (each at most the respondents), decided once:
    nothing under k can be worked out from any of them, nor from any pair of surfaces."""
    nodes, org = [], [extra, extra + 2, extra, 0]
    for c, (direct, teams) in enumerate(clinics):
        clinic = [direct, direct, direct, 0]
        for t, (responded, missing_work, missing_client) in enumerate(teams):
            values = [responded, responded + 1, max(responded - missing_work, 0),
                      max(responded - missing_client, 0)]
            nodes.append(Node(f"team:{c}.{t}", f"clinic:{c}", tuple(values)))
            clinic = [a + b for a, b in zip(clinic, values, strict=True)]
        nodes.append(Node(f"clinic:{c}", "org", tuple(clinic)))
        org = [a + b for a, b in zip(org, clinic, strict=True)]
    nodes.append(Node("org", None, tuple(org)))
    decision = decide(nodes, k)
    cells = []
    for node in nodes:
        if decision.is_shown(node.key):
            assert node.count >= k and all(m == 0 or m >= k for m in node.measures)
            cells.append(("w", node.key, {
                "responded": node.measures[0], "invited": node.measures[1]}))
            for scale, n in (("work", node.measures[2]), ("client", node.measures[3])):
                cells.append((scale, node.key, {"n": n or None}))
    assert_nothing_derivable(cells, parents(nodes), k)
