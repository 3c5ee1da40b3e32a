"""Opening and closing waves: the frozen audience, one invitation each, the close event.

A wave is inserted with its audience and invitations in one transaction, so a wave never
exists half-populated. UNIQUE (campaign_id, opens_on) makes opening idempotent: a second
worker (or a restarted one) that tries the same campaign and date hits the constraint inside
a savepoint and gets None back, whatever the timing.

Who is invited: every ACTIVE membership of the audience that is NOT ON LEAVE when the wave
opens (people on leave are not asked about a job they are away from; they are in the next
wave after they return). Each is recorded with the team they were in at that moment (the
most specific one: a team rather than its clinic), that team's clinic at that moment, and
their patient-facing flag. Metrics group the wave's results by these frozen keys, so a team
that moves to another clinic later leaves the old waves' clinic totals as they were.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.models import Membership, Team, TeamAssignment
from orgwell.surveys import anonymity, events
from orgwell.surveys import schedule as sched
from orgwell.surveys.models import Campaign, Invitation, Wave, WaveMember, new_rollups_token


def open_due_waves(now: datetime | None = None) -> list[int]:
    """Open the scheduled wave due today of every active campaign that lacks it.

    Returns the ids of the waves this call opened (an empty list when another run got there
    first). Flushes; the caller commits, then fans out the invitations.
    """
    now = now or utcnow()
    today = now.date()
    opened = []
    campaigns = db.session.scalars(select(Campaign).filter_by(status="active")).all()
    for campaign in campaigns:
        due = sched.due_date(campaign.schedule, campaign.start_date, campaign.open_days, today)
        if due is None or _wave_exists(campaign.id, due):
            continue
        wave = open_wave(campaign, due, source="scheduled", now=now)
        if wave is not None:
            opened.append(wave.id)
    return opened


def _wave_exists(campaign_id: int, opens_on: date) -> bool:
    return db.session.scalar(
        select(Wave.id).filter_by(campaign_id=campaign_id, opens_on=opens_on)
    ) is not None


def open_wave(
    campaign: Campaign, opens_on: date, *, source: str, now: datetime | None = None
) -> Wave | None:
    """Open a wave of `campaign` on `opens_on`: freeze its audience, create the invitations.

    Returns None when the campaign already has a wave on that date (this run lost the race).
    Locks the campaign's mode and k. Flushes; mails are sent by `fan_out_batch` after commit.
    """
    now = now or utcnow()
    closes_at = (
        sched.manual_close(now, campaign.open_days)
        if source == "manual"
        else sched.scheduled_close(opens_on, campaign.open_days)
    )
    wave = Wave(
        campaign_id=campaign.id,
        organisation_id=campaign.organisation_id,
        opens_on=opens_on,
        closes_at=closes_at,
        status="open",
        source=source,
        opened_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(wave)
            db.session.flush()
    except IntegrityError:
        return None
    members = audience(campaign)
    wave.invited_count = freeze_audience(wave, members)
    if campaign.locked_at is None:
        campaign.locked_at = now
    db.session.flush()
    return wave


def audience(campaign: Campaign) -> list[tuple[int, int | None, bool]]:
    """(membership id, team id, patient-facing) of everyone a wave of `campaign` would invite now.

    Active, not on leave, and for audience "teams" in one of the campaign's teams or in a team
    of one of its clinics.
    """
    return audience_of(campaign.organisation_id, campaign.audience, campaign.team_ids)


def audience_of(
    organisation_id: int, kind: str, team_ids: set[int]
) -> list[tuple[int, int | None, bool]]:
    """`audience` for settings not yet saved: audience `kind` ("organisation" | "teams")."""
    teams = {
        t.id: t.parent_id
        for t in db.session.execute(
            select(Team.id, Team.parent_id).filter_by(organisation_id=organisation_id)
        )
    }
    wanted: set[int] | None = None
    if kind == "teams":
        chosen = set(team_ids)
        wanted = chosen | {tid for tid, parent in teams.items() if parent in chosen}
    people = db.session.execute(
        select(Membership.id, Membership.patient_facing).where(
            Membership.organisation_id == organisation_id,
            Membership.status == "active",
            Membership.on_leave.is_(False),
        )
    ).all()
    current: dict[int, list[int]] = {}
    for membership_id, team_id in db.session.execute(
        select(TeamAssignment.membership_id, TeamAssignment.team_id)
        .join(Membership, Membership.id == TeamAssignment.membership_id)
        .where(
            Membership.organisation_id == organisation_id,
            TeamAssignment.ended_on.is_(None),
        )
    ):
        current.setdefault(membership_id, []).append(team_id)
    result = []
    for membership_id, patient_facing in people:
        their = current.get(membership_id, [])
        if wanted is not None:
            their = [t for t in their if t in wanted]
            if not their:
                continue
        result.append((membership_id, _most_specific(their, teams), bool(patient_facing)))
    return sorted(result)


def _most_specific(team_ids: list[int], parents: dict[int, int | None]) -> int | None:
    """A team inside a clinic before the clinic itself; the lowest id breaks a tie."""
    if not team_ids:
        return None
    return min(team_ids, key=lambda t: (parents.get(t) is None, t))


def freeze_audience(wave: Wave, members: list[tuple[int, int | None, bool]]) -> int:
    """Insert the wave's members (with their team's clinic as it is now) and one unsent
    invitation each; returns how many."""
    if not members:
        return 0
    clinics = clinics_of({t for _, t, _ in members if t is not None})
    rows = db.session.execute(
        insert(WaveMember).returning(WaveMember.id, WaveMember.membership_id),
        [
            {"wave_id": wave.id, "membership_id": m, "team_id": t,
             "clinic_id": clinics.get(t), "patient_facing": p}
            for m, t, p in members
        ],
    ).all()
    db.session.execute(
        insert(Invitation),
        [
            {
                "organisation_id": wave.organisation_id,
                "wave_id": wave.id,
                "wave_member_id": member_id,
                "membership_id": membership_id,
            }
            for member_id, membership_id in rows
        ],
    )
    return len(rows)


def clinics_of(team_ids: set[int]) -> dict[int, int]:
    """{team id: its clinic now} -- the team's parent, or the team itself when it is a clinic."""
    if not team_ids:
        return {}
    return {
        team_id: parent_id or team_id
        for team_id, parent_id in db.session.execute(
            select(Team.id, Team.parent_id).where(Team.id.in_(team_ids))
        )
    }


def close_due_waves(now: datetime | None = None) -> list[int]:
    """Close every open wave whose time is up and tell WAVE_CLOSED_HOOKS, once per wave.

    An anonymous wave with answers since its last reshuffle is reshuffled as it closes.

    The status change is a conditional UPDATE, so two overlapping runs never both close (and
    announce) one wave. The wave's invitations are locked first, as every answer begins by
    locking its own: an answer being stored at the closing second finishes before the close
    goes on, instead of deadlocking with it. Returns the ids closed here. Flushes; the
    caller commits.
    """
    now = now or utcnow()
    due = db.session.scalars(
        select(Wave.id).where(Wave.status == "open", Wave.closes_at <= now).order_by(Wave.id)
    ).all()
    closed = []
    for wave_id in due:
        # An answer being stored locks its invitation first, then its team's rollup rows and
        # the wave's row (responding.submit), all of which the close writes. Locking the
        # wave's invitations before anything else, the close waits for every answer in flight
        # (instead of deadlocking with it), and an answer that starts now waits for the close.
        anonymity.lock_invitations(wave_id)
        result = db.session.execute(
            update(Wave)
            .where(Wave.id == wave_id, Wave.status == "open")
            .values(status="closed", closed_at=now, rollups_token=new_rollups_token())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            wave = db.session.get(Wave, wave_id)
            db.session.refresh(wave)
            if wave.unshuffled:
                anonymity.reshuffle_wave(wave)
                db.session.refresh(wave)
            events.wave_closed(wave)
            closed.append(wave_id)
    db.session.flush()
    return closed
