"""Invariants of scoring, for any answers (hypothesis): range, mean, order, minimum answered,
reversal, and bands that only ever rise with the score."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from orgwell.surveys.instruments.definition import parse_definition
from orgwell.surveys.instruments.files import builtin
from orgwell.surveys.scoring import band_for, score_response, score_scale

CBI = builtin("cbi")
BAND_RANK = {"below": 0, "high": 1}


@st.composite
def cbi_answers(draw):
    """Each CBI item unanswered (missing or None) or one of its option values."""
    answers = {}
    for item in CBI.items:
        choice = draw(st.sampled_from(["missing", "none", *[o.value for o in
                                                            CBI.options_for(item)]]))
        if choice == "none":
            answers[item.key] = None
        elif choice != "missing":
            answers[item.key] = choice
    return answers


@st.composite
def even_answer_set(draw):
    """Evenly spaced values written with at most two decimals, e.g. 1, 2, 3, 4, 5."""
    low = Decimal(draw(st.integers(-10_000, 10_000))) / 100
    step = Decimal(draw(st.integers(1, 5_000))) / 100
    count = draw(st.integers(2, 7))
    return [float(low + step * i) for i in range(count)]


def instrument_with(values, reversed_flags, cutoff=None, min_answered=1):
    return parse_definition({
        "key": "generated", "name": "Generated", "version": 1, "citation": "Tests.",
        "licence": "Tests.",
        "answer_sets": {"v": [{"label": f"option {i}", "value": v}
                              for i, v in enumerate(values)]},
        "scales": [{"key": "s", "name": "S", "min_answered": min_answered, "cutoff": cutoff,
                    "direction": "higher_is_worse"}],
        "items": [{"key": f"i{n}", "text": "?", "scale": "s", "answer_set": "v",
                   "reversed": flag} for n, flag in enumerate(reversed_flags)],
    })


@given(cbi_answers(), st.booleans())
def test_scores_stay_in_the_answer_range_and_follow_the_minimum(answers, patient_facing):
    results = score_response(CBI, answers, patient_facing=patient_facing)
    for scale in CBI.scales:
        result = results[scale.key]
        answered = sum(answers.get(i.key) is not None for i in CBI.items_in(scale.key))
        assert result.answered == answered
        if scale.patient_facing_only and not patient_facing:
            assert (result.score, result.band) == (None, "not_applicable")
        elif answered < scale.min_answered:
            assert (result.score, result.band) == (None, None)
        else:
            assert 0 <= result.score <= 100
            assert result.band == ("high" if result.score >= 50 else "below")


@given(cbi_answers())
def test_score_is_the_exact_mean_of_points_after_reversal(answers):
    for scale in CBI.scales:
        points = [
            Fraction(100 - v if item.reversed else v)
            for item in CBI.items_in(scale.key)
            if (v := answers.get(item.key)) is not None
        ]
        result = score_scale(CBI, scale.key, answers)
        if result.score is not None:
            assert result.score == float(sum(points) / len(points))


@given(cbi_answers(), st.randoms(use_true_random=False))
def test_order_of_answers_and_of_items_does_not_matter(answers, rnd: random.Random):
    shuffled_answers = dict(rnd.sample(list(answers.items()), len(answers)))
    data = CBI.to_dict()
    rnd.shuffle(data["items"])
    rnd.shuffle(data["scales"])
    reordered = parse_definition(data)
    expected = score_response(CBI, answers)
    assert score_response(CBI, shuffled_answers) == expected
    assert {k: v for k, v in score_response(reordered, shuffled_answers).items()} == expected


@given(even_answer_set(), st.data())
def test_identical_points_give_that_score(values, data):
    count = data.draw(st.integers(1, 8))
    instrument = instrument_with(values, [False] * count)
    value = data.draw(st.sampled_from(values))
    result = score_scale(instrument, "s", {f"i{n}": value for n in range(count)})
    assert result.score == value


@given(even_answer_set(), st.data())
def test_reversal_mirrors_the_answer_set_and_twice_is_identity(values, data):
    instrument = instrument_with(values, [True])
    item = instrument.item("i0")
    mirrored = {instrument.points(item, v) for v in values}
    assert mirrored == set(values)  # a permutation of the same points
    value = data.draw(st.sampled_from(values))
    once = instrument.points(item, value)
    assert instrument.points(item, once) == value
    assert once == float(Decimal(repr(min(values))) + Decimal(repr(max(values)))
                         - Decimal(repr(value)))


@given(even_answer_set(), st.data())
def test_reversing_every_item_mirrors_the_score(values, data):
    count = data.draw(st.integers(1, 6))
    picks = {f"i{n}": data.draw(st.sampled_from(values)) for n in range(count)}
    plain = score_scale(instrument_with(values, [False] * count), "s", picks).score
    mirrored = score_scale(instrument_with(values, [True] * count), "s", picks).score
    low, high = Fraction(repr(min(values))), Fraction(repr(max(values)))
    exact_plain = sum(Fraction(repr(v)) for v in picks.values()) / count
    assert plain == float(exact_plain)
    assert mirrored == float(low + high - exact_plain)


@given(even_answer_set(), st.data())
@settings(max_examples=200)
def test_band_never_falls_as_the_score_rises(values, data):
    cutoff = data.draw(st.sampled_from(values))
    count = data.draw(st.integers(1, 5))
    instrument = instrument_with(values, [False] * count, cutoff=cutoff)
    results = [
        score_scale(instrument, "s",
                    {f"i{n}": data.draw(st.sampled_from(values)) for n in range(count)})
        for _ in range(4)
    ]
    ordered = sorted(results, key=lambda r: r.score)
    ranks = [BAND_RANK[r.band] for r in ordered]
    assert ranks == sorted(ranks)
    for result in results:
        assert result.band == ("high" if result.score >= cutoff else "below")


@given(st.floats(0, 100, allow_nan=False), st.floats(0, 100, allow_nan=False),
       st.floats(0, 100, allow_nan=False))
def test_band_for_is_monotone(a, b, cutoff):
    low, high = sorted([a, b])
    assert BAND_RANK[band_for(low, cutoff)] <= BAND_RANK[band_for(high, cutoff)]


@given(st.integers(1, 7), st.data())
def test_minimum_answered_decides_whether_there_is_a_score(minimum, data):
    instrument = instrument_with([0, 50, 100], [False] * 7, min_answered=minimum)
    answered = data.draw(st.integers(0, 7))
    keys = data.draw(st.permutations([f"i{n}" for n in range(7)]))[:answered]
    result = score_scale(instrument, "s", dict.fromkeys(keys, 50))
    assert result.answered == answered
    assert (result.score is None) == (answered < minimum)


@given(cbi_answers(), cbi_answers(), st.dictionaries(
    st.text(max_size=8).filter(lambda k: k not in {i.key for i in CBI.items}),
    st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3))
def test_a_scale_depends_only_on_its_own_items(answers, others, unknown):
    """Answers to other scales' items, and keys the instrument does not know, change nothing."""
    for scale in CBI.scales:
        own = {item.key for item in CBI.items_in(scale.key)}
        mixed = {k: v for k, v in others.items() if k not in own}
        mixed.update({k: v for k, v in answers.items() if k in own})
        mixed.update(unknown)
        assert score_scale(CBI, scale.key, mixed) == score_scale(
            CBI, scale.key, {k: v for k, v in answers.items() if k in own})
