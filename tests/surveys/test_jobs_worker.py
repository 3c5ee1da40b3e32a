"""Survey jobs through a real Celery worker and a real SMTP server."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.surveys import campaigns, waves
from orgwell.surveys.models import Invitation, Wave
from tests import factories
from tests.surveys.conftest import settings
from worker.surveys import close_due_waves, open_due_waves, send_reminders

PEOPLE = 200


def _organisation(people: int):
    org = factories.OrganisationFactory(slug="big-practice")
    teams = [factories.TeamFactory(organisation=org, name=f"Team {n}") for n in range(4)]
    for n in range(people):
        factories.MembershipFactory(
            organisation=org, teams=[teams[n % 4]],
            user=factories.UserFactory(email=f"pt{n}@clinic.example"),
        )
    return org


def _all_sent() -> bool:
    return not db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
    )


def test_a_wave_for_200_people_sends_exactly_200_invitations(
    worker_app, celery_worker, smtp_sink
):
    org = _organisation(PEOPLE)
    campaigns.create_campaign(org, settings())
    db.session.commit()

    open_due_waves.delay()
    open_due_waves.delay()  # beat twice, or a restarted worker: still one wave

    messages = smtp_sink.wait_for(PEOPLE, timeout=90)
    celery_worker.wait_until(_all_sent, timeout=60, what="every invitation sent")
    open_due_waves.delay()  # a later run finds nothing left to send
    time.sleep(2)
    assert len(smtp_sink.messages) == PEOPLE
    assert sorted(str(m["To"]) for m in messages) == sorted(
        f"pt{n}@clinic.example" for n in range(PEOPLE))
    assert db.session.scalar(select(func.count(Wave.id))) == 1
    body = messages[0].get_body(("plain",)).get_content()
    assert "http://orgwell.test/s/" in body and "about 1 minute" in body
    assert all(k.startswith("survey.invite:") for k in smtp_sink.outbox_keys)


def test_reminders_reach_only_non_responders_and_never_twice(
    worker_app, celery_worker, smtp_sink
):
    org = _organisation(10)
    three_days_ago = utcnow().date() - timedelta(days=3)
    campaigns.create_campaign(
        org, settings(start_date=three_days_ago, reminder_gap_days=2, open_days=7),
        today=three_days_ago,
    )
    db.session.commit()
    open_due_waves.delay()
    smtp_sink.wait_for(10, timeout=60)
    celery_worker.wait_until(_all_sent, timeout=30, what="the invitations sent")

    answered = db.session.scalars(select(Invitation).order_by(Invitation.id).limit(4)).all()
    answered_emails = {i.membership.user.email for i in answered}
    for invitation in answered:
        invitation.answered, invitation.answered_on = True, utcnow().date()
    db.session.commit()
    smtp_sink.clear()

    send_reminders.delay()
    send_reminders.delay()
    reminders = smtp_sink.wait_for(6, timeout=60)
    celery_worker.wait_until(_all_sent, timeout=30, what="the reminders sent")
    time.sleep(1.5)
    assert len(smtp_sink.messages) == 6
    assert not answered_emails & {str(m["To"]) for m in reminders}
    assert all(k.startswith("survey.remind:") for k in smtp_sink.outbox_keys)
    assert "Reminder" in str(reminders[0]["Subject"])


def test_a_wave_past_its_time_is_closed_and_never_mailed(worker_app, celery_worker, smtp_sink):
    org = _organisation(3)
    eight_days_ago = utcnow().date() - timedelta(days=8)
    campaign = campaigns.create_campaign(
        org, settings(start_date=eight_days_ago, open_days=7, reminder_gap_days=1),
        today=eight_days_ago,
    )
    # Opened eight days ago, but its fan-out never ran; it closed at midnight.
    wave = waves.open_wave(campaign, eight_days_ago, source="scheduled",
                           now=utcnow() - timedelta(days=8))
    db.session.commit()

    open_due_waves.delay()  # neither re-opens the date nor mails a closed wave
    send_reminders.delay()
    close_due_waves.delay()
    celery_worker.wait_until(
        lambda: db.session.get(Wave, wave.id).status == "closed", what="the wave closed"
    )
    time.sleep(1.5)
    assert smtp_sink.messages == []
    assert db.session.scalar(select(func.count(Wave.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
