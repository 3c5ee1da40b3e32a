"""Published reference values shown beside an organisation's own results (figure 6).

Only numbers with a checkable source belong here, each with its full citation, because a reader
will compare their team with it. The Copenhagen Burnout Inventory is the one instrument OrgWell
ships; Creedy et al. 2017 reported the share of Australian midwives at or above 50 on each CBI
scale (see shared/reference/instruments.md). Licensed instruments (MBI and others) ship no items,
so nothing is claimed for them here.
"""
from __future__ import annotations

from dataclasses import dataclass

CREEDY_2017 = (
    "Creedy DK, Sidebotham M, Gamble J, Pallant J, Fenwick J. Prevalence of burnout, depression, "
    "anxiety and stress in Australian midwives: a cross-sectional survey. "
    "BMC Pregnancy and Childbirth 2017;17:13. doi:10.1186/s12884-016-1212-5"
)


@dataclass(frozen=True)
class Reference:
    """A published share of people at or above the cut-off, in percent (0..100)."""

    value: float
    label: str     # short, for the figure's legend: "Creedy et al. 2017, midwives: 43.8%"
    source: str    # full citation, for hover and the report's notes
    population: str
    measure: str   # what the number is: "share at or above 50"


# The CBI scales by key, in both built-in CBI definitions (the full CBI and its work-related pulse).
_CBI_SHARES = {"personal": 64.9, "work": 43.8, "client": 10.4}
_CBI_INSTRUMENTS = ("cbi", "cbi-work")


def reference_for(instrument_key: str, scale_key: str) -> Reference | None:
    """The published reference for this instrument and scale, or None when there is none."""
    if instrument_key not in _CBI_INSTRUMENTS or scale_key not in _CBI_SHARES:
        return None
    value = _CBI_SHARES[scale_key]
    return Reference(
        value=value,
        label=f"Creedy et al. 2017, midwives: {value:.1f}%",
        source=CREEDY_2017,
        population="Australian midwives (Creedy et al. 2017)",
        measure="share at or above 50",
    )
