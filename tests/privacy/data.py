"""A populated organisation for the privacy tests: a row in every table of every domain.

`fill(org, teams, people)` gives each person an enrollment with assignments (one completed,
with a reflection and a practice log), a leave record, a confidential survey answer (most of
them) with scores, mail, audit entries and a staff import naming them.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta

from orgwell.audit.services import record
from orgwell.auth.models import ApiToken, UserSession, UserToken
from orgwell.extensions import db
from orgwell.notifications.models import DevMail, OutboxMessage
from orgwell.orgs.models import ImportJob
from orgwell.programs.leave_models import LeavePeriod
from orgwell.programs.models import (
    Assignment,
    Cohort,
    CohortTeam,
    Enrollment,
    Module,
    PracticeLogEntry,
    Program,
    ProgramSettings,
    ProgramVersion,
)
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

START = date(2025, 3, 3)


def _hash() -> str:
    return hashlib.sha256(secrets.token_bytes(16)).hexdigest()


def fill(org, people: list[tuple[object, object]], *, skip_answer: set[int] = frozenset()):
    """Rows of every domain for `org`; `people` is (membership, team) pairs.

    Members whose id is in `skip_answer` are invited but do not answer.
    """
    db.session.add(ProgramSettings(organisation_id=org.id))
    program = Program(organisation_id=org.id, name=f"Burnout prehab {org.slug}")
    version = ProgramVersion(program=program, number=1, published_at=datetime(2025, 3, 1,
                                                                            tzinfo=UTC))
    modules = [
        Module(version=version, module_key="course", kind="course", title="A course",
               position=0, release_offset_days=0, due_offset_days=7),
        Module(version=version, module_key="reflect", kind="reflection", title="Reflect",
               position=1, release_offset_days=7, due_offset_days=14, prompt="How was it?"),
        Module(version=version, module_key="practice", kind="practice", title="Practice",
               position=2, release_offset_days=0, due_offset_days=21),
    ]
    db.session.add_all([program, version, *modules])
    db.session.flush()
    cohort = Cohort(organisation_id=org.id, program_id=program.id, version_id=version.id,
                    name="Spring", start_on=START)
    db.session.add(cohort)
    db.session.flush()
    for team in {team.id: team for _, team in people}.values():
        db.session.add(CohortTeam(cohort_id=cohort.id, team_id=team.id))

    instrument = InstrumentVersion(
        organisation_id=org.id, key=f"pulse-{org.slug}", version=1, name="Pulse",
        source="custom", definition={"key": f"pulse-{org.slug}", "version": 1},
    )
    db.session.add(instrument)
    db.session.flush()
    campaign = Campaign(organisation_id=org.id, name="Monthly check-in",
                        instrument_version_id=instrument.id, mode="confidential",
                        start_date=START, threshold_k=3, audience="teams")
    db.session.add(campaign)
    db.session.flush()
    waves = []
    for n in range(2):
        wave = Wave(campaign_id=campaign.id, organisation_id=org.id,
                    opens_on=START + timedelta(days=30 * n),
                    closes_at=datetime(2025, 3, 10, tzinfo=UTC) + timedelta(days=30 * n),
                    status="closed", invited_count=len(people))
        db.session.add(wave)
        waves.append(wave)
    db.session.flush()
    for team in {team.id: team for _, team in people}.values():
        db.session.add(CampaignTeam(campaign_id=campaign.id, team_id=team.id))

    for index, (membership, team) in enumerate(people):
        _person_programs(org, program, cohort, modules, membership, index)
        for n, wave in enumerate(waves):
            _person_survey(org, wave, membership, team, index + n,
                           answers=membership.id not in skip_answer)
        _person_mail_and_audit(org, membership)
    _metrics_rows(org, campaign, waves, program, cohort, people)
    db.session.add(ImportJob(
        organisation_id=org.id, filename="roster.csv", status="done",
        rows=[{"name": m.user.name, "email": m.user.email, "team": t.name} for m, t in people],
        total=len(people), processed=len(people),
    ))
    db.session.flush()


def _person_programs(org, program, cohort, modules, membership, index: int) -> None:
    enrollment = Enrollment(organisation_id=org.id, program_id=program.id, cohort=cohort,
                            membership_id=membership.id, start_on=START)
    db.session.add(enrollment)
    db.session.flush()
    name = membership.user.name
    course, reflect, practice = modules
    done = Assignment(
        organisation_id=org.id, enrollment=enrollment, membership_id=membership.id,
        module=reflect, release_on=START + timedelta(days=7), due_on=START + timedelta(days=14),
        status="completed", completed_at=datetime(2025, 3, 12 + index % 5, 9, tzinfo=UTC),
        reflection_text=f"Private reflection of {name}: I felt drained after clinic.",
    )
    excused = Assignment(
        organisation_id=org.id, enrollment=enrollment, membership_id=membership.id,
        module=course, release_on=START, due_on=START + timedelta(days=7),
        status="excused" if index % 2 else "available",
        excused_at=datetime(2025, 3, 5, tzinfo=UTC) if index % 2 else None,
        excuse_reason=f"{name} was at a conference" if index % 2 else None,
    )
    log = Assignment(
        organisation_id=org.id, enrollment=enrollment, membership_id=membership.id,
        module=practice, release_on=START, due_on=START + timedelta(days=21), status="available",
    )
    db.session.add_all([done, excused, log])
    db.session.flush()
    db.session.add(PracticeLogEntry(assignment_id=log.id, day=START, minutes=10,
                                    note=f"{name} breathed for ten minutes"))
    db.session.add(LeavePeriod(organisation_id=org.id, membership_id=membership.id,
                               started_on=date(2025, 2, 1), ended_on=date(2025, 2, 10)))


def _person_survey(org, wave, membership, team, index: int, *, answers: bool) -> None:
    member = WaveMember(wave_id=wave.id, membership_id=membership.id, team_id=team.id)
    db.session.add(member)
    db.session.flush()
    db.session.add(Invitation(
        organisation_id=org.id, wave_id=wave.id, wave_member_id=member.id,
        membership_id=membership.id, token_hash=_hash(), token_nonce="nonce-" + _hash()[:20],
        sent=True, answered=answers,
        answered_on=wave.opens_on + timedelta(days=1) if answers else None,
    ))
    if not answers:
        return
    response = Response(organisation_id=org.id, wave_id=wave.id, team_id=team.id,
                        submitted_on=wave.opens_on + timedelta(days=1),
                        membership_id=membership.id,
                        answers={"w1": 25 * (index % 5), "w2": 50})
    db.session.add(response)
    db.session.flush()
    db.session.add(ResponseScore(response_id=response.id, scale_key="work",
                                 score=12.5 * (index % 8), band="below"))


def _person_mail_and_audit(org, membership) -> None:
    user = membership.user
    outbox = OutboxMessage(
        key=f"test.invite:{org.id}:{membership.id}", organisation_id=org.id, to_addr=user.email,
        subject=f"{user.name}, your check-in", text_body=f"Hello {user.name}, answer here.",
        html_body=f"<p>Hello {user.name}</p>", status="sent",
    )
    db.session.add(outbox)
    db.session.flush()
    db.session.add(DevMail(outbox_id=outbox.id, to_addr=user.email, from_addr="a@b.example",
                           subject=outbox.subject, text_body=outbox.text_body))
    db.session.add(UserSession(id_hash=_hash(), user_id=user.id, ip="10.0.0.9",
                               user_agent="Firefox"))
    db.session.add(UserToken(user_id=user.id, purpose="reset", token_hash=_hash(),
                             expires_at=datetime(2030, 1, 1, tzinfo=UTC)))
    db.session.add(ApiToken(user_id=user.id, name="script", token_hash=_hash(), prefix="ow_ab"))
    event = record("person_updated", target=membership, organisation_id=org.id,
                   actor_id=user.id, note=f"changed by {user.name} <{user.email}>")
    event.ip = "10.0.0.9"


def _metrics_rows(org, campaign, waves, program, cohort, people) -> None:
    """Rollups, an action and an export job: the metrics tables hold no person, but they
    belong to the organisation and must go with it."""
    from orgwell.metrics.action_models import Action
    from orgwell.metrics.export_models import ExportJob
    from orgwell.metrics.models import ParticipationRollup, ProgramWeekRollup, ScaleRollup
    from orgwell.surveys.models import new_rollups_token

    membership, team = people[0]
    for wave in waves:
        db.session.add(ScaleRollup(
            organisation_id=org.id, campaign_id=campaign.id, wave_id=wave.id, team_key=team.id,
            team_id=team.id, instrument_key=f"pulse-{org.slug}", scale_key="pulse",
            opens_on=wave.opens_on, n=len(people), total=50.0 * len(people),
            total_sq=2500.0 * len(people), n_high=1,
        ))
        db.session.add(ParticipationRollup(
            organisation_id=org.id, campaign_id=campaign.id, wave_id=wave.id, team_key=team.id,
            team_id=team.id, opens_on=wave.opens_on, invited=len(people), responded=len(people),
        ))
        wave.rollups_token = new_rollups_token()  # as every rollup writer does
    db.session.add(ProgramWeekRollup(
        organisation_id=org.id, program_id=program.id, team_key=team.id, team_id=team.id,
        week_start=START, released=3, completed=2, overdue=1,
    ))
    db.session.add(Action(
        organisation_id=org.id, team_id=team.id, title="Protect documentation time",
        owner_text=membership.user.name, started_on=START, cohort_id=cohort.id,
        created_by_id=membership.user_id,
    ))
    db.session.add(ExportJob(
        organisation_id=org.id, created_by_id=membership.user_id, format="png",
        query="scale=work", status="done",
    ))
