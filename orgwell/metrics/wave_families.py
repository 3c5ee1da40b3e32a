"""One closed wave as every surface shows it: its groups, their counts, ONE decision.

`wave_families` reads a wave's rollup rows once -- participation and every scale -- adds them
into the wave's family of groups (by the clinics frozen when the wave opened: groups.py), and
makes the single confidentiality decision over all the wave's measures together:
respondents, invited, and the respondents with a score on each scale of its instrument.
queries.py builds every cell of the wave from it, so the participation table and each scale
show exactly the same groups (orgwell/metrics/confidentiality.py says why that matters).

Waves are told apart by id; `labelled` names them for people: the day, and the campaign when
another wave of the same result opened that day.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Decision, Node
from orgwell.metrics.groups import Family, GroupTree
from orgwell.metrics.models import ParticipationRollup, ScaleRollup
from orgwell.surveys.models import Wave


@dataclass(frozen=True)
class WaveFamily:
    """One closed wave: its groups, their counts and the ONE decision all its surfaces share.

    `family.sums[key]` is (responded, invited, n of each scale in `scale_keys` order);
    `scales[scale][key]` is (n, total, total of squares, n at or above the cut-off).
    """

    wave: Wave
    k: int
    campaign: str
    label: str
    family: Family
    scale_keys: tuple[str, ...]
    scales: dict[str, dict[str, tuple]]
    decision: Decision


def wave_families(org, waves: list[tuple[Wave, int, str, str]]) -> list[WaveFamily]:
    """Each wave's groups, counts and single decision (module docstring), in the given order.

    A group belongs to the wave's family when someone in it was invited or answered. Its
    measures are respondents, invited and the respondents with a score on each scale the
    wave's answers have (a scale nobody scored adds only zeros), all decided together.
    """
    tree = GroupTree.of(org)
    wave_ids = [w.id for w, _, _, _ in waves]
    people: dict[int, dict[tuple, tuple[int, int]]] = defaultdict(dict)
    for wave_id, team, clinic, responded, invited in _rollup_rows(
        wave_ids, ParticipationRollup.responded, ParticipationRollup.invited
    ):
        if responded or invited:
            people[wave_id][(team, clinic)] = (responded, invited)
    sums: dict[int, dict[str, dict[tuple, tuple]]] = defaultdict(lambda: defaultdict(dict))
    for wave_id, team, clinic, scale, *numbers in _rollup_rows(
        wave_ids, ScaleRollup.scale_key, ScaleRollup.n, ScaleRollup.total,
        ScaleRollup.total_sq, ScaleRollup.n_high,
    ):
        sums[wave_id][scale][(team, clinic)] = tuple(numbers)
    found = []
    for wave, k, campaign, label in waves:
        scale_keys = tuple(sorted(sums[wave.id]))
        rows: dict[tuple, list[int]] = {
            keys: [responded, invited] + [0] * len(scale_keys)
            for keys, (responded, invited) in people[wave.id].items()
        }
        for index, scale in enumerate(scale_keys):
            for keys, (n, *_rest) in sums[wave.id][scale].items():
                rows.setdefault(keys, [0, 0] + [0] * len(scale_keys))[2 + index] = n
        family = tree.aggregate(rows, 2 + len(scale_keys))
        # Sorted by key: the rows come in any order, and the cache below needs one key per
        # family (decide itself does not depend on the order).
        decision = _decide(tuple(
            Node(key, family.parent(key), values) for key, values in sorted(family.sums.items())
        ), k)
        scales = {
            scale: tree.aggregate(sums[wave.id][scale], 4).sums for scale in scale_keys
        }
        found.append(WaveFamily(wave, k, campaign, label, family, scale_keys, scales,
                                decision))
    return found


def labelled(rows) -> list[tuple[Wave, int, str, str]]:
    """(wave, k, campaign name) rows, oldest first, with each wave's label added: its day, and
    its campaign when another wave of the rows opened that day (and the wave's number when
    the campaigns share a name too)."""
    days: dict[date, list] = defaultdict(list)
    for wave, _, name in rows:
        days[wave.opens_on].append(name)
    result = []
    for wave, k, name in rows:
        label = wave_day(wave.opens_on)
        same_day = days[wave.opens_on]
        if len(same_day) > 1:
            label += f" · {name}"
            if same_day.count(name) > 1:
                label += f" (wave {wave.id})"
        result.append((wave, k, name, label))
    return result


def wave_day(day: date) -> str:
    """A wave's date as pages print it: "3 Mar 2024"."""
    return f"{day.day} {day:%b %Y}"


@lru_cache(maxsize=4096)
def _decide(nodes: tuple[Node, ...], k: int) -> Decision:
    """`confidentiality.decide`, remembered: the decision is a pure function of the family's
    nodes (keys, parents, counts) and k, and a closed wave's nodes do not change, so every
    request after the first reuses it (deciding a family of a hundred teams takes ~20 ms, most
    of a results request over many waves; issue 6). Any change of a count, a team's clinic or
    k is a new key, hence a fresh decision."""
    return confidentiality.decide(nodes, k)


def _rollup_rows(wave_ids: list[int], *columns):
    """(wave id, team key, clinic key, *columns) of the rollup table the columns belong to,
    for `wave_ids`: plain rows, not ORM objects (a year of weekly waves is 10,000s of rows)."""
    if not wave_ids:
        return []
    model = columns[0].class_
    return db.session.execute(
        select(model.wave_id, model.team_key, model.clinic_key, *columns)
        .where(model.wave_id.in_(wave_ids))
    ).all()
