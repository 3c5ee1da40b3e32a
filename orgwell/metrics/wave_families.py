"""One closed wave as every surface shows it: its groups, their counts, ONE decision.

`wave_families` reads a wave's rollup rows once -- participation and every scale -- adds them
into the wave's family of groups (by the clinics frozen when the wave opened: groups.py), and
makes the single confidentiality decision over all the wave's measures together:
respondents, invited, and the respondents with a score on each scale of its instrument.
queries.py builds every cell of the wave from it, so the participation table and each scale
show exactly the same groups (orgwell/metrics/confidentiality.py says why that matters).

Waves are told apart by id; `labelled` names them for people: the day, and the campaign when
another wave of the same result opened that day.

A decided wave is kept per process (`_CACHE`): a closed wave's rollups change only through a
rebuild or an answer begun before it closed, yet reading and adding them up again was most of
a results request (issue 6). Its key holds everything the decided wave depends on -- the wave,
its k, campaign and label, its `rollups_token` (a new value whenever the wave closes and
whenever its rollups change after that: surveys/models.py), and the organisation's name and
teams (ids, names, clinics: the labels and the tree) -- so a rebuild, a late answer or a team
rename is a new key. The token comes with the wave's row, so a request reads no rollup row to
know the cache fresh. It holds every group of the family; the caller's scope is applied per
request.
"""
from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import confidentiality
from orgwell.metrics.confidentiality import Decision, Node
from orgwell.metrics.groups import Family, GroupTree
from orgwell.metrics.models import ParticipationRollup, ScaleRollup
from orgwell.surveys.models import Wave


@dataclass(frozen=True, eq=False)  # compared by identity: one object per decided wave
class WaveFamily:
    """One closed wave: its groups, their counts and the ONE decision all its surfaces share.

    `family.sums[key]` is (responded, invited, n of each scale in `scale_keys` order);
    `scales[scale][key]` is (n, total, total of squares, n at or above the cut-off).
    Shared by every request while the wave's key holds (module docstring): never change it;
    `remember` keeps what readers derive from it (cells, JSON) with it.
    """

    wave_id: int
    opens_on: date
    k: int
    campaign: str
    label: str
    family: Family
    scale_keys: tuple[str, ...]
    scales: dict[str, dict[str, tuple]]
    decision: Decision
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def remember(self, key: Any, build: Callable[[], Any]) -> Any:
        """build(), computed once per `key` for this decided wave: `build` must depend only on
        the wave (and what `key` names), never on the caller."""
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = build()
        return found


# Decided waves kept per process: two years of weekly waves of a hundred teams, or a year of a
# few such organisations. One such wave with its cells and the API's JSON is ~0.15 MB
# (tracemalloc: 25 waves and one view's panels held 6.3 MB), so ~20 MB at most: a web worker
# must stay well under 200 MB (issue 6).
CACHE_SIZE = 128
_CACHE: OrderedDict[tuple, WaveFamily] = OrderedDict()
_LOCK = threading.Lock()


def wave_families(org, waves: list[tuple[Wave, int, str, str]]) -> list[WaveFamily]:
    """Each wave's groups, counts and single decision (module docstring), in the given order.

    A group belongs to the wave's family when someone in it was invited or answered. Its
    measures are respondents, invited and the respondents with a score on each scale the
    wave's answers have (a scale nobody scored adds only zeros), all decided together.
    """
    if not waves:
        return []
    teams = GroupTree.team_rows(org)
    # The organisation and its teams (labels, tree) in every key: see the module docstring.
    tree_key = (org.id, org.name, teams)
    keys = [(tree_key, w.id, w.opens_on, k, campaign, label, w.rollups_token)
            for w, k, campaign, label in waves]
    with _LOCK:
        found = {key: _CACHE.get(key) for key in keys}
        for key, value in found.items():
            if value is not None:
                _CACHE.move_to_end(key)
    missing = [wave for key, wave in zip(keys, waves, strict=True) if found[key] is None]
    if missing:
        made = _decide_waves(GroupTree(org, teams), missing)
        with _LOCK:
            for key, wave in zip(keys, waves, strict=True):
                if found[key] is None:
                    found[key] = _CACHE[key] = made[wave[0].id]
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return [found[key] for key in keys]


def _decide_waves(tree: GroupTree, waves) -> dict[int, WaveFamily]:
    """wave_families' work for waves not in the cache: read their rollups, add up, decide."""
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
    found = {}
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
        # In key order, as every caller has always passed them: one family, one decision.
        decision = confidentiality.decide([
            Node(key, family.parent(key), values) for key, values in sorted(family.sums.items())
        ], k)
        scales = {
            scale: tree.aggregate(sums[wave.id][scale], 4).sums for scale in scale_keys
        }
        found[wave.id] = WaveFamily(wave.id, wave.opens_on, k, campaign, label, family,
                                    scale_keys, scales, decision)
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
