"""Sending outbox rows in batches over one connection: the body of `mail.send_batch`.

A hand-off (orgwell/notifications/services.py `_queue_sending`) gives a task up to
TASK_BATCH row ids. `deliver_batch` works through them CLAIM_CHUNK at a time:

1. claim the chunk with one conditional UPDATE ... RETURNING (the rule of `claim_message`:
   pending and due, or `sending` under a stale claim), and commit, so that no other worker
   takes those rows;
2. send each claimed row over the one open connection, noting which the server accepted;
3. mark the accepted ones sent (bodies blanked) and record each failure (`record_failure`:
   backoff, or failed for good), in the same commit as the next chunk's claim.

So at any moment one task holds at most CLAIM_CHUNK rows in `sending`: a worker killed
mid-batch repeats at most those (the sweep gives them back once their claim is stale), and
loses none. A chunk that runs long (a slow server) renews its claim well before it would go
stale, so that the sweep never hands a live worker's rows to another.

When the connection breaks (server down, hung up, our sender refused), the rows of the chunk
not yet accepted are recorded as failed attempts, and the rows not yet claimed are returned
to be queued again after the same backoff: they were never tried.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import closing
from itertools import groupby

from flask import current_app
from sqlalchemy import Row, update

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.mailer import MailConnection, MailError, get_backend
from orgwell.notifications.models import OutboxMessage
from orgwell.notifications.services import Claim, claimable, record_failure, retry_delay

# The most rows one task holds claimed and unsent: what a crash may send twice.
CLAIM_CHUNK = 20

_OUTBOX = OutboxMessage.__table__
# What a backend reads of a row to send it (orgwell/notifications/mailer.py `Sendable`).
SENT_COLUMNS = tuple(
    _OUTBOX.c[name]
    for name in ("id", "attempts", "key", "to_addr", "subject", "text_body", "html_body")
)


def deliver_batch(message_ids: Iterable[int], commit: Callable[[], None]) -> dict[int, list[int]]:
    """Send the outbox rows `message_ids` over one connection, CLAIM_CHUNK at a time.

    Rows that are not claimable (sent, failed, not due, held by a live worker, deleted) are
    skipped. `commit` is the caller's: it is called after each claim, before anything is
    sent, because other workers must see the claim. Returns {seconds: [ids]}: the rows to
    queue again after that many seconds (transient failures, and rows left unclaimed behind
    a broken connection). Everything else is settled when it returns (after a last commit).
    """
    ids = list(dict.fromkeys(message_ids))
    retries: dict[int, list[int]] = {}
    backend = get_backend(current_app.config)
    with closing(backend.connect()) as connection:
        position = 0
        while position < len(ids):
            claimed = claim_batch(ids[position : position + CLAIM_CHUNK])
            position += CLAIM_CHUNK
            commit()  # the claims, and the previous chunk's outcomes
            if not claimed:
                continue
            broken_delay = _send_chunk(connection, claimed, retries, commit)
            if broken_delay is not None:
                if ids[position:]:
                    retries.setdefault(broken_delay, []).extend(ids[position:])
                break
        commit()
    return retries


def claim_batch(message_ids: list[int]) -> list[tuple[Claim, Row]]:
    """Claim those of `message_ids` that are claimable, in one conditional UPDATE.

    The same rule as `claim_message`, counting an attempt for each row claimed. Returns
    each claim with what sending needs of its row (`SENT_COLUMNS`, read by the UPDATE's
    RETURNING rather than a second query), in id order. Flushes; the caller commits before
    sending.
    """
    if not message_ids:
        return []
    now = utcnow()
    rows = db.session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(message_ids), claimable(now))
        .values(status="sending", claimed_at=now, attempts=_OUTBOX.c.attempts + 1)
        .returning(*SENT_COLUMNS)
    ).all()
    return sorted(((Claim(row.id, row.attempts), row) for row in rows), key=lambda c: c[0])


def _send_chunk(
    connection: MailConnection,
    claimed: list[tuple[Claim, Row]],
    retries: dict[int, list[int]],
    commit: Callable[[], None],
) -> int | None:
    """Send the claimed rows and record each outcome (flushed, not committed).

    Returns the retry delay when the connection broke (the rest of the chunk then counts as
    failed attempts with the same error), else None.
    """
    renew_after = current_app.config["MAIL_STALE_CLAIM_SECONDS"] / 3
    claimed_at = time.monotonic()
    accepted: list[Claim] = []
    for index, (claim, message) in enumerate(claimed):
        if time.monotonic() - claimed_at > renew_after:
            _mark_sent(accepted)
            accepted = []
            _renew([c for c, _ in claimed[index:]])
            commit()
            claimed_at = time.monotonic()
        try:
            connection.send(message)
        except MailError as exc:
            delay = _failed(claim, exc, retries)
            if exc.broken:
                for rest, _ in claimed[index + 1 :]:
                    _failed(rest, exc, retries)
                _mark_sent(accepted)
                return delay if delay is not None else retry_delay(1)
            continue
        accepted.append(claim)
    _mark_sent(accepted)
    return None


def _failed(claim: Claim, exc: MailError, retries: dict[int, list[int]]) -> int | None:
    delay = record_failure(claim, str(exc), permanent=exc.permanent)
    if delay is not None:
        retries.setdefault(delay, []).append(claim.message_id)
    return delay


def _mark_sent(claims: list[Claim]) -> None:
    """Settle the accepted rows as sent, bodies blanked (see `services.deliver_claimed`)."""
    changed = _update_held(
        claims, status="sent", sent_at=utcnow(), last_error=None, text_body="", html_body=None
    )
    for ids, rowcount in changed:
        if rowcount != len(ids):
            current_app.logger.warning(
                "%s of outbox messages %s were overtaken", len(ids) - rowcount, ids
            )


def _renew(claims: list[Claim]) -> None:
    """Move the claim time of rows still ours to now, so that they do not look abandoned."""
    _update_held(claims, claimed_at=utcnow())


def _update_held(claims: list[Claim], **values) -> list[tuple[list[int], int]]:
    """Set `values` on the claimed rows that are still ours (`sending`, with the attempt we
    counted), one UPDATE per attempt. Returns each UPDATE's ids and how many rows it changed."""
    changed = []
    for attempt, group in groupby(sorted(claims, key=lambda c: c.attempt), lambda c: c.attempt):
        ids = [c.message_id for c in group]
        result = db.session.execute(
            update(_OUTBOX)
            .where(
                _OUTBOX.c.id.in_(ids),
                _OUTBOX.c.status == "sending",
                _OUTBOX.c.attempts == attempt,
            )
            .values(**values)
        )
        changed.append((ids, result.rowcount))
    return changed
