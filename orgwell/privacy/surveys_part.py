"""The surveys domain's part: anonymous answers only, and erasure that keeps every count.

Export: campaigns, waves with their invited and responded totals, and the answers without
any link to a person (no membership, no invitation, no date). Answers are left out of a wave
that has fewer than k responses in all, and the team is withheld (null) where a team has
fewer than k answers in a wave: the export promises no more than the reports do. Who was
invited and who answered (wave members, invitations) is never exported.

Erasing a person: their confidential answers lose the membership and stay as anonymous
answers of the wave and team; their wave-member and invitation rows lose the membership and
the link token but stay, so invited and responded counts per wave and team do not change.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, or_, select, update

from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation
from orgwell.privacy.registry import register
from orgwell.privacy.scope import jsonable, org_rows
from orgwell.surveys.instruments.models import InstrumentVersion
from orgwell.surveys.models import (
    Campaign,
    CampaignTeam,
    Invitation,
    Response,
    ResponseScore,
    Wave,
    WaveMember,
)

MODELS = (
    InstrumentVersion, Campaign, CampaignTeam, Wave, WaveMember, Invitation, Response,
    ResponseScore,
)


def export_surveys(org: Organisation):
    return {
        InstrumentVersion.__tablename__: org_rows(org.id, InstrumentVersion.__tablename__),
        Campaign.__tablename__: org_rows(org.id, Campaign.__tablename__),
        CampaignTeam.__tablename__: org_rows(org.id, CampaignTeam.__tablename__),
        Wave.__tablename__: org_rows(org.id, Wave.__tablename__),
        "survey_answers": anonymous_answers(org),
    }


def anonymous_answers(org: Organisation):
    """Each answer sheet with its wave, team (withheld below k) and scores; nothing else."""
    ks = dict(db.session.execute(
        select(Wave.id, Campaign.threshold_k).join(Campaign, Campaign.id == Wave.campaign_id)
        .where(Wave.organisation_id == org.id)
    ).all())
    per_team = Counter()
    per_wave = Counter()
    for wave_id, team_id, count in db.session.execute(
        select(Response.wave_id, Response.team_id, func.count())
        .where(Response.organisation_id == org.id)
        .group_by(Response.wave_id, Response.team_id)
    ):
        per_team[(wave_id, team_id)] += count
        per_wave[wave_id] += count
    stmt = (
        select(Response).where(Response.organisation_id == org.id)
        .order_by(Response.wave_id, Response.id).execution_options(yield_per=500)
    )
    for response in db.session.scalars(stmt):
        k = ks.get(response.wave_id, 5)
        if per_wave[response.wave_id] < k:
            continue
        team_shown = per_team[(response.wave_id, response.team_id)] >= k
        yield {
            "wave_id": response.wave_id,
            "team_id": response.team_id if team_shown else None,
            "wording": response.wording,
            "patient_facing": response.patient_facing,
            "answers": response.answers,
            "scores": {s.scale_key: {"score": s.score, "band": s.band} for s in response.scores},
        }


def export_my_surveys(membership: Membership):
    """The person's invitations (answered or not) and their confidential answers."""
    invitations = db.session.scalars(
        select(Invitation).where(Invitation.membership_id == membership.id)
        .order_by(Invitation.id)
    )
    responses = db.session.scalars(
        select(Response).where(Response.membership_id == membership.id)
        .order_by(Response.submitted_on, Response.id)
    )
    return {
        "survey_invitations": [
            {"campaign": i.wave.campaign.name, "wave_opens_on": jsonable(i.wave.opens_on),
             "answered": i.answered, "answered_on": jsonable(i.answered_on)}
            for i in invitations
        ],
        "survey_results": [
            {"campaign": r.wave.campaign.name, "wave_opens_on": jsonable(r.wave.opens_on),
             "submitted_on": jsonable(r.submitted_on), "answers": r.answers,
             "scores": {s.scale_key: {"score": s.score, "band": s.band} for s in r.scores}}
            for r in responses
        ],
    }


def erase_surveys(ctx) -> None:
    member = ctx.membership.id
    db.session.execute(
        update(Response).where(Response.membership_id == member).values(membership_id=None)
    )
    theirs = select(WaveMember.id).where(WaveMember.membership_id == member)
    db.session.execute(
        update(Invitation)
        .where(or_(Invitation.membership_id == member, Invitation.wave_member_id.in_(theirs)))
        .values(membership_id=None, token_hash=None, token_nonce=None)
    )
    db.session.execute(
        update(WaveMember).where(WaveMember.membership_id == member).values(membership_id=None)
    )


register(
    "surveys",
    order=20,
    tables=[model.__tablename__ for model in MODELS],
    export=export_surveys,
    export_member=export_my_surveys,
    erase_member=erase_surveys,
)
