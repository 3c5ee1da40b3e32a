"""The close -> alert path through a real Celery worker and a real SMTP server.

The worker's close job closes the wave; the metrics hook rebuilds its rollups and asks for
the alert task; after the commit the worker runs it and the outbox sends the mail.
"""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.surveys.models import Campaign, Wave, WaveMember
from tests import factories
from tests.metrics.conftest import close_wave, make_practice, open_survey_wave
from tests.surveys.conftest import store_response
from worker.metrics_alerts import sweep_alerts
from worker.surveys import close_due_waves


def _answer_all(wave: Wave, value_for_team) -> None:
    """Everyone in the wave answers every item with the value chosen for their team."""
    instrument = db.session.get(Campaign, wave.campaign_id).instrument_version.instrument
    members = db.session.scalars(select(WaveMember).where(WaveMember.wave_id == wave.id))
    for member in members:
        value = value_for_team(member.team_id)
        store_response(wave, member.team_id, {item.key: value for item in instrument.items})
    db.session.commit()


def _alert_rows() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id))
                             .where(OutboxMessage.key.like("metrics.alert:%")))


def test_a_closing_wave_mails_the_owner_and_the_teams_leader(worker_app, celery_worker,
                                                              smtp_sink):
    # One clinic with two teams of six: team 1 answers 25 then 75, team 2 stays at 25.
    practice = make_practice([(0, [6, 6])], slug="bay", name="Bay Physio")
    org, (team_1, team_2) = practice.org, practice.teams
    owner = factories.MembershipFactory(
        organisation=org, role="owner", teams=[],
        user=factories.UserFactory(email="owner@bay.example", name="Olivia Owner")).user
    leader_1 = factories.MembershipFactory(
        organisation=org, role="leader", teams=[team_1],
        user=factories.UserFactory(email="lead1@bay.example")).user
    leader_2 = factories.MembershipFactory(
        organisation=org, role="leader", teams=[team_2],
        user=factories.UserFactory(email="lead2@bay.example")).user
    db.session.commit()

    today = utcnow().date()
    first = open_survey_wave(practice, today - timedelta(days=35))
    _answer_all(first, lambda team_id: 25)
    close_wave(first)  # the first wave: nothing to compare with, no mail
    second = open_survey_wave(practice, today - timedelta(days=5))
    _answer_all(second, lambda team_id: 75 if team_id == team_1.id else 25)
    second.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    close_due_waves.delay()

    celery_worker.wait_until(lambda: _alert_rows() == 2, timeout=45, what="two alert mails")
    messages = smtp_sink.wait_for(2, timeout=30)
    celery_worker.wait_until(
        lambda: db.session.scalar(select(Wave.status).where(Wave.id == second.id)) == "closed",
        what="the second wave closed")
    sweep_alerts.delay()  # the hourly sweep after it: nothing new
    time.sleep(2)
    celery_worker.wait_until(
        lambda: not db.session.scalar(select(func.count(OutboxMessage.id))
                                      .where(OutboxMessage.status != "sent")),
        what="every mail sent")
    assert len(smtp_sink.messages) == 2 and _alert_rows() == 2
    assert sorted(str(m["To"]) for m in messages) == ["lead1@bay.example", "owner@bay.example"]
    assert smtp_sink.to(leader_2.email) == []
    to_owner = smtp_sink.to(owner.email)[0]
    body = to_owner.get_body(("plain",)).get_content()
    # CBI work has one reversed item: answering 25 everywhere scores 32, 75 scores 68.
    assert "Clinic 1 › Clinic 1 team 1, Work-related burnout: 32 -> 68" in body
    assert "Clinic 1, Work-related burnout: 32 -> 50" in body  # the clinic rose too
    assert "Clinic 1 team 2" not in body
    assert f"http://orgwell.test/o/bay/results/teams/{team_1.id}" in body
    assert to_owner["Subject"].startswith("2 results to look at after")
    to_leader = smtp_sink.to(leader_1.email)[0].get_body(("plain",)).get_content()
    assert "Clinic 1 team 1" in to_leader and "Clinic 1, Work" not in to_leader
    assert sorted(smtp_sink.outbox_keys) == sorted(
        f"metrics.alert:{second.id}:{u.id}" for u in (owner, leader_1))
