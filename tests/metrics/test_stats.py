"""orgwell.metrics.stats against an independent computation with numpy and scipy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps

from orgwell.metrics import stats

# --- the t quantile, implemented without scipy -------------------------------------------------

PROBABILITIES = (0.5, 0.55, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9995, 0.025, 0.001)


@pytest.mark.parametrize("first", range(1, 1001, 100))
def test_t_quantile_matches_scipy_for_every_df_up_to_1000(first):
    for df in range(first, first + 100):
        for p in PROBABILITIES:
            assert stats.t_quantile(p, df) == pytest.approx(sps.t.ppf(p, df), abs=1e-6), (p, df)


@pytest.mark.parametrize("df", [0.5, 1.3, 2.5, 7.77, 36.88, 123.4, 5000.0, 1e6])
def test_t_quantile_for_fractional_and_large_df(df):
    """Welch-Satterthwaite degrees of freedom are fractional."""
    for p in PROBABILITIES:
        assert stats.t_quantile(p, df) == pytest.approx(sps.t.ppf(p, df), abs=1e-6)


def test_t_cdf_and_incomplete_beta_match_scipy():
    rng = np.random.default_rng(1)
    for _ in range(300):
        a, b, x = rng.uniform(0.2, 60), rng.uniform(0.2, 60), rng.uniform(0, 1)
        assert stats.betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), abs=1e-12)
        t, df = rng.normal(0, 4), rng.uniform(0.5, 500)
        assert stats.t_cdf(t, df) == pytest.approx(sps.t.cdf(t, df), abs=1e-12)
        assert stats.t_pdf(t, df) == pytest.approx(sps.t.pdf(t, df), rel=1e-12)


def test_normal_quantile_matches_scipy():
    for p in (1e-10, 1e-4, 0.01, 0.02425, 0.3, 0.5, 0.7, 0.97575, 0.999, 1 - 1e-9):
        assert stats.normal_quantile(p) == pytest.approx(sps.norm.ppf(p), abs=1e-9)


@pytest.mark.parametrize("bad", [(0.0, 5), (1.0, 5), (0.5, 0), (0.9, -1)])
def test_t_quantile_refuses_impossible_arguments(bad):
    with pytest.raises(ValueError):
        stats.t_quantile(*bad)


# --- means, SDs and intervals from sufficient statistics -----------------------------------------

def _sufficient(values) -> tuple[int, float, float]:
    values = np.asarray(values, dtype=float)
    return len(values), float(values.sum()), float((values ** 2).sum())


@pytest.mark.parametrize("seed", range(40))
def test_mean_ci_matches_numpy_and_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    values = np.round(rng.uniform(0, 100, size=n) / 25) * 25 if seed % 2 else rng.normal(50, 20, n)
    mean, sd, low, high = stats.mean_ci(*_sufficient(values))
    expected_low, expected_high = sps.t.interval(
        0.95, n - 1, loc=values.mean(), scale=sps.sem(values)
    )
    assert mean == pytest.approx(values.mean(), abs=1e-9)
    assert sd == pytest.approx(values.std(ddof=1), abs=1e-7)
    assert low == pytest.approx(expected_low, abs=1e-6)
    assert high == pytest.approx(expected_high, abs=1e-6)


def test_mean_ci_other_confidence_levels():
    values = np.array([10.0, 35.0, 50.0, 50.0, 75.0, 90.0])
    for level in (0.8, 0.9, 0.99):
        _, _, low, high = stats.mean_ci(*_sufficient(values), confidence=level)
        expected = sps.t.interval(level, 5, loc=values.mean(), scale=sps.sem(values))
        assert (low, high) == pytest.approx(expected, abs=1e-6)


def test_pooled_groups_equal_the_union():
    rng = np.random.default_rng(3)
    parts = [rng.uniform(0, 100, size=int(rng.integers(1, 20))) for _ in range(6)]
    pooled = stats.pool(_sufficient(p) for p in parts)
    union = np.concatenate(parts)
    assert stats.mean_ci(*pooled) == pytest.approx(stats.mean_ci(*_sufficient(union)))
    assert pooled[0] == len(union)


def test_stats_from_summary_round_trips():
    values = np.array([25.0, 50.0, 50.0, 75.0, 100.0, 0.0, 42.86])
    n, total, total_sq = _sufficient(values)
    mean, sd = stats.mean_sd(n, total, total_sq)
    assert stats.stats_from_summary(n, mean, sd) == pytest.approx((n, total, total_sq))


def test_small_and_degenerate_groups():
    assert stats.mean_ci(0, 0.0, 0.0) == (None, None, None, None)
    assert stats.mean_ci(1, 40.0, 1600.0) == (40.0, None, None, None)
    # All equal: rounding must not produce a negative variance (sqrt of a negative number).
    mean, sd, low, high = stats.mean_ci(3, 3 * 33.3, 3 * 33.3 ** 2)
    assert sd == pytest.approx(0.0, abs=1e-6) and low == pytest.approx(high, abs=1e-5)


def test_share_and_percent_high():
    assert stats.share_high(8, 2) == 0.25
    assert stats.pct_high(8, 2) == 25.0
    assert stats.share_high(0, 0) is None and stats.pct_high(0, 0) is None


# --- difference-in-differences ------------------------------------------------------------------

def _welch_did(samples):
    """The reference: the four means, their variances, Welch SE and Welch-Satterthwaite df."""
    means = [s.mean() for s in samples]
    terms = [s.var(ddof=1) / len(s) for s in samples]
    se = math.sqrt(sum(terms))
    df = sum(terms) ** 2 / sum(t * t / (len(s) - 1) for t, s in zip(terms, samples, strict=True))
    estimate = (means[1] - means[0]) - (means[3] - means[2])
    half = sps.t.ppf(0.975, df) * se
    return estimate, se, df, estimate - half, estimate + half


@pytest.mark.parametrize("seed", range(25))
def test_did_matches_an_independent_welch_computation(seed):
    rng = np.random.default_rng(100 + seed)
    samples = [rng.normal(rng.uniform(30, 70), rng.uniform(5, 25), int(rng.integers(2, 80)))
               for _ in range(4)]
    result = stats.did(*(_sufficient(s) for s in samples))
    estimate, se, df, low, high = _welch_did(samples)
    assert result.estimate == pytest.approx(estimate, abs=1e-9)
    assert result.se == pytest.approx(se, abs=1e-9)
    assert result.df == pytest.approx(df, rel=1e-9)
    assert (result.low, result.high) == pytest.approx((low, high), abs=1e-6)
    assert result.treated_change == pytest.approx(samples[1].mean() - samples[0].mean())
    assert (result.n_treated_before, result.n_control_after) == (len(samples[0]), len(samples[3]))


def test_did_interval_covers_the_true_effect_about_95_percent_of_the_time():
    """A simulation: with a true effect of -8 points the 95% interval should cover it ~95%."""
    rng = np.random.default_rng(2024)
    covered = 0
    runs = 2000
    for _ in range(runs):
        samples = [rng.normal(mu, 18, n) for mu, n in ((58, 12), (50, 11), (55, 9), (55, 10))]
        result = stats.did(*(_sufficient(s) for s in samples))
        covered += result.low <= -8 <= result.high
    assert 0.93 <= covered / runs <= 0.97


def test_did_without_variance_or_data():
    one = (1, 50.0, 2500.0)
    many = _sufficient([40.0, 60.0, 50.0])
    no_interval = stats.did(one, many, many, many)
    assert no_interval.estimate is not None
    assert no_interval.low is None and no_interval.se is None
    empty = stats.did((0, 0.0, 0.0), many, many, many)
    assert empty.estimate is None and empty.treated_change is None
