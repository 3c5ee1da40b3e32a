"""Answering a survey: the single-use link, what the form shows, and storing one response.

The link is the credential. `open_by_token` hashes the token and finds the invitation; a link
that cannot be used raises `LinkProblem` with the reason the page shows:

  unknown  no invitation has that token (mistyped, cut short, or replaced)     404
  used     the invitation was answered                                          410
  expired  the wave closed, or its closing time has passed                      410
  foreign  someone else is logged in in this browser                            403

"foreign" is a choice: whoever holds the link may answer, but when a different person is
logged in (a shared clinic computer, a forwarded mail opened by a manager) we do not show
the form. The answer would be stored for the link's owner while the page around it belongs to
someone else, and in confidential mode "My results" would show the logged-in person's history
right after. The page asks them to log out (or use a private window) and open the link again.
A logged-in member answering from "My surveys" goes through `open_invitation` instead (the
invitation is resolved as their own by the access hook), so no raw token is needed there.

What is asked: the items of every scale, except a patient-facing-only scale (CBI
client-related burnout) for people whose frozen WaveMember says they do not work with
patients: their band is "not applicable" anyway, so asking would only waste their time.
The campaign's wording option (e.g. "patients") is applied to item texts and scale names.

Storing (`submit`) claims the invitation with one conditional UPDATE (answered false -> true)
in the same transaction as the insert, so a double click, the back button or two tabs store
one response: the loser of the race sees "already used". An anonymous response holds the
wave, the frozen team, the patient-facing flag, the wording, answers and scores, and as its
date the wave's opening date: no user, membership, invitation, day of answering or time (the
Response table has a random key and no rowid). The invitation of an anonymous answer keeps
only `answered`, no date. What the database engine itself records (PostgreSQL's `xmin`: claim
and insert share a transaction; the heap keeps insertion order) is wiped by the periodic
reshuffle of the wave's responses (see surveys/anonymity.py), counted in `Wave.unshuffled`.
Confidential mode also stores the membership and the day. Nothing here writes an audit event
or a log line naming the person.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from orgwell.auth.sessions import token_hash
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Organisation
from orgwell.surveys import events
from orgwell.surveys.instruments.definition import (
    Instrument,
    Item,
    Scale,
    plain_number,
)
from orgwell.surveys.invitations import closes_label
from orgwell.surveys.models import Campaign, Invitation, Response, ResponseScore, Wave
from orgwell.surveys.scoring import ScaleResult, score_response

FIELD_PREFIX = "item-"
# secrets.token_urlsafe(32) is 43 characters; anything far longer is not one of ours.
MAX_TOKEN_LENGTH = 200

STATUS = {"unknown": 404, "used": 410, "expired": 410, "foreign": 403}


class LinkProblem(Exception):
    """A survey link (or invitation) that cannot be answered; `reason` is a key of STATUS."""

    def __init__(self, reason: str):
        if reason not in STATUS:
            raise ValueError(reason)
        self.reason = reason
        super().__init__(reason)

    @property
    def status(self) -> int:
        return STATUS[self.reason]


@dataclass(frozen=True)
class Survey:
    """One invitation, ready to be shown and answered."""

    invitation: Invitation
    wave: Wave
    campaign: Campaign
    instrument: Instrument
    patient_facing: bool  # frozen when the wave opened
    organisation: Organisation

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
        """The scales this person is asked (see the module docstring)."""
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
    pairs = dict(instrument.substitutions.get(wording or "", {}))
    for old, new in list(pairs.items()):
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


def option_field_value(value: float) -> str:
    """How an option's value is written in the form (100.0 -> "100")."""
    return str(plain_number(value))


# --- opening a link ------------------------------------------------------------------------


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose link carries `token`, or None."""
    found = _find_with_organisation(token)
    return None if found is None else found[0]


def _find_with_organisation(token: str) -> tuple[Invitation, Organisation] | None:
    """The invitation of `token` and its organisation, in one statement with everything the
    form and the thank-you page show: wave, campaign, instrument version, frozen member."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = db.session.execute(
        select(Invitation, Organisation)
        .join(Organisation, Organisation.id == Invitation.organisation_id)
        .where(Invitation.token_hash == token_hash(token))
        .options(
            joinedload(Invitation.wave).joinedload(Wave.campaign)
            .joinedload(Campaign.instrument_version),
            joinedload(Invitation.wave_member),
        )
    ).first()
    return None if found is None else (found[0], found[1])


def open_by_token(
    token: str, *, viewer_id: int | None = None, now: datetime | None = None
) -> Survey:
    """The survey behind a mailed link.

    viewer_id: the logged-in user, if any; a different person than the link's owner gets
    "foreign", before (and instead of) "used" or "expired". Raises LinkProblem (unknown,
    foreign, used, expired); changes nothing.
    """
    found = _find_with_organisation(token)
    if found is None:
        raise LinkProblem("unknown")
    invitation, organisation = found
    # Whose link it is comes first: someone else must not learn whether it was answered.
    if viewer_id is not None:
        owner = invitation.membership
        if owner is None or owner.user_id != viewer_id:
            raise LinkProblem("foreign")
    return open_invitation(invitation, now=now, organisation=organisation)


def open_invitation(
    invitation: Invitation, *, now: datetime | None = None,
    organisation: Organisation | None = None,
) -> Survey:
    """The survey of `invitation` if it can still be answered.

    organisation: the invitation's organisation when the caller has it loaded already.

    Raises LinkProblem("used") once answered, LinkProblem("expired") once the wave closed or
    its closing time passed (whatever the close job has done yet). Changes nothing.
    """
    now = now or utcnow()
    if invitation.answered:
        raise LinkProblem("used")
    wave = invitation.wave
    if wave.status != "open" or wave.closes_at <= now:
        raise LinkProblem("expired")
    campaign = wave.campaign
    return Survey(
        invitation=invitation,
        wave=wave,
        campaign=campaign,
        instrument=campaign.instrument_version.instrument,  # parsed once per process
        patient_facing=invitation.wave_member.patient_facing,
        organisation=organisation or db.session.get(Organisation, wave.organisation_id),
    )


# --- reading the form ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """What a submitted form says: valid answers, and what was wrong with the rest."""

    values: dict[str, float]  # item key -> the chosen option's value (answered items only)
    errors: dict[str, str]  # item key -> message, for answers that are not options
    form_errors: list[str]  # problems not tied to a shown item

    @property
    def ok(self) -> bool:
        return not self.errors and not self.form_errors


def read_answers(survey: Survey, formdata: Mapping[str, str]) -> Answers:
    """Check every `item-<key>` field of a submitted form against the survey.

    A value must be one of the item's option values as the form writes them; an empty or
    missing field is an unanswered item (partial answers are allowed). A field for an item
    this person was not asked (unknown key, or the skipped client scale) is refused, as is a
    form with no answer at all.
    """
    asked = {item.key: item for item in survey.items}
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    form_errors: list[str] = []
    unknown = [
        name for name in formdata if name.startswith(FIELD_PREFIX)
        and name[len(FIELD_PREFIX):] not in asked
    ]
    if unknown:
        form_errors.append(
            "The form contained answers to questions that are not part of this survey. "
            "Please reload the page and answer again."
        )
    for key, item in asked.items():
        raw = (formdata.get(FIELD_PREFIX + key) or "").strip()
        if not raw:
            continue
        options = {
            option_field_value(option.value): option.value
            for option in survey.instrument.options_for(item)
        }
        if raw in options:
            values[key] = options[raw]
        else:
            errors[key] = "Please choose one of the answers shown."
    if not values and not errors and not form_errors:
        form_errors.append("Please answer at least one question before sending.")
    return Answers(values, errors, form_errors)


def scales_short_of_answers(survey: Survey, values: Mapping[str, float]) -> list[Scale]:
    """The asked scales with fewer answers than they need to get a score."""
    return [
        scale
        for scale in survey.scales
        if sum(1 for item in survey.instrument.items_in(scale.key) if item.key in values)
        < scale.min_answered
    ]


# --- storing -------------------------------------------------------------------------------


def submit(
    survey: Survey, values: Mapping[str, float], *, today: date | None = None
) -> dict[str, ScaleResult]:
    """Store the answers of `survey` once and return the scores, keyed by scale.

    values: checked answers (see `read_answers`). Claims the invitation with a conditional
    UPDATE first: if another request already answered it, raises LinkProblem("used") and
    stores nothing (the caller rolls back). Calls RESPONSE_STORED_HOOKS. Flushes only.
    """
    today = today or utcnow().date()
    invitation = survey.invitation
    anonymous = survey.campaign.mode == "anonymous"
    # Anonymous: no day of answering on either side. The invitation's date joined with the
    # response's date (and team, patient-facing flag) would re-link small teams; the wave's
    # opening date is all a response says about when, and `answered` is all the link needs.
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.answered.is_(False))
        .values(answered=True, answered_on=None if anonymous else today)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LinkProblem("used")
    scores = score_response(survey.instrument, values, patient_facing=survey.patient_facing)
    member = invitation.wave_member
    response = Response(
        organisation_id=survey.wave.organisation_id,
        wave_id=survey.wave.id,
        team_id=member.team_id,
        submitted_on=survey.wave.opens_on if anonymous else today,
        patient_facing=survey.patient_facing,
        wording=survey.wording,
        membership_id=None if anonymous else member.membership_id,
        answers={item.key: values.get(item.key) for item in survey.items},
        scores=[
            ResponseScore(scale_key=key, score=result.score, band=result.band)
            for key, result in scores.items()
        ],
    )
    db.session.add(response)
    db.session.flush()
    events.response_stored(response)
    # Every answer of the wave writes this one row, so it is written last: its lock is held
    # only from here to the caller's commit, and concurrent submissions queue for it briefly
    # (and always after their other row locks, see metrics/rollups.record_response). The one
    # writer that takes it first is the close job (status, then the rollup rebuild): an answer
    # still in flight at the closing second may then deadlock with it, and PostgreSQL aborts
    # one of the two whole (nothing half-stored; the close job runs again on its next beat).
    db.session.execute(
        update(Wave)
        .where(Wave.id == survey.wave.id)
        .values(
            responded_count=Wave.responded_count + 1,
            unshuffled=Wave.unshuffled + (1 if anonymous else 0),
        )
        .execution_options(synchronize_session=False)
    )
    return scores
