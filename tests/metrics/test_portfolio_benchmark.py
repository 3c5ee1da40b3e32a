"""The anonymous benchmark shows no single organisation's result: no lowest or highest, and
quartiles that always lie between two organisations' results (or on a result two share)."""
from __future__ import annotations

import json
import random
import re

import pytest

from orgwell.metrics import portfolio, queries
from orgwell.metrics.figures import figure_json
from tests import factories
from tests.metrics.conftest import answer_wave, close_wave, make_practice, open_survey_wave
from tests.metrics.results_fixtures import WAVE_DATES, login, results_world

FILTERS = queries.Filters(instrument="cbi-work", scale="work")


def _lone(values: list[float], number: float) -> bool:
    """Whether `number` is the result of exactly one organisation (so it would reveal it)."""
    return sum(1 for v in values if v == number) == 1


def _samples(rng: random.Random, n: int) -> list[float]:
    """Results as they come (any float), on a coarse grid (ties, symmetric neighbours) and
    in whole points."""
    kind = rng.randrange(3)
    if kind == 0:
        return [rng.uniform(10, 90) for _ in range(n)]
    if kind == 1:
        return [rng.choice((40.0, 42.5, 45.0, 47.5, 50.0, 52.5)) for _ in range(n)]
    return [float(rng.randint(30, 60)) for _ in range(n)]


@pytest.mark.parametrize("n", [5, 6, 7, 8, 9])
def test_no_quartile_is_one_organisations_result(n):
    rng = random.Random(n)
    for _ in range(2000):
        values = _samples(rng, n)
        quartiles = portfolio.anonymous_quartiles(values)
        for value in quartiles:
            assert not _lone(values, value), (sorted(values), quartiles)
            assert min(values) <= value <= max(values)
        assert quartiles[0] <= quartiles[1] <= quartiles[2]


def test_small_counts_are_averages_of_neighbours():
    # Five: the two lowest and the two highest averaged; the median smoothed over its
    # neighbours, (20 + 2 * 31 + 40) / 4.
    assert portfolio.anonymous_quartiles([10, 20, 31, 40, 50]) == (15, 30.5, 45)
    # Symmetric neighbours would smooth back to the middle organisation's own 30: the lower
    # half-way point instead.
    assert portfolio.anonymous_quartiles([10, 20, 30, 40, 50]) == (15, 25, 45)
    # Ties: a number two organisations share reveals neither (the lone 30 is still avoided).
    assert portfolio.anonymous_quartiles([20, 20, 30, 40, 40]) == (20, 25, 40)
    assert portfolio.anonymous_quartiles([20, 30, 30, 30, 40]) == (25, 30, 35)
    # Six and eight: interpolated between two neighbours.
    assert portfolio.anonymous_quartiles([10, 20, 30, 40, 50, 60]) == (17.5, 35, 52.5)
    assert portfolio.anonymous_quartiles([10, 20, 30, 40, 50, 60, 70, 80]) == (
        22.5, 45, 67.5)
    # Seven: every exclusive position falls on an organisation; each is smoothed.
    assert portfolio.anonymous_quartiles([1, 2, 4, 8, 16, 32, 64]) == (2.25, 9, 36)


def test_fewer_than_five_organisations_give_no_distribution():
    assert portfolio.distribution([40.0, 50.0, 60.0, 70.0]) is None
    assert portfolio.distribution([]) is None
    assert portfolio.distribution([40.0, 50.0, 60.0, 72.0, 80.0]) == (45, 61, 76)


def test_the_distribution_is_in_whole_points_rounded_half_up():
    assert portfolio.distribution([40.0, 41.0, 50.0, 52.0, 53.0]) == (41, 48, 53)


def _client(slug: str, consultant, seed: int):
    practice = make_practice([(0, [7, 6])], slug=slug, name=f"Client {slug}")
    factories.ConsultantGrantFactory(organisation=practice.org, consultant=consultant)
    wave = open_survey_wave(practice, WAVE_DATES[-1])
    answer_wave(wave, random.Random(seed), rate=1.0)
    close_wave(wave)
    return practice.org


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _figure_numbers(fig) -> list[float]:
    """Every number the figure's traces carry (positions, bases, and numbers in hover text)."""
    found: list[float] = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, bool):
            return
        elif isinstance(node, int | float):
            found.append(float(node))
        elif isinstance(node, str):
            found.extend(_numbers(node))

    walk(json.loads(figure_json(fig))["data"])
    return found


def test_the_benchmark_of_five_to_nine_clients_shows_none_of_their_results(client, db):
    rw = results_world()
    consultant = rw["consultant"]
    clients = [_client(f"client-{i}", consultant, 100 + i) for i in range(4)]
    assert portfolio.benchmark(consultant, rw["org"], FILTERS, "Work") is None
    login(client, consultant)
    for i in range(4, 9):
        clients.append(_client(f"client-{i}", consultant, 100 + i))
        values = [portfolio.latest_org_total(org, FILTERS).mean for org in clients]
        bench = portfolio.benchmark(consultant, rw["org"], FILTERS, "Work")
        assert bench is not None and bench.contributors == len(clients) == i + 1
        assert not hasattr(bench, "low") and not hasattr(bench, "high")
        fig = portfolio.benchmark_figure(bench)
        assert all(trace.type != "box" for trace in fig.data)  # no whiskers, no fences
        shown = _figure_numbers(fig) + _numbers(bench.sentence)
        # Before rounding, too: no quartile is one lone organisation's exact result.
        exact = portfolio.anonymous_quartiles(values)
        for value in values:
            assert value not in shown or not _lone(values, value), (value, shown)
            assert value not in exact or not _lone(values, value), (value, exact)
        assert min(values) not in shown and max(values) not in shown
        assert [bench.q1, bench.median, bench.q3] == [
            portfolio.whole_points(q) for q in portfolio.anonymous_quartiles(values)
        ]
        html = client.get("/o/riverside/results/present").get_data(as_text=True)
        assert f"Across {i + 1} other organisations" in html
        assert f"between {bench.q1} and {bench.q3} (median {bench.median})" in html
        assert "no single organisation" in html
        assert "never the lowest or highest" in html  # the deck's note on the benchmark
