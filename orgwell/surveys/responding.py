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

Opening reads one row (invitation, frozen member, wave, campaign, organisation, the owner's
user and the instrument's stored text) with a Core query into a `Survey` snapshot
(surveys/survey.py); storing writes with Core statements. No ORM object is built on this path,
and these statements run on the driver's cursor (orgwell/driver_sql.py).
Showing the form (`read_only`) reads that row outside a transaction: one round trip instead
of BEGIN, SELECT and ROLLBACK, and no ROLLBACK, after which psycopg forgets the statements it
has prepared on the connection (every pooled connection also serves the POSTs).

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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Text, bindparam, case, cast, insert, select, update

from orgwell.auth.sessions import token_hash
from orgwell.database import utcnow
from orgwell.driver_sql import DriverStatement
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation
from orgwell.surveys import events
from orgwell.surveys.instruments.definition import Scale, plain_number
from orgwell.surveys.instruments.models import InstrumentVersion, parsed_definition_text
from orgwell.surveys.models import (
    Campaign,
    Invitation,
    Response,
    ResponseScore,
    Wave,
    WaveMember,
    new_response_id,
    new_rollups_token,
)
from orgwell.surveys.scoring import ScaleResult, score_response
from orgwell.surveys.survey import CampaignFacts, OrganisationFacts, Survey, WaveFacts

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


def option_field_value(value: float) -> str:
    """How an option's value is written in the form (100.0 -> "100")."""
    return str(plain_number(value))


# --- opening a link ------------------------------------------------------------------------


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose link carries `token`, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))


# Everything the form, the thank-you page and `submit` need, in one row.
_SURVEY_COLUMNS = (
    Invitation.id, Invitation.answered, Invitation.membership_id, Membership.user_id,
    WaveMember.membership_id, WaveMember.team_id, WaveMember.patient_facing,
    Wave.id, Wave.organisation_id, Wave.campaign_id, Wave.opens_on, Wave.closes_at, Wave.status,
    Campaign.name, Campaign.mode, Campaign.threshold_k, Campaign.wording,
    Organisation.name, Organisation.slug,
    InstrumentVersion.id, InstrumentVersion.key, cast(InstrumentVersion.definition, Text),
)


def _survey_statement(by: str):
    """The statement of `_load` for a key column: `by` is "token_hash" or "id", bound as
    :value. Built once per process and dialect (building it cost more than running it)."""
    column = Invitation.token_hash if by == "token_hash" else Invitation.id
    return (
        select(*_SURVEY_COLUMNS)
        .join(WaveMember, WaveMember.id == Invitation.wave_member_id)
        .join(Wave, Wave.id == Invitation.wave_id)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .join(Organisation, Organisation.id == Wave.organisation_id)
        .join(InstrumentVersion, InstrumentVersion.id == Campaign.instrument_version_id)
        .outerjoin(Membership, Membership.id == Invitation.membership_id)
        .where(column == bindparam("value"))
    )


# Run on the driver's cursor (orgwell/driver_sql.py): the link's GET and POST are the hottest
# path there is.
_SURVEY_BY = {
    by: DriverStatement(lambda _dialect, by=by: _survey_statement(by))
    for by in ("token_hash", "id")
}


def _load(by: str, value, read_only: bool = False) -> tuple[Survey, bool, int | None] | None:
    """(survey, answered, the owner's user id) of the invitation whose `by` is `value`.

    read_only: nothing will be written in this request; if the session has not begun a
    transaction yet, the row is read in autocommit mode (see the module docstring).
    """
    if read_only and not db.session().in_transaction():
        connection = db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    else:
        connection = db.session.connection()
    row = _SURVEY_BY[by].first(connection, {"value": value})
    if row is None:
        return None
    (invitation_id, answered, membership_id, user_id,
     member_membership_id, team_id, patient_facing,
     wave_id, organisation_id, campaign_id, opens_on, closes_at, status,
     name, mode, threshold_k, wording, org_name, org_slug,
     version_id, instrument_key, definition) = row
    survey = Survey(
        invitation_id=invitation_id,
        membership_id=membership_id,
        member_membership_id=member_membership_id,
        team_id=team_id,
        patient_facing=patient_facing,
        wave=WaveFacts(wave_id, organisation_id, campaign_id, opens_on, closes_at, status),
        campaign=CampaignFacts(name, mode, threshold_k, wording),
        organisation=OrganisationFacts(org_name, org_slug),
        instrument_key=instrument_key,
        instrument=parsed_definition_text(version_id, definition),  # parsed once per process
    )
    return survey, answered, user_id


def open_by_token(
    token: str, *, viewer_id: int | None = None, now: datetime | None = None,
    read_only: bool = False,
) -> Survey:
    """The survey behind a mailed link.

    viewer_id: the logged-in user, if any; a different person than the link's owner gets
    "foreign", before (and instead of) "used" or "expired". read_only: the request will not
    `submit` (showing the form). Raises LinkProblem (unknown, foreign, used, expired); changes
    nothing.
    """
    found = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        found = _load("token_hash", token_hash(token), read_only)
    if found is None:
        raise LinkProblem("unknown")
    survey, answered, owner = found
    # Whose link it is comes first: someone else must not learn whether it was answered.
    if viewer_id is not None and owner != viewer_id:
        raise LinkProblem("foreign")
    return _answerable(survey, answered, now)


def open_invitation(invitation: Invitation, *, now: datetime | None = None) -> Survey:
    """The survey of `invitation` if it can still be answered.

    Raises LinkProblem("used") once answered, LinkProblem("expired") once the wave closed or
    its closing time passed (whatever the close job has done yet). Changes nothing.
    """
    found = _load("id", invitation.id)
    if found is None:  # deleted since it was loaded
        raise LinkProblem("unknown")
    survey, answered, _ = found
    return _answerable(survey, answered, now)


def _answerable(survey: Survey, answered: bool, now: datetime | None) -> Survey:
    if answered:
        raise LinkProblem("used")
    if survey.wave.status != "open" or survey.wave.closes_at <= (now or utcnow()):
        raise LinkProblem("expired")
    return survey


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
    stores nothing (the caller rolls back). Calls RESPONSE_STORED_HOOKS. Flushes only (Core
    statements on the session's connection, inside its transaction).
    """
    today = today or utcnow().date()
    connection = db.session.connection()
    wave = survey.wave
    anonymous = survey.campaign.mode == "anonymous"
    # Anonymous: no day of answering on either side. The invitation's date joined with the
    # response's date (and team, patient-facing flag) would re-link small teams; the wave's
    # opening date is all a response says about when, and `answered` is all the link needs.
    claimed = _CLAIM.rowcount(connection, {
        "invitation_id": survey.invitation_id, "answered_on": None if anonymous else today,
    })
    if claimed != 1:
        raise LinkProblem("used")
    scores = score_response(survey.instrument, values, patient_facing=survey.patient_facing)
    response_id = new_response_id()
    _INSERT_RESPONSE.rowcount(connection, {
        "id": response_id,
        "organisation_id": wave.organisation_id,
        "wave_id": wave.id,
        "team_id": survey.team_id,
        "submitted_on": wave.opens_on if anonymous else today,
        "patient_facing": survey.patient_facing,
        "wording": survey.wording,
        "membership_id": None if anonymous else survey.member_membership_id,
        "answers": {item.key: values.get(item.key) for item in survey.items},
    })
    stored_scores = tuple(
        events.StoredScore(key, result.score, result.band) for key, result in scores.items()
    )
    if stored_scores:
        _INSERT_SCORE.many(connection, [
            {"response_id": response_id, "scale_key": score.scale_key, "score": score.score,
             "band": score.band}
            for score in stored_scores
        ])
    events.response_stored(events.StoredResponse(
        response_id=response_id, wave=wave, instrument_key=survey.instrument_key,
        team_id=survey.team_id, scores=stored_scores,
    ))
    # Every answer of the wave writes this one row, so it is written last: its lock is held
    # only from here to the caller's commit, and concurrent submissions queue for it briefly
    # (and always after their other row locks, see metrics/rollups.record_response). The close
    # job locks the wave's invitations before it writes anything (waves.close_due_waves), so an
    # answer in flight at the closing second, which holds its invitation, finishes first.
    _COUNT_ANSWER.rowcount(connection, {
        "wave_id": wave.id, "unshuffled": 1 if anonymous else 0,
        "rollups_token": new_rollups_token(),
    })
    return scores


# submit's statements, run on the driver's cursor like _SURVEY_BY; values are bound per call.

_CLAIM = DriverStatement(lambda _dialect: (
    update(Invitation.__table__)
    .where(Invitation.id == bindparam("invitation_id"), Invitation.answered.is_(False))
    .values(answered=True, answered_on=bindparam("answered_on"))
))

_INSERT_RESPONSE = DriverStatement(
    lambda _dialect: insert(Response.__table__),
    column_keys=("id", "organisation_id", "wave_id", "team_id", "submitted_on",
                 "patient_facing", "wording", "membership_id", "answers"),
)

_INSERT_SCORE = DriverStatement(
    lambda _dialect: insert(ResponseScore.__table__),
    column_keys=("response_id", "scale_key", "score", "band"),
)

_COUNT_ANSWER = DriverStatement(lambda _dialect: (
    update(Wave.__table__)
    .where(Wave.id == bindparam("wave_id"))
    .values(
        responded_count=Wave.responded_count + 1,
        unshuffled=Wave.unshuffled + bindparam("unshuffled"),
        # An answer begun before its wave closed and stored after it changes a closed
        # wave's rollups: the token results pages know them by must change with them.
        rollups_token=case(
            (Wave.status == "closed", bindparam("rollups_token")),
            else_=Wave.rollups_token,
        ),
    )
))
