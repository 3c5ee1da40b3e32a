"""Rollups through the real worker: waves opened and closed by the jobs, answers submitted
through the respondent service (RESPONSE_STORED_HOOKS), program weeks rebuilt after the work
changed, the hourly refresh."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import queries
from orgwell.metrics.models import ParticipationRollup, ProgramWeekRollup, ScaleRollup
from orgwell.orgs.models import Team
from orgwell.programs import enrollment, learning, library
from orgwell.programs.models import Assignment, today
from orgwell.surveys import campaigns, responding
from orgwell.surveys.models import Invitation, Wave
from tests import factories
from tests.surveys.conftest import settings
from worker.metrics import refresh
from worker.surveys import close_due_waves, open_due_waves


def _practice():
    org = factories.OrganisationFactory(slug="worker-practice", name="Worker Physio")
    clinic = factories.TeamFactory(organisation=org, name="Clinic")
    teams = [factories.TeamFactory(organisation=org, name=f"Team {n}", parent=clinic)
             for n in range(2)]
    for n in range(12):
        factories.MembershipFactory(organisation=org, teams=[teams[n % 2]])
    campaigns.create_campaign(org, settings())
    db.session.commit()
    return org


def _answer_all(wave_id: int, value: float) -> None:
    for invitation in db.session.scalars(select(Invitation).filter_by(wave_id=wave_id)):
        survey = responding.open_invitation(invitation)
        values = {item.key: value for item in survey.items}
        responding.submit(survey, values)
        db.session.commit()


def test_answers_and_the_close_job_keep_rollups_right(worker_app, celery_worker, smtp_sink):
    org = _practice()
    open_due_waves.delay()  # the worker opens the wave and freezes its audience
    celery_worker.wait_until(lambda: db.session.scalar(select(func.count(Wave.id))),
                             timeout=60, what="the wave opened")
    wave_id = db.session.scalar(select(Wave.id))
    refresh.delay()  # the hourly job: invited counts of the open wave, before any answer
    celery_worker.wait_until(
        lambda: db.session.scalar(select(func.sum(ParticipationRollup.invited))) == 12,
        timeout=60, what="invited counts refreshed by the worker")

    _answer_all(wave_id, 50)  # the respondent service, as the survey page calls it
    db.session.expire_all()
    rows = db.session.scalars(select(ScaleRollup).filter_by(wave_id=wave_id)).all()
    assert sorted((r.n, r.total, r.n_high) for r in rows) == [(6, 300.0, 6), (6, 300.0, 6)]
    # nothing is shown while the wave is open
    assert queries.burnout_series(org, queries.Filters("cbi-work", "work"),
                                  team_scope=None)[1] == []

    wave = db.session.get(Wave, wave_id)
    wave.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    close_due_waves.delay()  # the close job: WAVE_CLOSED_HOOKS rebuild the wave
    celery_worker.wait_until(
        lambda: db.session.scalar(select(Wave.status).filter_by(id=wave_id)) == "closed",
        timeout=60, what="the wave closed")
    db.session.expire_all()
    participation = db.session.scalars(select(ParticipationRollup).filter_by(wave_id=wave_id))
    assert sorted((p.invited, p.responded) for p in participation) == [(6, 6), (6, 6)]
    k, cells = queries.burnout_series(org, queries.Filters("cbi-work", "work"), team_scope=None)
    assert k == 5
    assert {(c.group.kind, c.n, c.mean) for c in cells} == {
        ("organisation", 12, 50.0), ("clinic", 12, 50.0), ("team", 6, 50.0)}


def _week_totals():
    rows = db.session.scalars(select(ProgramWeekRollup)).all()
    return (sum(r.released for r in rows), sum(r.completed for r in rows),
            max((r.people for r in rows), default=0))


def test_program_weeks_follow_enrollments_completions_and_excuses(
    worker_app, celery_worker, smtp_sink
):
    """No hourly job runs here: each change is rolled up by the task queued after its commit."""
    org = _practice()
    program = library.copy_template(org, "stress-reset")
    db.session.commit()
    team = db.session.scalar(select(Team).filter_by(organisation_id=org.id, name="Team 0"))
    enrollment.enroll(program, start_on=today(), team_ids=[team.id], notify=False)
    db.session.commit()
    released = celery_worker.wait_until(
        lambda: _week_totals()[0], timeout=60, what="the enrollment rolled up")
    assert _week_totals() == (released, 0, 6)

    available = db.session.scalars(
        select(Assignment).filter_by(status="available").order_by(Assignment.id)).all()
    done = next(a for a in available if learning.completion_blocker(a) is None)
    learning.mark_complete(done)
    db.session.commit()
    celery_worker.wait_until(lambda: _week_totals()[1] == 1, timeout=60,
                             what="the completion rolled up")

    excused = next(a for a in available if a.id != done.id)
    enrollment.excuse(excused, "on a course that week")
    db.session.commit()
    celery_worker.wait_until(lambda: _week_totals() == (released - 1, 1, 6), timeout=60,
                             what="the excuse rolled up")
    cells = queries.completion_series(org, team_scope=None)
    mine = [c for c in cells if c.group.key == f"team:{team.id}"]
    assert [(c.released, c.completed, c.suppressed) for c in mine] == [(released - 1, 1, False)]

    # The hourly refresh stays as the repair path: rows lost are rebuilt the same.
    db.session.execute(ProgramWeekRollup.__table__.delete())
    db.session.commit()
    refresh.delay()
    celery_worker.wait_until(lambda: _week_totals() == (released - 1, 1, 6), timeout=60,
                             what="the hourly refresh rebuilt the weeks")
