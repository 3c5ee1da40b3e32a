"""Which groups may be shown: the one confidentiality decision every metrics surface relies on.

Pure functions, no database. A wave's reportable groups form a FAMILY: the organisation total,
each clinic and each team (clinic -> team, one level), each knowing its parent. Every group's
counts include everyone below it (and people attached to a clinic directly, or to no team,
count in the clinic or organisation only). Each group (`Node`) has one RESPONDENT count and a
tuple of additive MEASURES: for a survey wave the respondents, the people invited, and the
respondents with a score on each scale of the wave's instrument, all decided together. The
rules of the issue, verbatim where they name respondents:

1. A group is shown only when at least k people responded (`Node.count >= k`), and none of its
   measures is between 1 and k-1 (a scale answered by 3 of a team's 6 respondents would show
   a mean of 3 people; a measure of 0 shows no answer at all).
2. When a child group is hidden, its parent's total must not reveal it: if the parent minus
   its shown children leaves fewer than k respondents (but more than none), hide the
   next-smallest shown sibling as well, repeating until the hidden ones together reach k, or
   hide the parent -- whichever keeps more groups shown (a tie hides the sibling); when no
   shown sibling is left, hide the parent. "Fewer than k" is checked on every measure.
3. Two shown groups where one contains the other differ by 0 or at least k, on every measure.
4. The same holds across filters and surfaces: filters only pick groups of this fixed family,
   and the decision is made once over the whole family and ALL its measures (never per
   viewer, per filter, or per surface: a wave's participation table and each of its scales
   show the same groups, so no surface's count can be set against another's).

Why this is enough. The family is laminar (any two groups are nested or disjoint). From the
shown totals one can compute exactly the sums of the "blocks": a shown group minus its
maximal shown descendants, and any sum of blocks -- nothing finer. So the decision makes
every block hold 0 or at least k on every measure; then every difference of nested shown
groups (a sum of blocks) and every "parent minus shown children" is 0 or at least k as well,
on every measure, whichever surface it is read from (they all show the same groups). Rule 1
makes every shown group itself hold 0 or at least k on each measure. Hiding one more group
merges its block into its nearest shown ancestor's block (a sum of values that are 0 or >= k),
so a caller that hides more (a leader's narrower scope, a scale cell with no answers) can
never break the guarantee. A block of 0 reveals only that nobody in it answered, never an
answer.

Measures that are not people who answered (invited) only matter for rules 2 and 3: a group
with k respondents has at least k invited, and the invited headcount of a hidden team must not
be derivable either.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

REASON_SMALL = "fewer than {k} responses"
REASON_DIFFERENCING = "hidden so that a smaller group cannot be worked out"


@dataclass(frozen=True)
class Node:
    """One group of a family: its key, its parent's key (None for the root) and its counts.

    `measures` are the group's additive counts (respondents, invited, each scale's n ...),
    every one protected by rules 1-3. `respondents` is rule 1's count -- the people who
    answered, who must be at least k -- and orders siblings ("the next-smallest"); None
    means `measures[0]`. It differs from the measures where they count something else (the
    people of each of several programs, where the group's people are at least the largest).
    """

    key: str
    parent: str | None
    measures: tuple[int, ...]
    respondents: int | None = None

    @property
    def count(self) -> int:
        """Rule 1's respondent count."""
        return self.measures[0] if self.respondents is None else self.respondents

    def passes(self, k: int) -> bool:
        """Rule 1: k respondents, and no measure between 1 and k-1."""
        return self.count >= k and all(m == 0 or m >= k for m in self.measures)


@dataclass(frozen=True)
class Decision:
    """The outcome for a family: the keys shown and, for each hidden key, why."""

    shown: frozenset[str]
    reasons: Mapping[str, str] = field(default_factory=dict)

    def is_shown(self, key: str) -> bool:
        return key in self.shown

    def reason(self, key: str) -> str | None:
        return None if key in self.shown else self.reasons.get(key)


def small_reason(k: int) -> str:
    return REASON_SMALL.format(k=k)


def decide(nodes: Iterable[Node], k: int, *, too_few: str | None = None) -> Decision:
    """Decide which groups of one family are shown (rules 1-4 of the module docstring).

    `too_few` is the reason given to groups that fail rule 1 (default "fewer than k
    responses"). Deterministic: ties between equally small siblings are broken by key. Raises
    ValueError for a parent key that is not in the family, measures of different lengths, or
    k < 1.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    family = {node.key: node for node in nodes}
    if len({len(node.measures) for node in family.values()}) > 1:
        raise ValueError("every group of a family needs the same measures")
    children: dict[str, list[str]] = {key: [] for key in family}
    for node in family.values():
        if node.parent is not None:
            if node.parent not in family:
                raise ValueError(f"unknown parent {node.parent!r} of {node.key!r}")
            children[node.parent].append(node.key)
    reasons: dict[str, str] = {}
    shown = set()
    for key, node in family.items():
        if node.passes(k):
            shown.add(key)
        else:
            reasons[key] = too_few or small_reason(k)
    depth = {key: _depth(family, key) for key in family}
    while True:
        offender = _first_offending_block(family, children, shown, depth, k)
        if offender is None:
            return Decision(frozenset(shown), reasons)
        victim = _best_victim(family, children, shown, depth, k, offender)
        shown.discard(victim)
        reasons[victim] = REASON_DIFFERENCING


def _best_victim(family, children, shown, depth, k, offender) -> str:
    """The next-smallest shown sibling, unless hiding the parent instead keeps more groups.

    Each option is followed to the end with the plain rule (smallest sibling first) and the
    one that leaves more groups shown wins; a tie goes to the sibling, as the issue orders.
    (With one clinic of 7 and another of 3, hiding the organisation total keeps the clinic
    and its team, where hiding the clinic would lose both.)
    """
    parent_key, inside = offender
    if not inside:
        return parent_key
    sibling = min(inside, key=lambda c: (family[c].count, c))
    kept = {
        option: len(_settle(family, children, shown - {option}, depth, k))
        for option in (sibling, parent_key)
    }
    return parent_key if kept[parent_key] > kept[sibling] else sibling


def _settle(family, children, shown, depth, k) -> set[str]:
    shown = set(shown)
    while (offender := _first_offending_block(family, children, shown, depth, k)) is not None:
        parent_key, inside = offender
        shown.discard(
            min(inside, key=lambda c: (family[c].count, c)) if inside else parent_key
        )
    return shown


def maximal_shown_below(children: Mapping[str, list[str]], shown: set[str] | frozenset[str],
                        key: str) -> list[str]:
    """The shown groups under `key` that have no shown group between them and `key`."""
    found = []
    stack = list(children.get(key, ()))
    while stack:
        child = stack.pop()
        if child in shown:
            found.append(child)
        else:
            stack.extend(children.get(child, ()))
    return sorted(found)


def _first_offending_block(family, children, shown, depth, k):
    # Deepest groups first: fixing a team-level block before its clinic's avoids hiding the
    # clinic for a problem a sibling team can absorb.
    for key in sorted(shown, key=lambda key: (-depth[key], key)):
        inside = maximal_shown_below(children, shown, key)
        for index, value in enumerate(family[key].measures):
            rest = value - sum(family[c].measures[index] for c in inside)
            if 0 < rest < k:
                return key, inside
    return None


def _depth(family, key) -> int:
    depth = 0
    while family[key].parent is not None:
        key = family[key].parent
        depth += 1
    return depth
