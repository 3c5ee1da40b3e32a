"""Importing results collected elsewhere (paper, another tool) as a closed wave.

The file is the answer-sheet CSV of `orgwell instruments score` with a `team` column (an
existing clinic or team, by name) instead of `respondent`, and optionally `email` (a staff
member of the organisation: the answer is then linked to them, which makes the import
campaign confidential) and `patient_facing` (yes/no; default: the person's own flag, or yes).

Results land in a campaign called "Imported results (<key>)" — "(<key>, confidential)" when
emails are given — created on first use with status "ended", so the worker never opens waves
of it. Each import is one closed wave (source "import") on the given date; importing the same
date twice is refused. Every row is checked before anything is written: a file with any
problem imports nothing, and every problem is reported with its line and column.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation, Team
from orgwell.surveys import events
from orgwell.surveys.instruments.answer_sheet import (
    NO,
    SheetError,
    read_answer_sheet,
)
from orgwell.surveys.models import Campaign, Response, ResponseScore, Wave
from orgwell.surveys.scoring import score_response


class ImportProblems(ValueError):
    """The file cannot be imported; `problems` are messages, each naming its line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ImportedWave:
    wave: Wave
    campaign: Campaign
    responses: int
    linked: int  # responses linked to a staff member (confidential)


def import_results(
    org: Organisation, instrument_key: str, on: date, text: str, *, actor_id: int | None = None
) -> ImportedWave:
    """Store every row of `text` as a response of a new closed wave on `on`.

    Raises ImportProblems listing every problem (unknown instrument, bad cells, unknown
    teams or emails, duplicate emails, rows without any answer, a date already imported, a
    future date); nothing is written then. Flushes; the caller commits.
    """
    from orgwell.surveys.instruments.library import UnknownInstrument, get_version

    try:
        version, instrument = get_version(org, instrument_key)
    except UnknownInstrument:
        raise ImportProblems([f"no instrument {instrument_key!r} in {org.name}."]) from None
    if on > utcnow().date():
        raise ImportProblems([f"the date {on.isoformat()} is in the future."])
    teams = _teams(org)
    members = _members(org)
    try:
        rows = read_answer_sheet(
            instrument, text, required=("team",), optional=("email", "patient_facing"),
            unique=("email",), require_answer=True,
            checks={
                "team": lambda v: None if v.casefold() in teams else
                f"no clinic or team called {v!r} in {org.name}.",
                "email": lambda v: None if v.casefold() in members else
                f"{v!r} is not a current staff member of {org.name}.",
                "patient_facing": lambda v: None if v.casefold() in NO | {"yes", "y", "true", "1"}
                else f"{v!r} is not yes or no.",
            },
        )
    except SheetError as error:
        raise ImportProblems([str(p) for p in error.problems]) from None
    if not rows:
        raise ImportProblems(["line 2: the file has no answers, only a header."])

    confidential = any(row.fields.get("email") for row in rows)
    campaign = _import_campaign(org, version, confidential, on)
    if db.session.scalar(select(Wave.id).filter_by(campaign_id=campaign.id, opens_on=on)):
        raise ImportProblems(
            [f"results of {on.isoformat()} were already imported into “{campaign.name}”."]
        )
    now = utcnow()
    wave = Wave(
        campaign_id=campaign.id, organisation_id=org.id, opens_on=on,
        closes_at=datetime.combine(on + timedelta(days=1), time(0), tzinfo=UTC),
        status="closed", source="import", opened_at=now, closed_at=now,
        invited_count=len(rows), responded_count=len(rows),
    )
    db.session.add(wave)
    db.session.flush()
    linked = 0
    for row in rows:
        member = members.get(row.fields.get("email", "").casefold())
        flag = row.fields.get("patient_facing", "")
        patient_facing = (
            flag.casefold() not in NO if flag else (member[1] if member else True)
        )
        results = score_response(instrument, row.answers, patient_facing=patient_facing)
        response = Response(
            organisation_id=org.id, wave_id=wave.id, team_id=teams[row.fields["team"].casefold()],
            submitted_on=on, patient_facing=patient_facing, wording=campaign.wording,
            membership_id=member[0] if member else None,
            answers={k: v for k, v in row.answers.items() if v is not None},
            scores=[
                ResponseScore(scale_key=key, score=result.score, band=result.band)
                for key, result in results.items()
            ],
        )
        linked += member is not None
        db.session.add(response)
    db.session.flush()
    events.wave_closed(wave)
    record("survey_results_imported", target=wave, organisation_id=org.id, actor_id=actor_id,
           instrument=instrument_key, on=on.isoformat(), responses=len(rows))
    return ImportedWave(wave, campaign, len(rows), linked)


def _teams(org: Organisation) -> dict[str, int]:
    return {
        name.casefold(): team_id
        for team_id, name in db.session.execute(
            select(Team.id, Team.name).filter_by(organisation_id=org.id)
        )
    }


def _members(org: Organisation) -> dict[str, tuple[int, bool]]:
    """lower-cased email -> (membership id, patient-facing) of the current staff."""
    return {
        email.casefold(): (membership_id, patient_facing)
        for membership_id, patient_facing, email in db.session.execute(
            select(Membership.id, Membership.patient_facing, func.lower(User.email))
            .join(User, User.id == Membership.user_id)
            .where(Membership.organisation_id == org.id, Membership.status == "active")
        )
    }


def _import_campaign(org: Organisation, version, confidential: bool, on: date) -> Campaign:
    name = f"Imported results ({version.key}{', confidential' if confidential else ''})"
    campaign = db.session.scalar(
        select(Campaign).filter_by(
            organisation_id=org.id, name=name, instrument_version_id=version.id
        )
    )
    if campaign is not None:
        return campaign
    campaign = Campaign(
        organisation_id=org.id, name=name, instrument_version_id=version.id,
        audience="organisation", mode="confidential" if confidential else "anonymous",
        schedule="once", start_date=on, open_days=1, reminder_max=0, status="ended",
        locked_at=utcnow(),
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign
