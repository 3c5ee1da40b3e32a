"""Means, standard deviations, 95% intervals and shares from sufficient statistics.

Rollups keep (n, total, total_sq) per group so that any union of groups pools exactly; everything
here works from those three numbers (or from a shown cell's n, mean and sd, which carry the same
information).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from orgwell.metrics.stats.distributions import t_quantile

Stats = tuple[int, float, float]  # (n, total, total_sq): a group's sufficient statistics


def pool(parts: Iterable[Stats]) -> Stats:
    """Sum sufficient statistics of disjoint groups into the statistics of their union."""
    n, total, total_sq = 0, 0.0, 0.0
    for part_n, part_total, part_sq in parts:
        n += part_n
        total += part_total
        total_sq += part_sq
    return n, total, total_sq


def stats_from_summary(n: int, mean: float, sd: float | None) -> Stats:
    """Rebuild (n, total, total_sq) from a shown cell's n, mean and sd (sd None when n < 2)."""
    total = n * mean
    variance = (sd or 0.0) ** 2
    return n, total, (n - 1) * variance + n * mean * mean


def mean_sd(n: int, total: float, total_sq: float) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (n - 1 denominator); None where undefined (n < 1, < 2)."""
    if n < 1:
        return None, None
    mean = total / n
    if n < 2:
        return mean, None
    # Rounding can make the corrected sum of squares a hair negative when all scores are equal.
    ss = max(total_sq - total * total / n, 0.0)
    return mean, math.sqrt(ss / (n - 1))


def mean_ci(
    n: int, total: float, total_sq: float, confidence: float = 0.95
) -> tuple[float | None, float | None, float | None, float | None]:
    """(mean, sd, ci_low, ci_high) of a group from its sufficient statistics.

    The interval is mean +/- t(1 - alpha/2, n - 1) * sd / sqrt(n) (Student t). With n < 2 there is
    no interval (low/high None); with n < 1 everything is None.
    """
    mean, sd = mean_sd(n, total, total_sq)
    if mean is None or sd is None:
        return mean, sd, None, None
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return mean, sd, mean - half, mean + half


def share_high(n: int, n_high: int) -> float | None:
    """Fraction (0..1) of respondents at or above the cut-off; None for an empty group."""
    return n_high / n if n > 0 else None


def pct_high(n: int, n_high: int) -> float | None:
    """Percentage (0..100) of respondents at or above the cut-off; None for an empty group."""
    share = share_high(n, n_high)
    return None if share is None else 100.0 * share


def wave_order(cell: Any) -> tuple:
    """Sort key of a cell's wave: its date, then its id (two waves may open on one day)."""
    return cell.wave_date, cell.wave_id
