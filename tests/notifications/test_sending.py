"""Sending one outbox row: the claim, the backends, retries and giving up (task bodies called)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.notifications import services
from orgwell.notifications.mailer import OUTBOX_KEY_HEADER
from orgwell.notifications.models import DevMail
from tests.notifications.helpers import plant_message, queue_reset_mail
from worker.mail import send_message


def _use_smtp(app, sink):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST=sink.host, SMTP_PORT=sink.port)


def test_sending_twice_sends_once(db):
    message = queue_reset_mail("reset:1", "alex@example.com")
    db.session.commit()

    send_message(message.id)
    send_message(message.id)

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.sent_at is not None and message.sent_at.tzinfo is not None
    mails = db.session.scalars(select(DevMail)).all()
    assert len(mails) == 1
    assert mails[0].outbox_id == message.id
    assert mails[0].from_addr == "OrgWell <no-reply@orgwell.local>"
    assert mails[0].subject == "Reset your OrgWell password"
    assert "http://orgwell.test/reset/reset:1" in mails[0].text_body


def test_a_delivered_message_keeps_no_body_but_the_dev_mailbox_does(db):
    """The outbox is a queue, not an archive: links in a delivered mail live only in the
    mailbox (here the dev one, which /dev/mail reads)."""
    message = queue_reset_mail("reset:2", "alex@example.com")
    db.session.commit()
    send_message(message.id)
    db.session.refresh(message)
    assert (message.status, message.text_body, message.html_body) == ("sent", "", None)
    assert (message.key, message.to_addr, message.subject) == (
        "reset:2", "alex@example.com", "Reset your OrgWell password")
    assert message.sent_at is not None
    kept = db.session.scalars(select(DevMail)).one()
    assert "http://orgwell.test/reset/reset:2" in kept.text_body and kept.html_body


def test_a_message_not_yet_delivered_keeps_its_body(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    message = queue_reset_mail("reset:3", "alex@example.com")
    db.session.commit()
    smtp_sink.stop()
    with pytest.raises(Retry):
        send_message(message.id)
    db.session.refresh(message)
    assert message.status == "pending" and "reset:3" in message.text_body


def test_claim_is_taken_once(db):
    message = plant_message("claim:1", "a@example.com")
    db.session.commit()
    first = services.claim_message(message.id)
    second = services.claim_message(message.id)
    assert first == services.Claim(message.id, 1)
    assert second is None


MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("status", "attempts", "next_attempt_in", "claimed_ago", "claimable"),
    [
        ("pending", 0, None, None, True),
        ("pending", 1, -MINUTE, None, True),
        ("pending", 1, MINUTE, None, False),
        ("pending", 8, None, None, False),
        ("sent", 1, None, None, False),
        ("failed", 8, None, None, False),
        ("sending", 1, None, MINUTE, False),
        ("sending", 1, None, 6 * MINUTE, True),
    ],
)
def test_which_rows_can_be_claimed(db, status, attempts, next_attempt_in, claimed_ago, claimable):
    now = utcnow()
    message = plant_message(
        "claim:rule",
        "a@example.com",
        status=status,
        attempts=attempts,
        next_attempt_at=None if next_attempt_in is None else now + next_attempt_in,
        claimed_at=None if claimed_ago is None else now - claimed_ago,
    )
    db.session.commit()
    assert (services.claim_message(message.id) is not None) is claimable


def test_claim_of_a_missing_row_is_none(db):
    assert services.claim_message(12345) is None


def test_smtp_backend_sends_text_and_html(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    message = queue_reset_mail("reset:smtp", "alex@example.com")
    db.session.commit()

    send_message(message.id)

    [email] = smtp_sink.messages
    assert email["From"] == "OrgWell <no-reply@orgwell.local>"
    assert email["To"] == "alex@example.com"
    assert email["Subject"] == "Reset your OrgWell password"
    assert email[OUTBOX_KEY_HEADER] == "reset:smtp"
    assert email["Message-ID"].startswith(f"<outbox.{message.id}.")
    assert email["Message-ID"].endswith("@orgwell.local>")
    assert email["Date"]
    assert email.get_content_type() == "multipart/alternative"
    assert "http://orgwell.test/reset/reset:smtp" in email.get_body(("plain",)).get_content()
    assert 'href="http://orgwell.test/reset/reset:smtp"' in email.get_body(("html",)).get_content()
    db.session.refresh(message)
    assert message.status == "sent"
    assert db.session.scalar(select(func.count()).select_from(DevMail)) == 0


def test_text_only_mail_is_not_multipart(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    message = plant_message("plain:1", "a@example.com", html_body=None)
    db.session.commit()
    send_message(message.id)
    [email] = smtp_sink.messages
    assert email.get_content_type() == "text/plain"


def test_server_down_schedules_a_retry_then_sends(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    app.config["MAIL_RETRY_BASE_SECONDS"] = 5
    message = queue_reset_mail("reset:down", "alex@example.com")
    db.session.commit()
    smtp_sink.stop()

    with pytest.raises(Retry):
        send_message(message.id)

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in message.last_error
    wait = message.next_attempt_at - utcnow()
    assert timedelta(seconds=3) < wait <= timedelta(seconds=5)

    send_message(message.id)  # too early: a duplicate task does nothing
    db.session.refresh(message)
    assert message.attempts == 1

    message.next_attempt_at = utcnow()
    db.session.commit()
    smtp_sink.start()
    send_message(message.id)
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)
    assert smtp_sink.outbox_keys == ["reset:down"]


def test_last_attempt_fails_for_good(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    message = plant_message("last:1", "a@example.com", attempts=2)
    db.session.commit()
    smtp_sink.stop()

    send_message(message.id)  # no Retry: nothing left to try

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error


def test_refused_recipient_fails_at_once(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    message = plant_message("bounce:1", "bounce@example.com")
    db.session.commit()

    send_message(message.id)

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert "550" in message.last_error
    assert smtp_sink.messages == []


def test_retry_delay_doubles_up_to_a_cap(app):
    app.config.update(MAIL_RETRY_BASE_SECONDS=30, MAIL_RETRY_MAX_SECONDS=200)
    assert [services.retry_delay(n) for n in range(1, 6)] == [30, 60, 120, 200, 200]


def test_an_overtaken_claim_does_not_settle(db):
    message = plant_message("overtaken:1", "a@example.com")
    db.session.commit()
    claim = services.claim_message(message.id)
    db.session.commit()
    # Another worker took it over after our claim went stale, and sent it.
    message.attempts, message.status = 2, "sent"
    db.session.commit()

    assert services.deliver_claimed(claim) is None
    db.session.commit()

    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 2)
