"""The only way pages, the API, reports and alerts read metrics: rollups in, protected cells out.

Every function here reads rollup rows (orgwell/metrics/models.py), never raw responses, and
every number it returns has passed `orgwell.metrics.confidentiality`: a hidden cell carries
`suppressed=True`, a `reason`, and None for every number.

Groups are the organisation total, each clinic and each team (the "family" of a wave).
Suppression is decided over the WHOLE family of each wave, whoever asks, so that two people's
views (an owner's and a leader's) cannot be subtracted from each other; a caller's scope only
chooses which of the already-decided cells it receives.

Leaders (team_scope is a set of team ids) get the clinics and teams in their scope plus the
organisation total. The organisation total is shown to them because it is a cell the owner
sees anyway: it was decided together with every other group, so adding it to a leader's view
cannot create a difference the family decision did not already allow, and it gives leaders
the benchmark they need ("my team against the practice").
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Node
from orgwell.metrics.models import NO_TEAM, ParticipationRollup, ProgramWeekRollup, ScaleRollup
from orgwell.metrics.stats import mean_ci
from orgwell.orgs.models import Team
from orgwell.programs.models import Cohort, CohortTeam, Program
from orgwell.surveys.instruments.models import InstrumentVersion
from orgwell.surveys.models import DEFAULT_K, Campaign, Wave


@dataclass(frozen=True)
class Group:
    """A reportable group."""

    key: str  # "org" | "clinic:<id>" | "team:<id>"
    label: str  # "Riverside Physical Therapy", "Riverside North", "Riverside North › Outpatient"
    kind: str  # "organisation" | "clinic" | "team"
    team_id: int | None
    name: str | None = None  # the team's own name (API "team"); None for the organisation
    parent_key: str | None = None  # "org" for clinics, "clinic:<id>" for teams, None for org


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


@dataclass(frozen=True)
class CompletionCell:
    """A program's module completion for one group as of the end of one week."""

    group: Group
    week_start: date
    program_id: int
    released: int
    completed: int
    overdue: int
    rate: float | None  # completed / released, 0-1


@dataclass(frozen=True)
class Filters:
    """What a view asks for; team_ids None means every group in the caller's scope."""

    instrument: str = "cbi"
    scale: str = "work"
    team_ids: frozenset[int] | None = None
    date_from: date | None = None
    date_to: date | None = None



ORG_KEY = "org"


def burnout_series(
    org, filters: Filters, *, team_scope: set[int] | None
) -> tuple[int, list[Cell]]:
    """Protected scale results per wave and group, oldest wave first.

    Returns (k, cells): k is the largest threshold among the campaigns whose waves are in the
    result (DEFAULT_K when there are none); each cell carries its own wave's k. Cells cover the
    organisation total, then clinics and teams (ordered by label) within `team_scope` (None =
    all) and `filters.team_ids` (when given: those groups plus the organisation total). Only
    closed waves count (a growing open wave could be differenced between two looks), and only
    groups with someone invited or responding in the wave appear.
    """
    waves = _waves(org, filters)
    tree = _Tree.of(org)
    wave_ids = [w.id for w, _ in waves]
    sums: dict[int, dict[int, tuple[int, float, float, int]]] = defaultdict(dict)
    for row in _rows(ScaleRollup, wave_ids, ScaleRollup.scale_key == filters.scale):
        sums[row.wave_id][row.team_key] = (row.n, row.total, row.total_sq, row.n_high)
    present = _present(wave_ids)
    cells = []
    for wave, k in waves:
        stats = tree.aggregate(sums[wave.id], present[wave.id] | set(sums[wave.id]), 4)
        decision = confidentiality.decide(
            [Node(key, tree.parent(key), (value[0],)) for key, value in stats.items()], k
        )
        for group in tree.visible(stats, team_scope, filters.team_ids):
            cells.append(_burnout_cell(group, wave, k, stats[group.key], decision))
    return _threshold(waves), cells


def participation_series(
    org, filters: Filters, *, team_scope: set[int] | None
) -> tuple[int, list[ParticipationCell]]:
    """Protected invited/responded per wave and group; same groups and order as burnout_series.

    `filters.instrument` selects the campaigns (by instrument key); the scale is ignored. A
    group is shown when at least k responded; invited counts of hidden groups are protected
    from differencing too.
    """
    waves = _waves(org, filters)
    tree = _Tree.of(org)
    wave_ids = [w.id for w, _ in waves]
    sums: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for row in _rows(ParticipationRollup, wave_ids):
        sums[row.wave_id][row.team_key] = (row.responded, row.invited)
    cells = []
    for wave, k in waves:
        stats = tree.aggregate(sums[wave.id], set(sums[wave.id]), 2)
        decision = confidentiality.decide(
            [Node(key, tree.parent(key), value) for key, value in stats.items()], k
        )
        for group in tree.visible(stats, team_scope, filters.team_ids):
            responded, invited = stats[group.key]
            shown = decision.is_shown(group.key)
            cells.append(ParticipationCell(
                group, wave.id, wave.opens_on,
                invited if shown else None, responded if shown else None,
                (responded / invited if invited else None) if shown else None,
                not shown, decision.reason(group.key), k,
            ))
    return _threshold(waves), cells


def completion_series(
    org, *, team_scope: set[int] | None, program_id: int | None = None
) -> list[CompletionCell]:
    """Program completion per week and group (organisation, clinics, teams), oldest week first.

    Summed over every program, or one program when `program_id` is given (program_id of the
    cells is then that id; 0 for the sum over programs). Completion counts are about module
    work, not survey answers, so no k-threshold applies; leaders get their scope only.
    """
    query = select(ProgramWeekRollup).where(ProgramWeekRollup.organisation_id == org.id)
    if program_id is not None:
        query = query.where(ProgramWeekRollup.program_id == program_id)
    per_week: dict[date, dict[int, tuple[int, int, int]]] = defaultdict(dict)
    for row in db.session.scalars(query):
        old = per_week[row.week_start].get(row.team_key, (0, 0, 0))
        per_week[row.week_start][row.team_key] = (
            old[0] + row.released, old[1] + row.completed, old[2] + row.overdue
        )
    tree = _Tree.of(org)
    cells = []
    for week in sorted(per_week):
        stats = tree.aggregate(per_week[week], set(per_week[week]), 3)
        for group in tree.visible(stats, team_scope, None):
            released, completed, overdue = stats[group.key]
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

def _waves(org, filters: Filters) -> list[tuple[Wave, int]]:
    query = (
        select(Wave, Campaign.threshold_k)
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
    return [(wave, k) for wave, k in db.session.execute(query).all()]


def _threshold(waves) -> int:
    return max((k for _, k in waves), default=DEFAULT_K)


def _rows(model, wave_ids: list[int], *conditions):
    if not wave_ids:
        return []
    return db.session.scalars(select(model).where(model.wave_id.in_(wave_ids), *conditions))


def _present(wave_ids: list[int]) -> dict[int, set[int]]:
    """Team keys with someone invited or responding, per wave (groups worth a cell)."""
    present: dict[int, set[int]] = defaultdict(set)
    for row in _rows(ParticipationRollup, wave_ids):
        if row.invited or row.responded:
            present[row.wave_id].add(row.team_key)
    return present


def _burnout_cell(group: Group, wave: Wave, k: int, value, decision) -> Cell:
    if not decision.is_shown(group.key):
        return Cell(group, wave.id, wave.opens_on, None, None, None, None, None, None,
                    True, decision.reason(group.key), k)
    n, total, total_sq, n_high = value
    mean, sd, low, high = mean_ci(n, total, total_sq)
    return Cell(group, wave.id, wave.opens_on, n, mean, sd, low, high,
                100.0 * n_high / n if n else None, False, None, k)


class _Tree:
    """The organisation's groups (organisation, clinics, teams) and how rows add up into them."""

    def __init__(self, org, teams: list[Team]):
        self.org_group = Group(ORG_KEY, org.name, "organisation", None)
        self.teams = {t.id: t for t in teams}
        self.groups: dict[str, Group] = {ORG_KEY: self.org_group}
        for team in teams:
            group = self._group(team)
            self.groups[group.key] = group

    @classmethod
    def of(cls, org) -> _Tree:
        teams = db.session.scalars(select(Team).where(Team.organisation_id == org.id)).all()
        return cls(org, list(teams))

    def _group(self, team: Team) -> Group:
        parent = self.teams.get(team.parent_id) if team.parent_id else None
        if parent is None:
            return Group(f"clinic:{team.id}", team.name, "clinic", team.id, team.name, ORG_KEY)
        return Group(f"team:{team.id}", f"{parent.name} › {team.name}", "team", team.id,
                     team.name, f"clinic:{parent.id}")

    def parent(self, key: str) -> str | None:
        return self.groups[key].parent_key

    def chain(self, team_key: int) -> list[str]:
        """The group keys a row of `team_key` counts in: its team, its clinic, the organisation."""
        team = self.teams.get(team_key) if team_key != NO_TEAM else None
        if team is None:
            return [ORG_KEY]
        keys = [self._group(team).key]
        while (parent := self.groups[keys[-1]].parent_key) is not None:
            keys.append(parent)
        return keys

    def aggregate(
        self, rows: dict[int, tuple], present: Iterable[int], width: int
    ) -> dict[str, tuple]:
        """Sum rows (team_key -> tuple of counts) into every group they count in.

        Groups with no row get zeros when something under them is `present`; the organisation
        is always there.
        """
        stats: dict[str, list] = {ORG_KEY: [0] * width}
        for team_key in present:
            for key in self.chain(team_key):
                stats.setdefault(key, [0] * width)
        for team_key, values in rows.items():
            for key in self.chain(team_key):
                acc = stats.setdefault(key, [0] * width)
                for i, value in enumerate(values):
                    acc[i] += value
        return {key: tuple(values) for key, values in stats.items()}

    def visible(self, stats: dict[str, tuple], team_scope: set[int] | None,
                team_ids: frozenset[int] | None) -> list[Group]:
        """The groups of `stats` a caller receives: organisation first, then by label."""
        chosen = []
        for key in stats:
            group = self.groups[key]
            if group.team_id is not None:
                if team_scope is not None and group.team_id not in team_scope:
                    continue
                if team_ids is not None and group.team_id not in team_ids:
                    continue
            chosen.append(group)
        return sorted(chosen, key=lambda g: (g.kind != "organisation", g.label))
