"""What the campaign page's wave table may show of each wave: counts, rate, or why not.

One rule for both states of a wave, so the table can never show more than the results pages:
a CLOSED wave shows the organisation total of the results pages, with their confidentiality
decision; an OPEN wave shows no count at all, only whether k have answered yet.
"""
from __future__ import annotations

from dataclasses import dataclass

from orgwell.surveys.models import Wave


@dataclass(frozen=True)
class WaveTotals:
    """What the wave table may show of one wave: None is not shown, and `note` says why."""

    invited: int | None
    answered: int | None
    rate: float | None  # only when both counts are shown
    note: str | None = None  # "5 or more so far", or the results' reason for a closed wave


def wave_totals(wave: Wave, k: int, closed_cell=None) -> WaveTotals:
    """The wave's invited and answered counts and response rate, as far as they may be shown.

    A CLOSED wave shows exactly the organisation total of the results pages: `closed_cell`
    is its participation cell from `orgwell.metrics.queries.wave_totals` (one confidentiality
    decision per wave, so this table can never show a total the results hid, and a hidden one
    carries the same reason). An imported wave has no invitations, so no invited count or
    rate.

    An OPEN wave shows no count, only "k or more so far" or "fewer than k so far". Its counts
    were seen before the close decides, and that decision may hide the organisation total:
    the invited count is frozen at opening, so it IS the later total, and a live answered
    count taken just before the close is the later total too (or gives the last answers away
    by difference).
    """
    if wave.status == "closed":
        if closed_cell is None or closed_cell.suppressed:
            reason = closed_cell.reason if closed_cell is not None else None
            return WaveTotals(None, None, None, reason or f"fewer than {k} responses")
        if wave.source == "import":
            return WaveTotals(None, closed_cell.responded, None)
        return WaveTotals(closed_cell.invited, closed_cell.responded, closed_cell.rate)
    enough = wave.responded_count >= k
    return WaveTotals(None, None, None,
                      f"{k} or more so far" if enough else f"fewer than {k} so far")
