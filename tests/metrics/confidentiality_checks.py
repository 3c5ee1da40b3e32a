"""The adversary's check, for every surface that shows metrics (API, pages, CSV, reports, alerts).

Collect every number a surface shows, then call

    assert_nothing_derivable(cells, family, k)

cells   an iterable of shown things, each either a `Cell` / `ParticipationCell` (from
        orgwell.metrics.queries; suppressed ones may be included, their None numbers are
        ignored) or a tuple (wave, group key, {measure: value or None}) for numbers read back
        from a page, CSV or mail (measures: "n", "responded", "invited").
family  {group key: parent group key or None} of the organisation: "org" at the root,
        "clinic:<id>" under it, "team:<id>" under clinics. `family_of(cells)` builds it from
        queries cells (Group.parent_key). Include hidden groups when you know them; only
        shown numbers are ever used.
k       the threshold (a cell's own `.k` wins when it has one).

What an adversary can compute from shown headcounts of a laminar family (groups nested or
disjoint) is exactly the sums of "blocks" -- a shown group minus the shown groups directly
below it -- and sums of blocks. So the check fails when, for any wave and measure:

* the same group shows two different values (two surfaces, or two filters, disagree);
* a shown respondent count is under k;
* a block is between 1 and k-1 (a hidden group, a sum of hidden siblings, or people outside
  every shown team could be worked out as parent minus shown children);
* two shown nested groups differ by 1..k-1.

Means, intervals and shares are functions of (n, sum, sum of squares, n at or above the
cut-off) of the same groups, so a block of 0 or >= k respondents also protects them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

COUNT_MEASURES = ("n", "responded")
ALL_MEASURES = ("n", "responded", "invited")


def family_of(cells: Iterable) -> dict[str, str | None]:
    """{group key: parent key} from queries cells."""
    family = {}
    for cell in cells:
        family[cell.group.key] = cell.group.parent_key
    return family


def shown_numbers(cells: Iterable, k: int):
    """{(wave, measure): {key: value}} of the numbers shown and {wave: k}; fails on conflicts."""
    shown: dict[tuple, dict[str, int]] = defaultdict(dict)
    ks: dict = {}
    for cell in cells:
        if isinstance(cell, tuple):
            wave, key, numbers = cell
            cell_k = k
        else:
            wave, key = cell.wave_id, cell.group.key
            numbers = {m: getattr(cell, m) for m in ALL_MEASURES if hasattr(cell, m)}
            cell_k = getattr(cell, "k", k)
        ks[wave] = max(ks.get(wave, k), cell_k)
        for measure, value in numbers.items():
            if value is None:
                continue
            seen = shown[(wave, measure)]
            assert seen.get(key, value) == value, (
                f"{key} shows {measure}={seen[key]} and {value} in wave {wave}"
            )
            seen[key] = value
    return shown, ks


def assert_nothing_derivable(cells: Iterable, family: Mapping[str, str | None], k: int) -> None:
    """Fail when a group under k, or a small difference of nested groups, can be derived."""
    shown, ks = shown_numbers(list(cells), k)
    for (wave, measure), values in shown.items():
        wave_k = ks[wave]
        for key in values:
            assert key in family, f"{key} is not in the family"
        if measure in COUNT_MEASURES:
            for key, value in values.items():
                assert value >= wave_k, f"{key} shows {measure}={value} < k={wave_k} ({wave})"
        for key, value in values.items():
            below = _maximal_shown_below(family, values, key)
            rest = value - sum(values[c] for c in below)
            assert not 0 < rest < wave_k, (
                f"{key} minus its shown groups {below} leaves {measure}={rest} < k={wave_k} "
                f"in wave {wave}"
            )
            for other, other_value in values.items():
                if other != key and _contains(family, key, other):
                    gap = value - other_value
                    assert not 0 < gap < wave_k, (
                        f"{key} and {other} differ by {gap} on {measure} (wave {wave})"
                    )


def _ancestors(family, key):
    while (key := family.get(key)) is not None:
        yield key


def _contains(family, outer: str, inner: str) -> bool:
    return outer in set(_ancestors(family, inner))


def _maximal_shown_below(family, values, key) -> list[str]:
    found = []
    for other in values:
        if other == key or not _contains(family, key, other):
            continue
        # maximal: no shown group strictly between `key` and `other`
        between = [a for a in _ancestors(family, other) if a in values and a != key
                   and _contains(family, key, a)]
        if not between:
            found.append(other)
    return sorted(found)
