"""Scale scores and bands from one person's answers: pure functions, no Flask, no database.

The rules (CBI scoring sheet, applied to every instrument): a scale's score is the mean of the
points of its answered items after reversal; with fewer answered items than the scale's minimum
there is no score at all (a partial mean is never passed off as a score); the band is `high` at
or above the cut-off, `below` under it; a patient-facing-only scale (CBI client-related burnout)
is `not_applicable` for people who do not work with patients, never 0.

Arithmetic is exact on the values as written (see `Instrument.points_exact`), so a mean of
exactly 50 is `high` whatever the order of the answers. The band always comes from the exact,
unrounded mean (`ScaleResult.exact`); a score printed to 2 decimals is that exact mean rounded
half-up (`rounded`), so 49.996 prints "50.00" with band `below`: the band is the rule, the
printed number only a display.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from orgwell.surveys.instruments.definition import Instrument, exact

HIGH = "high"
BELOW = "below"
NOT_APPLICABLE = "not_applicable"
# Enough digits that sums of any allowed values are exact (values are bounded by the schema).
_PRECISION = 400


@dataclass(frozen=True)
class ScaleResult:
    scale: str
    score: float | None
    band: str | None  # "high" | "below" | "not_applicable" | None (not scorable, or no cut-off)
    answered: int
    exact: Decimal | None = field(default=None, compare=False)  # the unrounded mean

    def rounded(self, places: int = 2) -> Decimal | None:
        """The exact mean rounded half-up to `places` decimals (62.125 -> 62.13)."""
        if self.exact is None:
            return None
        return self.exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

    @property
    def scored(self) -> bool:
        return self.score is not None


def band_for(score: float | None, cutoff: float | None) -> str | None:
    """`high` when score >= cutoff, `below` under it; None without a score or a cut-off.

    For a score known only as a float (stored scores); `score_scale` bands the exact mean.
    """
    if score is None or cutoff is None:
        return None
    return HIGH if score >= cutoff else BELOW


def score_scale(
    instrument: Instrument,
    scale_key: str,
    answers: Mapping[str, float | None],
    *,
    patient_facing: bool = True,
) -> ScaleResult:
    """Score one scale.

    answers: item key -> the chosen option's stored value (before reversal); None or missing
    means unanswered; keys of other scales are ignored. Raises KeyError for an unknown scale and
    ValueError for a value that is not one of the item's options.
    """
    scale = instrument.scale(scale_key)
    points = [
        instrument.points_exact(item, answers[item.key])
        for item in instrument.items_in(scale_key)
        if answers.get(item.key) is not None
    ]
    answered = len(points)
    if scale.patient_facing_only and not patient_facing:
        return ScaleResult(scale_key, None, NOT_APPLICABLE, answered)
    if answered < scale.min_answered:
        return ScaleResult(scale_key, None, None, answered)
    with localcontext() as context:
        context.prec = _PRECISION
        mean = sum(points, Decimal(0)) / answered
    return ScaleResult(
        scale_key, float(mean), _exact_band(mean, scale.cutoff), answered, exact=mean
    )


def _exact_band(mean: Decimal, cutoff: float | None) -> str | None:
    """The band of an exact mean against the cut-off as written."""
    if cutoff is None:
        return None
    return HIGH if mean >= exact(cutoff) else BELOW


def score_response(
    instrument: Instrument,
    answers: Mapping[str, float | None],
    *,
    patient_facing: bool = True,
) -> dict[str, ScaleResult]:
    """Every scale of the instrument, in the instrument's order, keyed by scale key."""
    return {
        scale.key: score_scale(instrument, scale.key, answers, patient_facing=patient_facing)
        for scale in instrument.scales
    }
