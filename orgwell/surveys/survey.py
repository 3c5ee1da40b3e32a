"""What one answerable invitation shows and stores: `Survey`, a snapshot of plain values.

`responding.open_by_token` and `responding.open_invitation` build it from one Core query (no
ORM objects): a survey link is the busiest path of the system, and building six mapped objects
per request cost more than the database's work for it. The snapshot holds exactly what the
form, the thank-you page and `responding.submit` read; nothing in it is written back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache

from orgwell.surveys.instruments.definition import Instrument, Item, Scale
from orgwell.surveys.invitations import closes_label


@dataclass(frozen=True)
class WaveFacts:
    id: int
    organisation_id: int
    campaign_id: int
    opens_on: date
    closes_at: datetime
    status: str


@dataclass(frozen=True)
class CampaignFacts:
    name: str
    mode: str  # "anonymous" or "confidential"
    threshold_k: int
    wording: str | None


@dataclass(frozen=True)
class OrganisationFacts:
    name: str
    slug: str


@dataclass(frozen=True)
class Survey:
    """One invitation, ready to be shown and answered."""

    invitation_id: int
    membership_id: int | None  # the link's owner (None once the person was erased)
    # Frozen with the wave's audience when it opened:
    member_membership_id: int | None
    team_id: int | None
    patient_facing: bool
    wave: WaveFacts
    campaign: CampaignFacts
    organisation: OrganisationFacts
    instrument_key: str
    instrument: Instrument

    @property
    def closes_label(self) -> str:
        """The last minute answers are accepted, as the invitation mail says it."""
        return closes_label(self.wave.closes_at)

    def number(self, item: Item) -> int:
        """The item's place in the form (1-based, counting only asked items)."""
        return self._numbers[item.key]

    @cached_property
    def _numbers(self) -> dict[str, int]:
        return {item.key: place for place, item in enumerate(self.items, start=1)}

    @property
    def wording(self) -> str | None:
        return self.campaign.wording

    # Cached: the form asks for these once per item (the survey never changes in a request).
    @cached_property
    def scales(self) -> tuple[Scale, ...]:
        """The scales this person is asked: all but a patient-facing-only scale (CBI
        client-related burnout) for people who do not work with patients."""
        return tuple(
            scale
            for scale in self.instrument.scales
            if self.patient_facing or not scale.patient_facing_only
        )

    @cached_property
    def items(self) -> tuple[Item, ...]:
        shown = {scale.key for scale in self.scales}
        return tuple(item for item in self.instrument.items if item.scale in shown)

    def item_text(self, item: Item) -> str:
        return self.instrument.item_text(item, self.wording)

    def scale_name(self, scale: Scale) -> str:
        return reword(self.instrument, scale.name, self.wording)

    def reworded(self, text: str) -> str:
        return reword(self.instrument, text, self.wording)

    def skipped_scales(self) -> tuple[Scale, ...]:
        """Scales left out for this person (the client scale for non-patient-facing staff)."""
        asked = set(self.scales)
        return tuple(scale for scale in self.instrument.scales if scale not in asked)


def reword(instrument: Instrument, text: str, wording: str | None) -> str:
    """Apply the instrument's wording option to any text, e.g. a scale name.

    Like `Instrument.item_text` (whole words, a leading capital kept), and a plural pair
    also rewords its singular, so "Client-related burnout" becomes "Patient-related burnout".
    """
    pairs = instrument.substitutions.get(wording or "")
    return _reworded(tuple(pairs.items()), text) if pairs else text


@lru_cache(maxsize=4096)
def _reworded(substitutions: tuple[tuple[str, str], ...], text: str) -> str:
    """`reword` for one set of substitutions, kept: every thank-you page rewords the same few
    scale names and meanings (a regex per pair each time, 1-2% of a survey answer's CPU)."""
    pairs = dict(substitutions)
    for old, new in substitutions:
        if old.endswith("s") and new.endswith("s"):
            pairs.setdefault(old[:-1], new[:-1])
    for old, new in pairs.items():
        text = re.sub(
            rf"\b{re.escape(old)}\b",
            lambda m, new=new: new[:1].upper() + new[1:] if m.group(0)[:1].isupper() else new,
            text,
            flags=re.IGNORECASE,
        )
    return text
