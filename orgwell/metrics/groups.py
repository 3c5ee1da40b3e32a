"""The groups metrics are reported for -- organisation, clinics, teams -- and how rows add up.

A rollup row names a team (`team_key`) and, for survey waves, the clinic that team belonged to
when the wave's audience was frozen (`clinic_key`, see models.py). `GroupTree.aggregate` adds
rows into every group they count in -- the team, that clinic, the organisation -- by those
STORED keys, so an old wave (or program week) keeps the layout it was answered in even after a
team moved to another clinic; labels use today's names. A row without a stored clinic (0)
counts in the team's clinic of today.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import add
from typing import NamedTuple

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics.models import NO_TEAM
from orgwell.orgs.models import Team

ORG_KEY = "org"


class TeamRow(NamedTuple):
    """What the groups need of a team (a plain row: hashable, so it can key a cache)."""

    id: int
    name: str
    parent_id: int | None


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
class Family:
    """The groups of one wave (or week) and each group's summed counts."""

    groups: Mapping[str, Group]
    sums: Mapping[str, tuple]

    def parent(self, key: str) -> str | None:
        return self.groups[key].parent_key

    def visible(self, team_scope: set[int] | None,
                team_ids: frozenset[int] | None) -> list[Group]:
        """The groups a caller receives: the organisation first, then by label.

        Leaders (`team_scope` a set of team ids) get only the clinics and teams they lead --
        never the organisation total (the issue: "leaders see their own teams only").
        `team_ids` (a filter) narrows clinics and teams further; the organisation total stays
        for callers who may see it.
        """
        return [group for group in self.ordered() if in_view(group, team_scope, team_ids)]

    def ordered(self) -> list[Group]:
        """Every group of the family in the order `visible` gives them."""
        return sorted((self.groups[key] for key in self.sums),
                      key=lambda g: (g.kind != "organisation", g.label))


def in_view(group: Group, team_scope: set[int] | None, team_ids: frozenset[int] | None) -> bool:
    """Whether a caller receives `group` (Family.visible): leaders never the organisation
    total, nobody a team outside their scope or the `team_ids` filter."""
    if group.team_id is None:
        return team_scope is None
    if team_scope is not None and group.team_id not in team_scope:
        return False
    return team_ids is None or group.team_id in team_ids


class GroupTree:
    """An organisation's teams, turning stored (team, clinic) keys into groups."""

    def __init__(self, org, teams: Iterable[Team | TeamRow]):
        self.org_group = Group(ORG_KEY, org.name, "organisation", None)
        self.teams = {t.id: t for t in teams}
        # chain() of each (team key, clinic key) pair met: a year of waves repeats the same
        # hundred pairs in every wave and every scale.
        self._chains: dict[tuple[int, int | None], list[Group]] = {}

    @classmethod
    def of(cls, org) -> GroupTree:
        return cls(org, cls.team_rows(org))

    @staticmethod
    def team_rows(org) -> tuple[TeamRow, ...]:
        """The organisation's teams as plain rows, by id: all a tree needs, and cheap to read
        and compare (orgwell/metrics/wave_families.py keys its cache by them)."""
        return tuple(TeamRow(*row) for row in db.session.execute(
            select(Team.id, Team.name, Team.parent_id)
            .where(Team.organisation_id == org.id).order_by(Team.id)
        ))

    def chain(self, team_key: int, clinic_key: int | None = None) -> list[Group]:
        """The groups a row counts in: its team, its clinic, the organisation.

        `clinic_key` None (or NO_TEAM for a team) means "not stored": the team's clinic now.
        A clinic key equal to the team's own key makes the team a clinic (people attached to
        the clinic itself).
        """
        team = self.teams.get(team_key) if team_key != NO_TEAM else None
        if team is None:
            return [self.org_group]
        if not clinic_key:
            clinic_key = team.parent_id or team.id
        clinic = self.teams.get(clinic_key)
        if clinic_key == team.id or clinic is None:
            return [self._clinic(team), self.org_group]
        group = Group(f"team:{team.id}", f"{clinic.name} › {team.name}", "team", team.id,
                      team.name, f"clinic:{clinic.id}")
        return [group, self._clinic(clinic), self.org_group]

    def _clinic(self, team: Team) -> Group:
        return Group(f"clinic:{team.id}", team.name, "clinic", team.id, team.name, ORG_KEY)

    def aggregate(self, rows: Mapping[tuple[int, int | None], Iterable], width: int) -> Family:
        """Sum rows ((team key, clinic key) -> counts) into every group they count in.

        Every group a row reaches appears (with zeros when the row holds none); the
        organisation is always there.
        """
        # Tuples added with map(add): a results request aggregates a hundred rows twice per
        # wave, and the per-number Python loop this replaced was a fifth of its time (issue 6).
        groups: dict[str, Group] = {ORG_KEY: self.org_group}
        sums: dict[str, tuple] = {ORG_KEY: (0,) * width}
        chains = self._chains
        for keys, values in rows.items():
            values = tuple(values)
            if len(values) != width:  # never expected; pad or cut as the loop it replaced did
                values = (values + (0,) * width)[:width]
            chain = chains.get(keys)
            if chain is None:
                chain = chains[keys] = self.chain(*keys)
            for group in chain:
                key = group.key
                acc = sums.get(key)
                if acc is None:
                    groups[key] = group
                    sums[key] = tuple(map(add, (0,) * width, values))
                else:
                    sums[key] = tuple(map(add, acc, values))
        return Family(groups, sums)
