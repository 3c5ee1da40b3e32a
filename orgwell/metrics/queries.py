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
than COMPLETION_K people would show one person's progress).

Waves are told apart by id, never by date: two campaigns on one instrument may open waves on
the same day, and each cell carries its wave's id, campaign and a `wave_label` unique within
the result.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.home.services import MIN_REPORTING_GROUP
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Node
from orgwell.metrics.groups import ORG_KEY, Group, GroupTree
from orgwell.metrics.models import ProgramWeekRollup
from orgwell.metrics.stats import mean_ci
from orgwell.metrics.wave_families import WaveFamily, labelled, wave_families
from orgwell.programs.models import Cohort, CohortTeam, Program
from orgwell.surveys.instruments.models import InstrumentVersion
from orgwell.surveys.models import DEFAULT_K, Campaign, Wave

# The smallest group whose program progress is shown: the same 5 the programs' own progress
# pages hide teams under (orgwell/programs/progress.py), and the surveys' default k.
COMPLETION_K = MIN_REPORTING_GROUP
REASON_NO_SCORES = "nobody answered this scale"
REASON_FEW_PEOPLE = "fewer than {k} people"


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
class CompletionCell:
    """A program's module completion for one group as of the end of one week (numbers None
    when suppressed: fewer than COMPLETION_K people, or hidden against differencing)."""

    group: Group
    week_start: date
    program_id: int
    released: int | None
    completed: int | None
    overdue: int | None
    rate: float | None  # completed / released, 0-1
    suppressed: bool = False
    reason: str | None = None
    k: int = COMPLETION_K


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
    return [
        _burnout_cell(group, found, filters.scale)
        for found in loaded.families
        for group in found.family.visible(team_scope, filters.team_ids)
    ]


def participation_cells(loaded: LoadedWaves, filters: Filters, *,
                        team_scope: set[int] | None) -> list[ParticipationCell]:
    """participation_series' cells, from waves already loaded."""
    return [
        _participation_cell(group, found)
        for found in loaded.families
        for group in found.family.visible(team_scope, filters.team_ids)
    ]


def wave_dates(org, filters: Filters) -> list[date]:
    """The distinct dates of the closed waves `filters` select (instrument, dates), newest
    first: what a caller pages by before reading the waves of a few of them (one small query
    on the waves table, however many waves there are)."""
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
    return list(db.session.scalars(query))


def newest_wave_date(org, filters: Filters) -> date | None:
    """The date of the newest closed wave of `filters.instrument` (dates ignored), or None."""
    return next(iter(wave_dates(org, Filters(filters.instrument, filters.scale))), None)


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
        found.wave.id: _participation_cell(found.family.groups[ORG_KEY], found)
        for found in wave_families(org, labelled(rows))
    }


def completion_series(
    org, *, team_scope: set[int] | None, program_id: int | None = None
) -> list[CompletionCell]:
    """Program completion per week and group (organisation, clinics, teams), oldest week first.

    Summed over every program, or one program when `program_id` is given (program_id of the
    cells is then that id; 0 for the sum over programs). Each week is decided once over the
    whole family (confidentiality.decide, k = COMPLETION_K) on the people with released work
    in each program: a group is shown when every program has none or at least k of its people
    in it, and blocks hold 0 or at least k people per program, so no person's progress can be
    singled out. Hidden cells say why. Leaders get their scope only, never the organisation.
    """
    query = select(ProgramWeekRollup).where(ProgramWeekRollup.organisation_id == org.id)
    if program_id is not None:
        query = query.where(ProgramWeekRollup.program_id == program_id)
    per_week: dict[date, dict[tuple, dict[int, tuple[int, int, int, int]]]] = defaultdict(dict)
    programs: set[int] = set()
    for row in db.session.scalars(query):
        keys = (row.team_key, row.clinic_key)
        per_week[row.week_start].setdefault(keys, {})[row.program_id] = (
            row.released, row.completed, row.overdue, row.people
        )
        programs.add(row.program_id)
    order = sorted(programs)
    tree = GroupTree.of(org)
    too_few = REASON_FEW_PEOPLE.format(k=COMPLETION_K)
    cells = []
    for week in sorted(per_week):
        rows = {}
        for keys, by_program in per_week[week].items():
            counts = [sum(v[i] for v in by_program.values()) for i in range(3)]
            rows[keys] = counts + [by_program.get(p, (0, 0, 0, 0))[3] for p in order]
        family = tree.aggregate(rows, 3 + len(order))
        decision = confidentiality.decide(
            [Node(key, family.parent(key), values[3:], respondents=max(values[3:]))
             for key, values in family.sums.items()],
            COMPLETION_K, too_few=too_few,
        )
        for group in family.visible(team_scope, None):
            released, completed, overdue = family.sums[group.key][:3]
            if not decision.is_shown(group.key):
                cells.append(CompletionCell(group, week, program_id or 0, None, None, None,
                                            None, True, decision.reason(group.key)))
                continue
            cells.append(CompletionCell(
                group, week, program_id or 0, released, completed, overdue,
                completed / released if released else None,
            ))
    return cells


def enrollment_starts(org, *, team_scope: set[int] | None) -> list[tuple[date, str, list[int]]]:
    """(start date, program name, team ids) of each cohort start, for figure 1's markers.

    Team ids are the cohort's whole teams (within a leader's scope); cohorts of individual
    people have an empty list and are left out for leaders, whose view is team-based.
    """
    rows = db.session.execute(
        select(Cohort.id, Cohort.start_on, Program.name)
        .join(Program, Program.id == Cohort.program_id)
        .where(Cohort.organisation_id == org.id, Cohort.self_enrolled.is_(False))
        .order_by(Cohort.start_on, Cohort.id)
    ).all()
    teams: dict[int, list[int]] = defaultdict(list)
    for cohort_id, team_id in db.session.execute(
        select(CohortTeam.cohort_id, CohortTeam.team_id)
        .where(CohortTeam.cohort_id.in_([r[0] for r in rows]))
        .order_by(CohortTeam.team_id)
    ):
        teams[cohort_id].append(team_id)
    starts = []
    for cohort_id, start_on, name in rows:
        ids = teams[cohort_id]
        if team_scope is not None:
            ids = [t for t in ids if t in team_scope]
            if not ids:
                continue
        starts.append((start_on, name, ids))
    return starts


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

def _waves(org, filters: Filters) -> list[tuple[Wave, int, str, str]]:
    """(wave, k, campaign name, label) of the closed waves of the filters, oldest first."""
    query = (
        select(Wave, Campaign.threshold_k, Campaign.name)
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
    return labelled(db.session.execute(query).all())


def _threshold(waves) -> int:
    return max((k for _, k, _, _ in waves), default=DEFAULT_K)


def _burnout_cell(group: Group, found: WaveFamily, scale: str) -> Cell:
    wave = found.wave
    about = {"k": found.k, "campaign": found.campaign, "wave_label": found.label}
    n, total, total_sq, n_high = found.scales.get(scale, {}).get(group.key, (0, 0.0, 0.0, 0))
    reason = found.decision.reason(group.key) if not found.decision.is_shown(group.key) else (
        REASON_NO_SCORES if not n else None
    )
    if reason is not None:
        return Cell(group, wave.id, wave.opens_on, None, None, None, None, None, None,
                    True, reason, **about)
    mean, sd, low, high = mean_ci(n, total, total_sq)
    return Cell(group, wave.id, wave.opens_on, n, mean, sd, low, high,
                100.0 * n_high / n, False, None, **about)


def _participation_cell(group: Group, found: WaveFamily) -> ParticipationCell:
    wave = found.wave
    about = {"k": found.k, "campaign": found.campaign, "wave_label": found.label}
    if not found.decision.is_shown(group.key):
        return ParticipationCell(group, wave.id, wave.opens_on, None, None, None, True,
                                 found.decision.reason(group.key), **about)
    responded, invited = found.family.sums[group.key][:2]
    return ParticipationCell(group, wave.id, wave.opens_on, invited, responded,
                             responded / invited if invited else None, False, None, **about)
