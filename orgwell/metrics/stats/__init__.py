"""Statistics over rollup sufficient statistics: means, 95% intervals, difference-in-differences,
program impact. One module per topic; the public names are re-exported here so that
`from orgwell.metrics.stats import ...` keeps working.
"""
from orgwell.metrics.stats.did import DiD, did
from orgwell.metrics.stats.distributions import (
    betainc,
    normal_quantile,
    t_cdf,
    t_pdf,
    t_quantile,
)
from orgwell.metrics.stats.impact import (
    Impact,
    PooledChange,
    TeamChange,
    comparison_groups,
    impact,
    impact_sentence,
)
from orgwell.metrics.stats.summaries import (
    Stats,
    mean_ci,
    mean_sd,
    pct_high,
    pool,
    share_high,
    stats_from_summary,
)

__all__ = [
    "DiD", "Impact", "PooledChange", "Stats", "TeamChange", "betainc", "comparison_groups", "did",
    "impact",
    "impact_sentence", "mean_ci", "mean_sd", "normal_quantile", "pct_high", "pool",
    "share_high", "stats_from_summary", "t_cdf", "t_pdf", "t_quantile",
]
