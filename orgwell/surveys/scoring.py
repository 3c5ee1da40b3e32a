"""Scale scores and bands from one person's answers: pure functions, no Flask, no database.

The rules (CBI scoring sheet, applied to every instrument): a scale's score is the mean of the
points of its answered items after reversal; with fewer answered items than the scale's minimum
there is no score at all (a partial mean is never passed off as a score); the band is `high` at
or above the cut-off, `below` under it; a patient-facing-only scale (CBI client-related burnout)
is `not_applicable` for people who do not work with patients, never 0.

Arithmetic is exact on the values as written (see `Instrument.points_exact`), so a mean of
exactly 50 is `high` whatever the order of the answers; the band always uses the unrounded score.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from orgwell.surveys.instruments.definition import Instrument

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

    @property
    def scored(self) -> bool:
        return self.score is not None


def band_for(score: float | None, cutoff: float | None) -> str | None:
    """`high` when score >= cutoff, `below` under it; None without a score or a cut-off.

    Compares the score as reported (the exact mean rounded once to a float), so the band can
    never disagree with the number shown beside it.
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
    score = float(mean)
    return ScaleResult(scale_key, score, band_for(score, scale.cutoff), answered)


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
