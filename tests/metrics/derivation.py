"""What an adversary can derive from the numbers read off the surfaces (adversary.py).

`Truth` holds the true counts per smallest unit ("atom": a team, a clinic's own
members, the people in no team) for every period (a survey wave, or a program week), and the
atoms of every group in every version of the organisation's tree (a team may move to another
clinic). A seen group becomes the atom set whose true counts it matches. Then, per period:

* `small_derivable`: over the UNION of every surface, viewer and measure, a group seen on any
  measure counts as known on all measures of the period; any 0/1 combination of atoms in the
  span of the known groups (sums and differences of shown numbers) whose true count on some
  measure is 1..k-1 is a failure;
* `small_nested_gaps`: the same, said plainly for two known groups where one contains the other.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from tests.metrics.adversary import Seen


@dataclass
class Truth:
    """True counts per atom and period, and each group's atoms in each version of the tree."""

    k: int
    counts: dict[tuple, dict[object, dict[str, int]]]  # period -> atom -> measure -> count
    versions: list[dict[str, frozenset]]  # tree version -> group key -> atoms
    version_at: dict[tuple, int]  # period -> the tree version when it ran
    names: dict = field(default_factory=dict)  # atom -> what to call it in a failure

    def name(self, atom) -> str:
        return self.names.get(atom, str(atom))

    def total(self, period, atoms, measure) -> int:
        table = self.counts[period]
        return sum(table.get(a, {}).get(measure, 0) for a in atoms)

    def resolve(self, seen: list[Seen], current: Mapping[int, int]) -> tuple[dict, list[str]]:
        """({period: {atom set known: names it was shown under}}, failures).

        Each seen group is read as the version of its atoms (the tree of its period first,
        then the tree at collection time) that matches every number one surface shows for it.
        """
        known: dict[tuple, dict[frozenset, set[str]]] = defaultdict(dict)
        failures = []
        shown: dict[tuple, dict[str, int]] = defaultdict(dict)
        for s in seen:
            shown[(s.surface, s.viewer, s.when, s.period, s.group)][s.measure] = s.value
        for (surface, viewer, when, period, group), values in shown.items():
            options = dict.fromkeys([self.version_at[period], current[when]])
            sets = {v: self.versions[v].get(group) for v in options}
            match = next((v for v, atoms in sets.items() if atoms is not None and all(
                self.total(period, atoms, m) == value for m, value in values.items())), None)
            if match is None:
                true = {m: [self.total(period, a, m) for a in sets.values() if a is not None]
                        for m in values}
                failures.append(f"{surface} [{viewer}] shows {group} {period[:2]} {values}; "
                                f"true counts {true}")
                continue
            known[period].setdefault(sets[match], set()).add(f"{group}@tree{match}")
        return known, failures


def small_derivable(truth: Truth, period, known: Iterable[frozenset],
                    measures: Iterable[str]) -> list[str]:
    """Atom sets with a true count of 1..k-1 on any of `measures` in the span of the known
    sets (counts of people only: a count of answers at or above a cut-off, or of completed
    modules, inside a group of k or more is what the page is for)."""
    rows = sorted({frozenset(s) for s in known}, key=sorted_key)
    table = truth.counts[period]
    atoms = sorted(table, key=str)
    if not rows:
        return []
    # Any vector in the span is constant on a region (atoms inside the same known sets).
    regions: dict[tuple, list] = defaultdict(list)
    for atom in atoms:
        regions[tuple(atom in s for s in rows)].append(atom)
    signatures = list(regions)
    matrix = np.array([[1.0 if sig[i] else 0.0 for sig in signatures] for i in range(len(rows))])
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null = vt[rank:]  # x is in the row space iff null @ x == 0
    found = []
    for measure in measures:
        sizes = [sum(table[a].get(measure, 0) for a in regions[sig]) for sig in signatures]
        small = [i for i, size in enumerate(sizes) if 0 < size < truth.k]
        zero = [i for i, size in enumerate(sizes) if size == 0]
        reach = _combinations(null, zero)
        alone: set[int] = set()  # regions derivable by themselves: combinations add nothing
        for r in range(1, truth.k):
            for chosen in itertools.combinations(small, r):
                total = sum(sizes[i] for i in chosen)
                if total >= truth.k or alone & set(chosen):
                    continue
                need = -sum((null[:, i] for i in chosen), np.zeros(null.shape[0]))
                if _key(need) in reach:
                    if r == 1:
                        alone.add(chosen[0])
                    names = " + ".join(truth.name(a) for i in chosen
                                       for a in regions[signatures[i]])
                    found.append(f"{measure} of {names} = {total}, from sums and differences "
                                 f"of shown groups")
    return found


def _combinations(null, zero) -> set:
    """null @ x for every 0/1 x over the regions nobody in them counts in (they may be added)."""
    reach = {_key(np.zeros(null.shape[0]))}
    for i in zero[:14]:
        reach |= {_key(np.array(v) + null[:, i]) for v in reach}
    return reach


def _key(vector) -> tuple:
    return tuple(np.round(np.asarray(vector, dtype=float), 6) + 0.0)


def sorted_key(atoms) -> list[str]:
    return sorted(str(a) for a in atoms)


def small_nested_gaps(truth: Truth, period, known: Mapping[frozenset, set[str]],
                      measures: Iterable[str]) -> list[str]:
    """Two known groups, one inside the other, whose difference is 1..k-1 on some measure."""
    found = []
    for outer, inner in itertools.permutations(known, 2):
        if inner < outer:
            for measure in measures:
                gap = truth.total(period, outer - inner, measure)
                if 0 < gap < truth.k:
                    names = ", ".join(sorted(truth.name(a) for a in outer - inner))
                    found.append(f"{sorted(known[outer])} minus {sorted(known[inner])} = {gap} "
                                 f"on {measure} ({names})")
    return found
