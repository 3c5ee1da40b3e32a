"""Scoring against the reference rules (shared/reference/instruments.md): mean of the answered
items after reversal, minimum answered per scale, item 13 reversed, 50 exactly is high, and the
client scale not applicable to people who do not work with patients."""
from __future__ import annotations

import pytest

from orgwell.surveys.instruments.definition import parse_definition
from orgwell.surveys.instruments.files import builtin
from orgwell.surveys.scoring import ScaleResult, band_for, score_response, score_scale

ALWAYS, OFTEN, SOMETIMES, SELDOM, NEVER = 100, 75, 50, 25, 0


@pytest.fixture(scope="module")
def cbi():
    return builtin("cbi")


def answers(**values):
    return dict(values)


@pytest.mark.parametrize(
    ("scale", "keys", "minimum"),
    [
        ("personal", [f"q{n}" for n in range(1, 7)], 3),
        ("work", [f"q{n}" for n in range(7, 13)], 4),  # q13 left out: it is reversed
        ("client", [f"q{n}" for n in range(14, 20)], 3),
    ],
)
def test_minimum_answered_items(cbi, scale, keys, minimum):
    too_few = dict.fromkeys(keys[: minimum - 1], OFTEN)
    result = score_scale(cbi, scale, too_few)
    assert result == ScaleResult(scale, None, None, minimum - 1)
    enough = dict.fromkeys(keys[:minimum], OFTEN)
    assert score_scale(cbi, scale, enough) == ScaleResult(scale, 75.0, "high", minimum)


def test_score_is_the_mean_of_the_answered_items_only(cbi):
    result = score_scale(cbi, "personal", {"q1": ALWAYS, "q2": OFTEN, "q3": NEVER, "q4": None})
    assert result.score == pytest.approx(175 / 3)
    assert result.answered == 3
    assert result.band == "high"
    below = score_scale(cbi, "personal", {"q1": SELDOM, "q2": SOMETIMES, "q3": NEVER,
                                          "q5": SELDOM})
    assert below == ScaleResult("personal", 25.0, "below", 4)


def test_item_13_is_scored_in_reverse(cbi):
    all_always = dict.fromkeys([f"q{n}" for n in range(7, 14)], ALWAYS)
    assert score_scale(cbi, "work", all_always).score == pytest.approx(600 / 7)
    all_never = dict.fromkeys([f"q{n}" for n in range(7, 14)], NEVER)
    assert score_scale(cbi, "work", all_never).score == pytest.approx(100 / 7)
    only_13 = {"q10": NEVER, "q11": NEVER, "q12": NEVER, "q13": NEVER}
    assert score_scale(cbi, "work", only_13) == ScaleResult("work", 25.0, "below", 4)


def test_fifty_exactly_is_high(cbi):
    exactly = {"q1": ALWAYS, "q2": NEVER, "q3": SOMETIMES, "q4": ALWAYS, "q5": NEVER}
    assert score_scale(cbi, "personal", exactly) == ScaleResult("personal", 50.0, "high", 5)
    # Six items: 4 x 50 + 75 + 25 = 300 / 6 = 50.
    work = {"q7": 50, "q8": 50, "q9": 50, "q10": 75, "q11": 25, "q12": 50}
    assert score_scale(cbi, "work", work).band == "high"
    # With q13 answered Always (reversed: 0 points): 300 / 7 = 42.86, below.
    work_below = {**work, "q13": ALWAYS}
    result = score_scale(cbi, "work", work_below)
    assert result.band == "below" and round(result.score, 2) == 42.86


def test_cutoff_boundary_with_hundredths():
    data = {
        "key": "boundary", "name": "Boundary", "version": 1, "citation": "Tests.",
        "licence": "Tests.",
        "answer_sets": {"v": [{"label": "a", "value": 50}, {"label": "b", "value": 49.99},
                              {"label": "c", "value": 0}, {"label": "d", "value": 100}]},
        "scales": [{"key": "s", "name": "S", "min_answered": 1, "cutoff": 50,
                    "direction": "higher_is_worse"}],
        "items": [{"key": "i1", "text": "?", "scale": "s", "answer_set": "v"},
                  {"key": "i2", "text": "?", "scale": "s", "answer_set": "v"}],
    }
    instrument = parse_definition(data)
    assert score_scale(instrument, "s", {"i1": 50}).band == "high"
    assert score_scale(instrument, "s", {"i1": 49.99}).band == "below"
    assert score_scale(instrument, "s", {"i1": 49.99, "i2": 50}) == ScaleResult(
        "s", 49.995, "below", 2)
    assert score_scale(instrument, "s", {"i1": 0, "i2": 100}).band == "high"
    assert band_for(50.0, 50) == "high"
    assert band_for(49.99, 50) == "below"
    assert band_for(None, 50) is None
    assert band_for(80.0, None) is None


def test_client_scale_is_not_applicable_for_people_not_facing_patients(cbi):
    every = {f"q{n}": OFTEN for n in range(1, 20)}
    results = score_response(cbi, every, patient_facing=False)
    assert results["client"] == ScaleResult("client", None, "not_applicable", 6)
    assert results["personal"] == ScaleResult("personal", 75.0, "high", 6)
    assert results["work"].score == pytest.approx((6 * 75 + 25) / 7)
    facing = score_response(cbi, every)
    assert facing["client"] == ScaleResult("client", 75.0, "high", 6)
    # Not applicable even with no answers at all: never 0, never "not scorable".
    empty = score_response(cbi, {}, patient_facing=False)["client"]
    assert empty.band == "not_applicable" and empty.score is None


def test_score_response_covers_every_scale_in_order(cbi):
    results = score_response(cbi, {})
    assert list(results) == ["personal", "work", "client"]
    assert all(r.score is None and r.band is None and r.answered == 0 for r in results.values())


def test_the_pulse_scores_like_the_full_inventory(cbi):
    work = {"q7": 75, "q8": 50, "q9": 25, "q10": 100, "q11": 50, "q12": None, "q13": 25}
    assert score_response(builtin("cbi-work"), work)["work"] == score_scale(cbi, "work", work)


def test_values_that_are_not_options_are_refused(cbi):
    with pytest.raises(ValueError):
        score_scale(cbi, "personal", {"q1": 60, "q2": 50, "q3": 50})
    with pytest.raises(KeyError):
        score_scale(cbi, "total", {})


def test_answers_of_other_scales_are_ignored(cbi):
    result = score_scale(cbi, "personal", {"q1": 100, "q2": 100, "q3": 100, "q14": 0, "zz": 3})
    assert result == ScaleResult("personal", 100.0, "high", 3)
