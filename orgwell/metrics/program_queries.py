"""Program completion and program starts, as the results read them (re-exported by queries).

Program completion is decided per week like a survey wave (orgwell/metrics/queries.py), on the
people enrolled: a group of fewer than COMPLETION_K people would show one person's progress.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.home.services import MIN_REPORTING_GROUP
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Node
from orgwell.metrics.groups import Group, GroupTree
from orgwell.metrics.models import ProgramWeekRollup
from orgwell.programs.models import Cohort, CohortTeam, Program

# The smallest group whose program progress is shown: the same 5 the programs' own progress
# pages hide teams under (orgwell/programs/progress.py), and the surveys' default k.
COMPLETION_K = MIN_REPORTING_GROUP
REASON_FEW_PEOPLE = "fewer than {k} people"


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
