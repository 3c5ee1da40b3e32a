"""Difference-in-differences of four independent samples given as sufficient statistics."""
from __future__ import annotations

import math
from dataclasses import dataclass

from orgwell.metrics.stats.distributions import t_quantile
from orgwell.metrics.stats.summaries import Stats, mean_sd


@dataclass(frozen=True)
class DiD:
    """Difference-in-differences of four independent sample means.

    estimate = (treated_after - treated_before) - (control_after - control_before).
    se = sqrt(sum of s_i^2 / n_i) over the four samples (Welch); the interval uses Student t with
    Welch-Satterthwaite degrees of freedom `df`. low/high/se/df are None when a sample has n < 2
    (no variance), estimate is None when a sample is empty.
    """

    estimate: float | None
    low: float | None
    high: float | None
    se: float | None
    df: float | None
    treated_change: float | None
    control_change: float | None
    n_treated_before: int
    n_treated_after: int
    n_control_before: int
    n_control_after: int
    confidence: float = 0.95


def did(
    treated_before: Stats,
    treated_after: Stats,
    control_before: Stats,
    control_after: Stats,
    confidence: float = 0.95,
) -> DiD:
    """Difference-in-differences from four pooled (n, total, total_sq) samples.

    The four samples are treated as independent (survey answers are anonymous, so the same person's
    before and after cannot be paired); with the same people answering twice this usually makes the
    interval wider than a paired analysis would, not narrower.
    """
    samples = (treated_before, treated_after, control_before, control_after)
    summaries = [mean_sd(*sample) for sample in samples]
    means = [m for m, _ in summaries]
    ns = [sample[0] for sample in samples]
    treated_change = None if None in means[:2] else means[1] - means[0]
    control_change = None if None in means[2:] else means[3] - means[2]
    estimate = (
        None if treated_change is None or control_change is None
        else treated_change - control_change
    )
    se = df = low = high = None
    if estimate is not None and all(sd is not None for _, sd in summaries):
        terms = [sd * sd / n for (_, sd), n in zip(summaries, ns, strict=True)]
        variance = sum(terms)
        se = math.sqrt(variance)
        denominator = sum(term * term / (n - 1) for term, n in zip(terms, ns, strict=True))
        if variance > 0 and denominator > 0:
            df = variance * variance / denominator
            half = t_quantile(0.5 + confidence / 2, df) * se
        else:  # every answer identical in all four samples: no spread to speak of
            df = float(sum(ns) - 4)
            half = 0.0
        low, high = estimate - half, estimate + half
    return DiD(
        estimate=estimate, low=low, high=high, se=se, df=df,
        treated_change=treated_change, control_change=control_change,
        n_treated_before=ns[0], n_treated_after=ns[1],
        n_control_before=ns[2], n_control_after=ns[3], confidence=confidence,
    )
