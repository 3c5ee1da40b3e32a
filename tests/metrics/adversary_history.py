"""The history the adversarial surfaces test reads: random practices answering waves of the
full CBI, a clinic in a program, a leaver and a mover, a small team moved to another clinic; and
the true counts (`truth_of`) the adversary derives against. See test_adversarial_surfaces.py.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.metrics import alerts
from orgwell.metrics.rebuild import rebuild_program_weeks, week_start
from orgwell.orgs import staff
from orgwell.orgs.models import Membership, Team, TeamAssignment
from orgwell.orgs.services import update_team
from orgwell.programs import enrollment, library
from orgwell.programs.models import Assignment
from orgwell.surveys import events
from orgwell.surveys.models import Campaign, Response, ResponseScore, WaveMember
from tests import factories
from tests.metrics import adversary
from tests.metrics.conftest import close_wave, open_survey_wave, random_answers
from tests.metrics.derivation import Truth
from tests.metrics.test_adversarial import _random_practice
from tests.surveys.conftest import store_response

SEED = int(os.environ.get("ORGWELL_ADVERSARY_SEED", "20261126"))
PRACTICES = 4
K = 5
INSTRUMENT = "cbi"
SCALES = ("personal", "work", "client")
WAVE_MEASURES = ("responded", "invited", *(f"n:{s}" for s in SCALES))
FIRST_WAVE = date(2026, 3, 2)
WAVE_GAP = timedelta(days=35)


@dataclass
class Scenario:
    """One practice's history and what the adversary needs to name its groups."""

    index: int
    practice: object
    owner: object
    leaders: dict
    consultant: object
    waves: list = field(default_factory=list)
    versions: list = field(default_factory=list)  # tree versions: group key -> atoms
    labels: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    moved_on: date = date.max
    today: list = field(default_factory=list)  # "today" after each wave
    looked: list = field(default_factory=list)  # "today" of each collection
    program: object = None
    scale_names: dict = field(default_factory=dict)

    @property
    def org(self):
        return self.practice.org


# --- building a practice's history -------------------------------------------------------------

def start(rng: random.Random, index: int) -> Scenario:
    """A random practice (plus an empty clinic when it has one), a consultant, a program."""
    practice, owner, leaders = _random_practice(rng, index)
    org = practice.org
    if len(practice.clinics) == 1:  # somewhere to move a team to
        practice.clinics.append(factories.TeamFactory(organisation=org, name="Clinic 9"))
    consultant = factories.ConsultantGrantFactory(organisation=org).consultant
    for member in db.session.scalars(select(Membership).filter_by(organisation_id=org.id)):
        member.patient_facing = rng.random() < 0.6
    db.session.commit()
    scn = Scenario(index, practice, owner, leaders, consultant)
    scn.versions.append(_tree(org, scn))
    scn.program = library.copy_template(org, "stress-reset")
    db.session.commit()
    return scn


def run_wave(scn: Scenario, number: int, rng: random.Random, while_open=None) -> None:
    """Wave `number` (0-2): a program starts before wave 1; before wave 2 one of its people
    leaves, another moves to another team, and a team moves to another clinic. Once the
    answers are in, `while_open(wave)` looks before the wave closes."""
    opens_on = FIRST_WAVE + WAVE_GAP * number
    if number == 1:
        _enroll(scn.program, rng.choice(scn.practice.clinics), opens_on - timedelta(days=14),
                rng)
    if number == 2:
        _leave_and_move(scn, opens_on - timedelta(days=10), rng)
        scn.moved_on = opens_on - timedelta(days=7)
        _move_a_small_team(scn, rng)
    wave = open_survey_wave(scn.practice, opens_on, k=K, instrument=INSTRUMENT)
    _answer(wave, rng)
    if while_open is not None:
        while_open(wave)
    close_wave(wave)
    alerts.send_wave_alerts(wave.id)
    db.session.commit()
    scn.waves.append(wave)
    if not scn.scale_names:
        instrument = db.session.get(Campaign, wave.campaign_id).instrument_version.instrument
        scn.scale_names = {s.name: s.key for s in instrument.scales}
    # The hourly job keeps program weeks; it runs before anyone looks.
    scn.today.append(opens_on + timedelta(days=7))
    rebuild_program_weeks(scn.org, scn.today[-1])
    db.session.commit()


def _tree(org, scn: Scenario) -> dict[str, frozenset]:
    """Group key -> atoms (team ids, a clinic's id for its own members, 0 for no team)."""
    teams = db.session.scalars(select(Team).filter_by(organisation_id=org.id)).all()
    by_id = {t.id: t for t in teams}
    groups = {"org": frozenset([0, *by_id])}
    scn.labels[org.name] = "org"
    for team in teams:
        if team.parent_id is None:
            key = f"clinic:{team.id}"
            groups[key] = frozenset([team.id, *(t.id for t in teams if t.parent_id == team.id)])
            scn.labels[team.name] = key
            scn.names[("clinic", team.name)] = key
        else:
            key = f"team:{team.id}"
            groups[key] = frozenset([team.id])
            scn.labels[f"{by_id[team.parent_id].name} › {team.name}"] = key
            scn.names[("team", team.name)] = key
    return groups


def _enroll(program, clinic, start_on: date, rng: random.Random) -> None:
    """Enroll a whole clinic; about half of the modules get done within three weeks."""
    enrollment.enroll(program, start_on=start_on, team_ids=[clinic.id], notify=False,
                      day=start_on)
    org_id = program.organisation_id
    for a in db.session.scalars(select(Assignment).filter_by(organisation_id=org_id)):
        if rng.random() < 0.5:
            done = a.release_on + timedelta(days=rng.randint(0, 20))
            a.status, a.completed_at = "completed", datetime(done.year, done.month, done.day,
                                                             12, tzinfo=UTC)
    db.session.commit()


def _leave_and_move(scn: Scenario, day: date, rng: random.Random) -> None:
    """Two enrolled staff (when there are): one leaves on `day` (their open work is closed
    that day), one moves to another team. A leaver must not become a no-team group of one
    that hides the organisation's completion from then on."""
    enrolled = db.session.scalars(
        select(Membership).join(Assignment, Assignment.membership_id == Membership.id)
        .where(Membership.organisation_id == scn.org.id, Membership.role == "staff")
        .distinct().order_by(Membership.id)).all()
    if len(enrolled) < 2:
        return
    leaver, mover = rng.sample(enrolled, 2)
    staff.mark_leaver(leaver, day)
    left = datetime(day.year, day.month, day.day, 17, tzinfo=UTC)
    for a in db.session.scalars(select(Assignment).filter_by(membership_id=leaver.id,
                                                             status="closed")):
        a.closed_at = left  # the leaver hook closes with the clock; the scenario runs earlier
    current = db.session.scalars(select(TeamAssignment).filter_by(
        membership_id=mover.id, ended_on=None)).all()
    others = [t for t in scn.practice.teams + scn.practice.clinics
              if t.id not in {c.team_id for c in current}]
    for assignment in current:
        assignment.ended_on = day
    db.session.add(TeamAssignment(membership_id=mover.id, team_id=rng.choice(others).id,
                                  started_on=day))
    db.session.commit()


def _move_a_small_team(scn: Scenario, rng: random.Random) -> None:
    """Move a team whose earlier waves had 1..k-1 answers, if any, to another clinic."""
    teams = scn.practice.teams
    small = [t for t in teams if any(0 < _responded(w, t.id) < K for w in scn.waves)]
    team = rng.choice(small or teams)
    target = rng.choice([c for c in scn.practice.clinics if c.id != team.parent_id])
    update_team(team, team.name, target.id)
    db.session.commit()
    scn.versions.append(_tree(scn.org, scn))


def _responded(wave, team_id) -> int:
    return db.session.scalar(select(func.count()).select_from(Response).where(
        Response.wave_id == wave.id, Response.team_id == team_id))


def _answer(wave, rng: random.Random) -> None:
    """Per-team response rates from 0 to 1 (in a quiet wave hardly anyone answers, so that the
    whole practice can fall under k), stored the way the respondent side stores them."""
    instrument = db.session.get(Campaign, wave.campaign_id).instrument_version.instrument
    members = db.session.scalars(
        select(WaveMember).filter_by(wave_id=wave.id).order_by(WaveMember.id)).all()
    choices = [0.0, 0.0, 0.1] if rng.random() < 0.25 else [0.0, 0.3, 0.6, 0.9, 1.0]
    rates = {}
    for member in members:
        rate = rates.setdefault(member.team_id, rng.choice(choices))
        if rng.random() < rate:
            response = store_response(wave, member.team_id, random_answers(instrument, rng, 0.05),
                                      patient_facing=member.patient_facing)
            db.session.flush()
            events.response_stored(response)
            wave.responded_count += 1
    db.session.commit()


# --- the truth ----------------------------------------------------------------------------------

def truth_of(scn: Scenario) -> Truth:
    """True counts per atom, from the raw tables (never rollups): per wave the invited (frozen
    audience), respondents and respondents of each scale; per program week as each collection
    saw it, the people with released work and their modules released, completed, overdue."""
    counts, version_at = {}, {}
    for wave in scn.waves:
        period = ("wave", wave.opens_on, wave.opens_on)
        table: dict = {}

        def add(team_id, measure, count, table=table):
            table.setdefault(team_id or 0, {})[measure] = count

        for team_id, count in db.session.execute(
                select(WaveMember.team_id, func.count()).where(WaveMember.wave_id == wave.id)
                .group_by(WaveMember.team_id)):
            add(team_id, "invited", count)
        for team_id, count in db.session.execute(
                select(Response.team_id, func.count()).where(Response.wave_id == wave.id)
                .group_by(Response.team_id)):
            add(team_id, "responded", count)
        for team_id, scale, count in db.session.execute(
                select(Response.team_id, ResponseScore.scale_key, func.count(ResponseScore.score))
                .join(ResponseScore, ResponseScore.response_id == Response.id)
                .where(Response.wave_id == wave.id)
                .group_by(Response.team_id, ResponseScore.scale_key)):
            add(team_id, f"n:{scale}", count)
        counts[period] = table
        version_at[period] = 0 if wave.opens_on < scn.moved_on else 1
    spans: dict = {}
    for membership_id, started, ended, team_id, parent_id in db.session.execute(
            select(TeamAssignment.membership_id, TeamAssignment.started_on,
                   TeamAssignment.ended_on, Team.id, Team.parent_id)
            .join(Team, Team.id == TeamAssignment.team_id)
            .where(Team.organisation_id == scn.org.id)):
        spans.setdefault(membership_id, []).append((started, ended, team_id, parent_id))
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.organisation_id == scn.org.id)).all()
    for today in scn.looked:
        for period in weeks_of(assignments, today):
            _, _, as_of = period
            table = {}
            people: dict = {}
            for a in assignments:
                if a.release_on > as_of or _no_longer_expected(a, as_of):
                    continue
                atom = _atom_on(spans.get(a.membership_id, ()), as_of)
                row = table.setdefault(atom, {m: 0 for m in adversary.COMPLETION_MEASURES})
                done = a.completed_at is not None and a.completed_at.date() <= as_of
                row["released"] += 1
                row["completed"] += done
                row["overdue"] += (not done and a.due_on is not None and a.due_on < as_of)
                people.setdefault(atom, set()).add(a.membership_id)
            for atom, who in people.items():
                table[atom]["people"] = len(who)
            counts[period] = table
            version_at[period] = 0 if as_of < scn.moved_on else 1
    names = {0: "people in no team"}
    for team in db.session.scalars(select(Team).filter_by(organisation_id=scn.org.id)):
        names[team.id] = f"{team.name} ({'own members' if team.parent_id is None else 'team'}"
        names[team.id] += f" {team.id})"
    return Truth(K, counts, scn.versions, version_at, names)


def _no_longer_expected(a, day: date) -> bool:
    """Excused or closed by `day`: such work counts nowhere, and does not count its person."""
    return any(a.status == status and at is not None and at.date() <= day
               for status, at in (("excused", a.excused_at), ("closed", a.closed_at)))


def _atom_on(spans, day: date) -> int:
    """Where a person's work counts on `day`: the team they are in (a team before a clinic),
    else the last one they were in (a leaver), else 0 (never in a team by then)."""
    now = sorted((parent is None, team) for started, ended, team, parent in spans
                 if started <= day and (ended is None or ended > day))
    if now:
        return now[0][1]
    before = sorted(((ended, parent is not None, -team) for started, ended, team, parent
                     in spans if ended is not None and started <= day and ended <= day),
                    reverse=True)
    return -before[0][2] if before else 0


def weeks_of(assignments, today: date) -> list[tuple]:
    """("week", Monday, as of) from the first release to `today` (the current week as of today,
    as the hourly rebuild counts it)."""
    if not assignments:
        return []
    week = week_start(min(a.release_on for a in assignments))
    weeks = []
    while week <= today:
        weeks.append(("week", week, min(week + timedelta(days=6), today)))
        week += timedelta(days=7)
    return weeks
