"""A member's own survey pages: open invitations ("My surveys") and own trend ("My results").

Only confidential campaigns link a response to a person, so "My results" can only ever show
those; anonymous answers are shown once, right after sending, and never again. Everything
here is scoped to one membership: no function takes another person's id.

The trend chart is plain SVG built from `trend_chart` (a pure function): it works without
JavaScript under the strict CSP, and the same numbers are in a table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.surveys.invitations import closes_label
from orgwell.surveys.models import Campaign, Invitation, Response, Wave
from orgwell.surveys.scoring import HIGH, NOT_APPLICABLE
from orgwell.surveys.survey import reword

RECENTLY_ANSWERED = 5


@dataclass(frozen=True)
class OpenSurvey:
    """An invitation the member can still answer."""

    invitation_id: int
    name: str  # the campaign's name
    instrument: str
    minutes: int
    closes_at: datetime
    mode: str

    @property
    def closes_label(self) -> str:
        return closes_label(self.closes_at)


def open_surveys(membership, now: datetime | None = None) -> list[OpenSurvey]:
    """The member's unanswered invitations of open waves, the soonest deadline first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Invitation, Wave, Campaign)
        .join(Wave, Wave.id == Invitation.wave_id)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(
            Invitation.membership_id == membership.id,
            Invitation.organisation_id == membership.organisation_id,
            Invitation.answered.is_(False),
            Wave.status == "open",
            Wave.closes_at > now,
        )
        .order_by(Wave.closes_at, Invitation.id)
    ).all()
    surveys = []
    for invitation, wave, campaign in rows:
        instrument = campaign.instrument_version.instrument
        surveys.append(
            OpenSurvey(invitation.id, campaign.name, instrument.name,
                       instrument.estimated_minutes, wave.closes_at, campaign.mode)
        )
    return surveys


def answered_recently(membership, limit: int = RECENTLY_ANSWERED) -> list[tuple[str, date]]:
    """(campaign name, answered on) of the member's last answered invitations.

    An anonymous invitation keeps no date of answering: the wave's opening date stands in.
    """
    answered_on = func.coalesce(Invitation.answered_on, Wave.opens_on)
    rows = db.session.execute(
        select(Campaign.name, answered_on)
        .join(Wave, Wave.id == Invitation.wave_id)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(
            Invitation.membership_id == membership.id,
            Invitation.organisation_id == membership.organisation_id,
            Invitation.answered.is_(True),
        )
        .order_by(answered_on.desc(), Invitation.id.desc())
        .limit(limit)
    ).all()
    return [(name, answered_on) for name, answered_on in rows]


# --- My results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    on: date
    score: float | None  # None: too few answers for a score
    band: str | None


@dataclass
class ScaleTrend:
    """One scale's scores over time for one person."""

    key: str
    name: str
    meaning: str
    cutoff: float | None
    low: float
    high: float
    direction: str
    points: list[Point] = field(default_factory=list)

    @property
    def latest(self) -> Point | None:
        scored = [p for p in self.points if p.score is not None]
        return scored[-1] if scored else None

    @property
    def is_high(self) -> bool:
        return self.latest is not None and self.latest.band == HIGH


def my_trends(membership) -> list[ScaleTrend]:
    """The member's own confidential scores per scale, oldest first.

    Scales of different instruments share a trend when key and name agree (the CBI's
    work-related scale and the one-minute `cbi-work` pulse). "Not applicable" scores are
    left out; a response too short to score a scale shows as a point without a score.
    """
    rows = db.session.execute(
        select(Response, Campaign)
        .join(Wave, Wave.id == Response.wave_id)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(
            Response.membership_id == membership.id,
            Response.organisation_id == membership.organisation_id,
            Campaign.mode == "confidential",
        )
        .order_by(Response.submitted_on, Wave.opens_on)
        .options(selectinload(Response.scores))
    ).all()
    trends: dict[tuple[str, str], ScaleTrend] = {}
    for response, campaign in rows:
        instrument = campaign.instrument_version.instrument
        scores = {s.scale_key: s for s in response.scores}
        for scale in instrument.scales:
            stored = scores.get(scale.key)
            if stored is None or stored.band == NOT_APPLICABLE:
                continue
            low, high = scale_range(instrument, scale.key)
            trend = trends.setdefault(
                (scale.key, scale.name),
                ScaleTrend(scale.key, reword(instrument, scale.name, campaign.wording),
                           reword(instrument, scale.meaning, campaign.wording),
                           scale.cutoff, low, high, scale.direction),
            )
            trend.points.append(Point(response.submitted_on, stored.score, stored.band))
    return list(trends.values())


def scale_range(instrument, scale_key: str) -> tuple[float, float]:
    """The lowest and highest score a scale can have (its items' answer values)."""
    sets = {item.answer_set for item in instrument.items_in(scale_key)}
    return (
        min(instrument.answer_sets[key].low for key in sets),
        max(instrument.answer_sets[key].high for key in sets),
    )


def high_scales(trends: list[ScaleTrend]) -> set[str]:
    """Keys of the scales whose latest score is at or above the cut-off."""
    return {trend.key for trend in trends if trend.is_high}


def suggested_programs(membership, high: set[str]) -> list:
    """Programs the programs side suggests for these high scales, or [] if it offers none.

    `orgwell.programs.learning.suggested_programs` belongs to another part of OrgWell; this
    page must work without it (and without any high scale there is nothing to suggest).
    """
    if not high:
        return []
    try:
        from orgwell.programs import learning
    except ImportError:
        return []
    suggest = getattr(learning, "suggested_programs", None)
    if suggest is None:
        return []
    try:
        return list(suggest(membership, high))
    except Exception:  # noqa: BLE001 - a suggestion must never break the person's results
        current_app.logger.exception("suggested_programs failed")
        return []


# --- the chart -----------------------------------------------------------------------------

CHART_WIDTH = 600
CHART_HEIGHT = 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 20, 16, 36


@dataclass(frozen=True)
class Chart:
    """SVG geometry of one trend: points, the line through them, the cut-off line, ticks."""

    width: int
    height: int
    points: list[tuple[float, float, Point]]
    line: str  # the polyline's "x,y x,y ..." attribute
    cutoff_y: float | None
    y_ticks: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]
    plot_left: int
    plot_right: int


def trend_chart(trend: ScaleTrend) -> Chart:
    """Where to draw each scored point of `trend` on a CHART_WIDTH x CHART_HEIGHT canvas.

    x is proportional to the date (a single point sits in the middle); y runs from the
    scale's lowest possible score at the bottom to its highest at the top.
    """
    scored = [p for p in trend.points if p.score is not None]
    left, right = _LEFT, CHART_WIDTH - _RIGHT
    top, bottom = _TOP, CHART_HEIGHT - _BOTTOM
    span = (trend.high - trend.low) or 1

    def y(value: float) -> float:
        return round(bottom - (value - trend.low) / span * (bottom - top), 1)

    first = scored[0].on if scored else None
    days = (scored[-1].on - first).days if scored else 0

    def x(on: date) -> float:
        if not days:
            return round((left + right) / 2, 1)
        return round(left + (on - first).days / days * (right - left), 1)

    placed = [(x(p.on), y(p.score), p) for p in scored]
    ticks = [(y(trend.low + span * f), _num(trend.low + span * f)) for f in (0, 0.5, 1)]
    labels = []
    if placed:
        labels.append((placed[0][0], f"{placed[0][2].on:%b %Y}"))
        if len(placed) > 1:
            labels.append((placed[-1][0], f"{placed[-1][2].on:%b %Y}"))
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        points=placed,
        line=" ".join(f"{px},{py}" for px, py, _ in placed),
        cutoff_y=None if trend.cutoff is None else y(trend.cutoff),
        y_ticks=ticks,
        x_labels=labels,
        plot_left=left,
        plot_right=right,
    )


def _num(value: float) -> str:
    return f"{value:g}"
