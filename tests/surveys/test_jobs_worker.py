"""Survey jobs through a real Celery worker and a real SMTP server."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import JSON, String, Text, func, select

from orgwell.auth.models import User
from orgwell.auth.sessions import token_hash
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import DevMail, OutboxMessage
from orgwell.orgs.models import Membership
from orgwell.surveys import campaigns, waves
from orgwell.surveys.models import Invitation, Response, Wave
from tests import factories
from tests.surveys.conftest import settings
from worker.surveys import close_due_waves, open_due_waves, send_reminders

PEOPLE = 200
ITEMS = ("q7", "q8", "q9", "q10", "q11", "q12", "q13")


def _organisation(people: int):
    org = factories.OrganisationFactory(slug="big-practice")
    teams = [factories.TeamFactory(organisation=org, name=f"Team {n}") for n in range(4)]
    for n in range(people):
        factories.MembershipFactory(
            organisation=org, teams=[teams[n % 4]],
            user=factories.UserFactory(email=f"pt{n}@clinic.example"),
        )
    return org


def _link(message) -> str:
    """The survey token in a delivered mail's plain-text body."""
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://orgwell\.test/s/([A-Za-z0-9_-]+)", body).group(1)


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

    # Four people answer through their mailed links, the way a person does.
    links = {str(m["To"]): _link(m) for m in smtp_sink.messages}
    answered_emails = set(sorted(links)[:4])
    client = worker_app.test_client()
    for email in answered_emails:
        response = client.post(f"/s/{links[email]}", data={f"item-{k}": "75" for k in ITEMS})
        assert response.status_code == 200 and "Thank you" in response.text
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Response.id))) == 4
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
    # Each reminder repeats the person's own link, and it opens the form.
    for message in reminders:
        token = _link(message)
        assert token == links[str(message["To"])]
        invitation = db.session.scalar(
            select(Invitation).join(Membership).join(User)
            .where(User.email == str(message["To"]))
        )
        assert token_hash(token) == invitation.token_hash
        page = client.get(f"/s/{token}")
        assert page.status_code == 200 and 'name="item-q7"' in page.text


def test_no_table_keeps_a_live_link_after_delivery(worker_app, celery_worker, smtp_sink):
    """The outbox blanks bodies once delivered and invitations keep only nonce and hash:
    after a real fan-out no text column anywhere (the dev mailbox aside) holds a token."""
    org = _organisation(6)
    campaigns.create_campaign(org, settings())
    db.session.commit()
    open_due_waves.delay()
    messages = smtp_sink.wait_for(6, timeout=60)
    celery_worker.wait_until(_all_sent, timeout=30, what="every invitation sent")
    db.session.expire_all()
    hashes = set(db.session.scalars(select(Invitation.token_hash)))
    assert len(hashes) == 6 and None not in hashes
    assert {token_hash(_link(m)) for m in messages} == hashes
    found = []
    for table in db.metadata.sorted_tables:
        if table.name == DevMail.__tablename__:
            continue
        text_columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for row in db.session.execute(select(*text_columns)) if text_columns else ():
            for column, value in zip(text_columns, row, strict=True):
                for word in re.findall(r"[A-Za-z0-9_-]{20,}", str(value or "")):
                    if token_hash(word) in hashes:
                        found.append(f"{table.name}.{column.name}")
    assert found == []
    sent = db.session.scalars(select(OutboxMessage)).all()
    assert all(m.text_body == "" and m.html_body is None and m.subject for m in sent)


def test_a_wave_past_its_time_is_closed_and_never_mailed(worker_app, celery_worker, smtp_sink):
    org = _organisation(5)
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
