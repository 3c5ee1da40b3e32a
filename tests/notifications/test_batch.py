"""Sending outbox rows in batches (mail.send_batch, task body called): claims a chunk at a time,
one SMTP connection, failures mid-batch, and the bulk queueing that feeds it."""

from __future__ import annotations

import smtplib
from collections import Counter

import pytest
from sqlalchemy import func, select, update

from orgwell.after_commit import pending
from orgwell.database import utcnow
from orgwell.notifications import delivery, mailer, services
from orgwell.notifications.models import DevMail, OutboxMessage
from orgwell.notifications.services import Mail, batches, queue_mails
from tests.notifications.helpers import plant_message, queue_reset_mail
from worker.mail import send_batch


def _use_smtp(app, sink):
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST=sink.host, SMTP_PORT=sink.port)


def _queue(db, n: int, prefix: str = "batch") -> list[int]:
    ids = [queue_reset_mail(f"{prefix}:{i}", f"person{i}@example.com").id for i in range(n)]
    db.session.commit()
    return ids


def _rows(db, ids):
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()


@pytest.fixture
def connections(monkeypatch):
    """How many SMTP connections the mailer opened (the real smtplib, counted)."""
    opened = []

    class CountingSMTP(smtplib.SMTP):
        def __init__(self, *args, **kwargs):
            opened.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(mailer.smtplib, "SMTP", CountingSMTP)
    return opened


def test_a_batch_goes_over_one_connection_and_each_row_once(app, db, smtp_sink, connections):
    _use_smtp(app, smtp_sink)
    ids = _queue(db, 45)

    send_batch(ids)
    send_batch(ids)  # a repeated task finds every row settled

    assert len(connections) == 1
    assert Counter(smtp_sink.outbox_keys) == Counter(f"batch:{i}" for i in range(45))
    rows = _rows(db, ids)
    assert {(r.status, r.attempts, r.text_body, r.html_body) for r in rows} == {
        ("sent", 1, "", None)
    }
    assert all(r.sent_at is not None for r in rows)
    email = smtp_sink.to("person3@example.com")[0]
    assert email["Subject"] == "Reset your OrgWell password"
    assert email.get_content_type() == "multipart/alternative"
    assert "http://orgwell.test/reset/batch:3" in email.get_body(("plain",)).get_content()


def test_no_more_than_a_chunk_is_claimed_and_unsent(app, db, smtp_sink):
    """What a crash could send twice: the rows in `sending` at any commit."""
    _use_smtp(app, smtp_sink)
    ids = _queue(db, 2 * delivery.CLAIM_CHUNK + 5)
    in_flight = []

    def commit():
        db.session.commit()
        in_flight.append(
            db.session.scalar(select(func.count()).where(OutboxMessage.status == "sending"))
        )

    assert delivery.deliver_batch(ids, commit) == {}

    assert max(in_flight) == delivery.CLAIM_CHUNK
    assert in_flight[-1] == 0
    assert len(smtp_sink.messages) == len(ids)


def test_smtp_failure_mid_batch_retries_only_the_unsent(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    app.config["MAIL_RETRY_BASE_SECONDS"] = 7
    chunk = delivery.CLAIM_CHUNK
    ids = _queue(db, 2 * chunk + 10)
    commits = 0

    def commit():
        nonlocal commits
        db.session.commit()
        commits += 1
        if commits == 2:  # the first chunk is sent, the second claimed: the server goes
            smtp_sink.stop()

    retries = delivery.deliver_batch(ids, commit)

    first, second, rest = ids[:chunk], ids[chunk : 2 * chunk], ids[2 * chunk :]
    # The second chunk counts a failed attempt; the rest was never claimed.
    assert retries == {7: second + rest}
    assert sorted(smtp_sink.outbox_keys) == sorted(f"batch:{i}" for i in range(chunk))
    rows = {r.id: r for r in _rows(db, ids)}
    assert {rows[i].status for i in first} == {"sent"}
    assert {(rows[i].status, rows[i].attempts) for i in second} == {("pending", 1)}
    assert all(rows[i].last_error for i in second)
    assert all(rows[i].next_attempt_at > utcnow() for i in second)
    assert {(rows[i].status, rows[i].attempts, rows[i].last_error) for i in rest} == {
        ("pending", 0, None)
    }

    # The server is back and the backoff has passed: the retry sends the unsent, once each.
    smtp_sink.start()
    db.session.execute(update(OutboxMessage).values(next_attempt_at=None))
    db.session.commit()
    send_batch(second + rest)
    assert Counter(smtp_sink.outbox_keys) == Counter(f"batch:{i}" for i in range(len(ids)))
    assert {r.status for r in _rows(db, ids)} == {"sent"}


def test_a_refused_recipient_mid_batch_fails_alone(app, db, smtp_sink, connections):
    _use_smtp(app, smtp_sink)
    good = plant_message("good:1", "a@example.com")
    bounce = plant_message("bounce:1", "bounce@example.com")
    after = plant_message("good:2", "b@example.com")
    db.session.commit()

    assert delivery.deliver_batch([good.id, bounce.id, after.id], db.session.commit) == {}

    rows = {r.key: r for r in _rows(db, [good.id, bounce.id, after.id])}
    assert rows["bounce:1"].status == "failed" and "550" in rows["bounce:1"].last_error
    assert rows["good:1"].status == rows["good:2"].status == "sent"
    assert sorted(smtp_sink.outbox_keys) == ["good:1", "good:2"]
    assert len(connections) == 1  # the conversation went on after the refusal


def test_rows_not_claimable_are_skipped(app, db, smtp_sink):
    _use_smtp(app, smtp_sink)
    sent = plant_message("done:1", "a@example.com", status="sent", attempts=1)
    held = plant_message(
        "held:1", "b@example.com", status="sending", attempts=1, claimed_at=utcnow()
    )
    due = plant_message("due:1", "c@example.com")
    db.session.commit()

    send_batch([sent.id, held.id, due.id, 99999])

    assert smtp_sink.outbox_keys == ["due:1"]
    assert [r.status for r in _rows(db, [sent.id, held.id])] == ["sent", "sending"]


def test_a_long_chunk_renews_its_claim(app, db, smtp_sink):
    """A slow server must not make a live worker's claims look abandoned to the sweep."""
    _use_smtp(app, smtp_sink)
    app.config["MAIL_STALE_CLAIM_SECONDS"] = 0.3
    smtp_sink.delay = 0.15
    ids = _queue(db, 4)
    claimed_at = []

    def commit():
        db.session.commit()
        claimed_at.append(
            set(
                db.session.scalars(
                    select(OutboxMessage.claimed_at).where(OutboxMessage.status == "sending")
                )
            )
        )

    assert delivery.deliver_batch(ids, commit) == {}

    assert len(set().union(*claimed_at)) > 1, "the rows still to send kept their first claim"
    assert {r.status for r in _rows(db, ids)} == {"sent"}
    assert len(smtp_sink.messages) == 4


def test_dev_backend_batch_fills_the_dev_mailbox(db):
    ids = _queue(db, 3)
    send_batch(ids)
    assert db.session.scalar(select(func.count()).select_from(DevMail)) == 3
    assert {r.status for r in _rows(db, ids)} == {"sent"}


def test_queue_mails_adds_each_key_once_and_hands_them_over_after_commit(app, db):
    queue_reset_mail("bulk:0", "first@example.com")
    db.session.commit()
    mails = [
        Mail(
            f"bulk:{i}",
            f"p{i}@example.com",
            "reset",
            None,
            {"user": {"name": f"P {i}"}, "link": f"http://orgwell.test/r/{i}", "valid_hours": 2},
        )
        for i in range(4)
    ]
    ids = queue_mails([*mails, mails[2]])

    assert len(ids) == 3  # bulk:0 was queued before; bulk:2 twice is once
    assert pending(db.session, services._queue_sending) == set(ids)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage).filter_by(key="bulk:3"))
    assert (row.to_addr, row.status, row.subject) == (
        "p3@example.com",
        "pending",
        "Reset your OrgWell password",
    )
    assert "http://orgwell.test/r/3" in row.text_body and "http://orgwell.test/r/3" in row.html_body
    assert queue_mails(mails) == []


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, []), (1, [1]), (2, [1, 1]), (7, [4, 3]), (200, [100, 100]), (250, [100, 100, 50])],
)
def test_hand_offs_are_batches_shared_by_two_processes(count, sizes):
    assert [len(b) for b in batches(list(range(count)), 100)] == sizes
