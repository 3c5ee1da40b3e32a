"""The only way pages, the API, reports and alerts read metrics: rollups in, protected cells out.

Every function here reads rollup rows (orgwell/metrics/models.py), never raw responses, and
every number it returns has passed `orgwell.metrics.confidentiality`: a hidden cell carries
`suppressed=True`, a `reason`, and None for every number.

Groups are the organisation total, each clinic and each team (the "family" of a wave, grouped
by the clinic each team belonged to when the wave opened: orgwell/metrics/groups.py).
Suppression is decided ONCE per wave (orgwell/metrics/wave_families.py), over the whole family
and every measure a surface of the wave shows -- respondents, invited, and the respondents of
each scale of its instrument -- so the participation table, each scale's results, the page,
the CSV and the API of one wave all show exactly the same groups, and no two views (an owner's
and a leader's, or two surfaces) can be subtracted from each other. A caller's scope only
chooses which of the already-decided cells it receives: owners and consultants get every
group; leaders (team_scope is a set of team ids) only the clinics and teams they lead, never
the organisation total.

Program completion is decided per week the same way, on the people enrolled (a group of fewer
than COMPLETION_K people would show one person's progress): orgwell/metrics/program_queries.py,
whose names are re-exported here.

Waves are told apart by id, never by date: two campaigns on one instrument may open waves on
the same day, and each cell carries its wave's id, campaign and a `wave_label` unique within
the result.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, TypeVar

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics.groups import ORG_KEY, Group, in_view
from orgwell.metrics.program_queries import (  # noqa: F401  (part of this module's names)
    COMPLETION_K,
    REASON_FEW_PEOPLE,
    CompletionCell,
    completion_series,
    enrollment_starts,
)
from orgwell.metrics.stats import mean_ci
from orgwell.metrics.wave_families import WaveFamily, labelled, wave_families
from orgwell.surveys.instruments.models import InstrumentVersion
from orgwell.surveys.models import DEFAULT_K, Campaign, Wave

REASON_NO_SCORES = "nobody answered this scale"


@dataclass(frozen=True)
class Cell:
    """One group in one wave on one scale, as shown (numbers None when suppressed)."""

    group: Group
    wave_id: int
    wave_date: date
    n: int | None
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None
    pct_high: float | None  # percent (0-100) of respondents at or above the cut-off
    suppressed: bool
    reason: str | None  # e.g. "fewer than 5 responses"
    k: int = 5  # the wave's campaign threshold
    campaign: str = ""  # the wave's campaign name
    wave_label: str = ""  # "3 Mar 2024", or "3 Mar 2024 · Pulse" when another wave shares the day


@dataclass(frozen=True)
class ParticipationCell:
    """One group's invited/responded headcounts in one wave (None when suppressed)."""

    group: Group
    wave_id: int
    wave_date: date
    invited: int | None
    responded: int | None
    rate: float | None  # responded / invited, 0-1
    suppressed: bool
    reason: str | None
    k: int = 5
    campaign: str = ""
    wave_label: str = ""


@dataclass(frozen=True)
class Filters:
    """What a view asks for; team_ids None means every group in the caller's scope."""

    instrument: str = "cbi"
    scale: str = "work"
    team_ids: frozenset[int] | None = None
    date_from: date | None = None
    date_to: date | None = None


def burnout_series(
    org, filters: Filters, *, team_scope: set[int] | None
) -> tuple[int, list[Cell]]:
    """Protected scale results per wave and group, oldest wave first.

    Returns (k, cells): k is the largest threshold among the campaigns whose waves are in the
    result (DEFAULT_K when there are none); each cell carries its own wave's k. Cells cover the
    organisation total (not for leaders), then clinics and teams (ordered by label) within
    `team_scope` (None = all) and `filters.team_ids` (when given: those groups, plus the
    organisation total for callers who see it). Only closed waves count (a growing open wave
    could be differenced between two looks), and only groups with someone invited or
    responding in the wave appear.
    A group shown for the wave whose members left this scale unanswered is a hidden cell with
    the reason REASON_NO_SCORES.
    """
    loaded = load_waves(org, filters)
    return loaded.k, burnout_cells(loaded, filters, team_scope=team_scope)


def participation_series(
    org, filters: Filters, *, team_scope: set[int] | None
) -> tuple[int, list[ParticipationCell]]:
    """Protected invited/responded per wave and group; same groups and order as burnout_series.

    `filters.instrument` selects the campaigns (by instrument key); the scale is ignored. A
    group is shown exactly when burnout_series shows it for the wave (one decision per wave).
    """
    loaded = load_waves(org, filters)
    return loaded.k, participation_cells(loaded, filters, team_scope=team_scope)


@dataclass(frozen=True)
class LoadedWaves:
    """The closed waves of a view with their decided families: every scale and participation
    of each wave, read once. `k` as burnout_series returns it."""

    k: int
    families: list


def load_waves(org, filters: Filters) -> LoadedWaves:
    """Read the waves `filters` select (instrument, dates) once, for callers that want several
    scales or participation too; the scale and team filters are applied by the *_cells below."""
    waves = _waves(org, filters)
    return LoadedWaves(_threshold(waves), wave_families(org, waves))


def burnout_cells(loaded: LoadedWaves, filters: Filters, *,
                  team_scope: set[int] | None) -> list[Cell]:
    """burnout_series' cells for `filters.scale`, from waves already loaded."""
    return burnout_rendered(loaded, filters, team_scope=team_scope, render=_itself)


def burnout_rendered(loaded: LoadedWaves, filters: Filters, *, team_scope: set[int] | None,
                     render: Callable[[Cell], T]) -> list[T]:
    """render(cell) of each of burnout_cells' cells, in their order.

    Cells (and what `render`, a pure function of one cell, makes of them) are built once per
    decided wave and group and kept with the wave (wave_families.py); the caller's scope and
    filter choose among them on every request.
    """
    scale = filters.scale

    def every_group(found: WaveFamily):
        return found.remember(("burnout", scale, render), lambda: [
            (cell.group, render(cell)) for cell in found.remember(("burnout", scale), lambda: [
                _burnout_cell(group, found, scale) for group in _ordered(found)
            ])
        ])

    return _in_view(loaded, every_group, team_scope, filters.team_ids)


def participation_cells(loaded: LoadedWaves, filters: Filters, *,
                        team_scope: set[int] | None) -> list[ParticipationCell]:
    """participation_series' cells, from waves already loaded."""
    def every_group(found: WaveFamily):
        return found.remember("participation", lambda: [
            (group, _participation_cell(group, found)) for group in _ordered(found)
        ])

    return _in_view(loaded, every_group, team_scope, filters.team_ids)


def wave_dates(org, filters: Filters, limit: int | None = None) -> list[date]:
    """The distinct dates of the closed waves `filters` select (instrument, dates), newest
    first (at most `limit`): what a caller pages by before reading the waves of a few of them
    (one small query on the waves table, however many waves there are)."""
    query = (
        select(Wave.opens_on)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
        .where(Wave.organisation_id == org.id, Wave.status == "closed",
               InstrumentVersion.key == filters.instrument)
        .distinct()
        .order_by(Wave.opens_on.desc())
    )
    if filters.date_from is not None:
        query = query.where(Wave.opens_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Wave.opens_on <= filters.date_to)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def newest_wave_date(org, filters: Filters) -> date | None:
    """The date of the newest closed wave of `filters.instrument` (dates ignored), or None."""
    return next(iter(wave_dates(org, Filters(filters.instrument, filters.scale), limit=1)), None)


def wave_totals(org, waves: Iterable[Wave]) -> dict[int, ParticipationCell]:
    """The organisation's participation cell of each CLOSED wave among `waves`, by wave id.

    The cell participation_series gives the organisation total (the same decision), for
    pages that show a wave's totals outside the results pages (a campaign's wave table).
    """
    ids = [w.id for w in waves if w.status == "closed"]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Wave, Campaign.threshold_k, Campaign.name)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(Wave.organisation_id == org.id, Wave.id.in_(ids))
        .order_by(Wave.opens_on, Wave.id)
    ).all()
    return {
        found.wave_id: _participation_cell(found.family.groups[ORG_KEY], found)
        for found in wave_families(org, labelled(rows))
    }


def available_instruments(org) -> list[tuple[str, str, list[tuple[str, str, float | None]]]]:
    """(key, name, [(scale key, scale name, cutoff)]) of instruments the org has results for.

    Results means a closed wave; the scales come from the newest version used.
    """
    # DISTINCT over ids only: PostgreSQL cannot compare the JSON definition column.
    used = (
        select(Campaign.instrument_version_id)
        .join(Wave, Wave.campaign_id == Campaign.id)
        .where(Wave.organisation_id == org.id, Wave.status == "closed")
    )
    versions = db.session.scalars(
        select(InstrumentVersion)
        .where(InstrumentVersion.id.in_(used))
        .order_by(InstrumentVersion.key, InstrumentVersion.version)
    ).all()
    newest = {v.key: v for v in versions}
    result = []
    for key in sorted(newest):
        instrument = newest[key].instrument
        scales = [(s.key, s.name, s.cutoff) for s in instrument.scales]
        result.append((key, instrument.name, scales))
    return result


# --- helpers -----------------------------------------------------------------------------------

class _Wave(NamedTuple):
    """What the results need of a wave (reading whole Wave objects costs more)."""

    id: int
    opens_on: date
    rollups_token: str  # the decided wave's cache key (wave_families.py)


def _waves(org, filters: Filters) -> list[tuple[_Wave, int, str, str]]:
    """(wave, k, campaign name, label) of the closed waves of the filters, oldest first."""
    query = (
        select(Wave.id, Wave.opens_on, Wave.rollups_token, Campaign.threshold_k, Campaign.name)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
        .where(Wave.organisation_id == org.id, Wave.status == "closed",
               InstrumentVersion.key == filters.instrument)
        .order_by(Wave.opens_on, Wave.id)
    )
    if filters.date_from is not None:
        query = query.where(Wave.opens_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Wave.opens_on <= filters.date_to)
    return labelled([(_Wave(id_, on, token), k, name)
                     for id_, on, token, k, name in db.session.execute(query)])


def _threshold(waves) -> int:
    return max((k for _, k, _, _ in waves), default=DEFAULT_K)


T = TypeVar("T")


def _itself(cell):
    return cell


def _ordered(found: WaveFamily) -> list[Group]:
    return found.remember("groups", found.family.ordered)


def _in_view(loaded: LoadedWaves, every_group, team_scope, team_ids) -> list:
    """What every_group(found) holds for each wave, kept for the groups the caller receives
    (groups.in_view: a leader's scope, the team filter), in the waves' order."""
    out = []
    for found in loaded.families:
        pairs = every_group(found)
        if team_scope is None and team_ids is None:
            out.extend(value for _, value in pairs)
        else:
            out.extend(value for group, value in pairs if in_view(group, team_scope, team_ids))
    return out


def _burnout_cell(group: Group, found: WaveFamily, scale: str) -> Cell:
    about = {"k": found.k, "campaign": found.campaign, "wave_label": found.label}
    n, total, total_sq, n_high = found.scales.get(scale, {}).get(group.key, (0, 0.0, 0.0, 0))
    reason = found.decision.reason(group.key) if not found.decision.is_shown(group.key) else (
        REASON_NO_SCORES if not n else None
    )
    if reason is not None:
        return Cell(group, found.wave_id, found.opens_on, None, None, None, None, None, None,
                    True, reason, **about)
    mean, sd, low, high = mean_ci(n, total, total_sq)
    return Cell(group, found.wave_id, found.opens_on, n, mean, sd, low, high,
                100.0 * n_high / n, False, None, **about)


def _participation_cell(group: Group, found: WaveFamily) -> ParticipationCell:
    about = {"k": found.k, "campaign": found.campaign, "wave_label": found.label}
    if not found.decision.is_shown(group.key):
        return ParticipationCell(group, found.wave_id, found.opens_on, None, None, None, True,
                                 found.decision.reason(group.key), **about)
    responded, invited = found.family.sums[group.key][:2]
    return ParticipationCell(group, found.wave_id, found.opens_on, invited, responded,
                             responded / invited if invited else None, False, None, **about)
