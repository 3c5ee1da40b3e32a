"""Mail through the transactional outbox: queueing, sending, and the sweep.

`queue_mail` adds an outbox row in the caller's transaction; nothing is sent until that
transaction commits. After the outermost commit (orgwell/after_commit.py: a released
savepoint is not one), the ids of the rows it added are handed to the worker in
`mail.send_batch` tasks of up to TASK_BATCH ids (`_queue_sending`; `queue_mails` adds a
wave's worth of rows in one INSERT). If that hand-off is lost (broker down, crash right
after the commit), the periodic sweep (`requeue_due_messages`) finds the pending row and
queues it again.

Sending is two transactions: `claim_message` turns a row from pending to sending (one
conditional UPDATE, so only one worker wins), the task commits, and `deliver_claimed`
sends it and records the outcome. A worker that dies between the two leaves a row in
`sending`; once the claim is MAIL_STALE_CLAIM_SECONDS old the sweep gives it back. At most that one
message can go out twice; none is lost. A delivered row keeps no body (see `deliver_claimed`).
The batch path (orgwell/notifications/delivery.py) claims CLAIM_CHUNK rows at a time with the
same rule (`claimable`) and sends them over one connection: at most a chunk goes out twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update

from orgwell.after_commit import listen, run_after_commit
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.mailer import MailError, get_backend
from orgwell.notifications.models import DevMail, OutboxMessage

SWEEP_BATCH = 500


def _stale_claim() -> timedelta:
    """After this long in `sending`, a row's worker is presumed lost (MAIL_STALE_CLAIM_SECONDS)."""
    return timedelta(seconds=current_app.config["MAIL_STALE_CLAIM_SECONDS"])


def _sweep_grace() -> timedelta:
    """How long a due row may wait for its queued task before the sweep queues another."""
    return timedelta(seconds=current_app.config["MAIL_SWEEP_GRACE_SECONDS"])


def queue_mail(
    key: str, to_addr: str, template: str, *, organisation_id: int | None = None, **context
) -> OutboxMessage:
    """Add the mail `template` for `to_addr` to the outbox, once per `key`.

    Renders `templates/mail/<template>.txt` (required) and `.html` (optional) with `context`
    plus `base_url`. Returns the existing row when `key` was queued before (idempotent), so
    a task that runs twice never mails twice. Flushes; the caller commits.
    """
    existing = db.session.scalar(select(OutboxMessage).filter_by(key=key))
    if existing is not None:
        return existing
    (row,) = _rendered([Mail(key, to_addr, template, organisation_id, context)])
    message = OutboxMessage(**row)
    db.session.add(message)
    db.session.flush()
    run_after_commit(db.session, _queue_sending, [message.id])
    return message


@dataclass(frozen=True)
class Mail:
    """One mail for `queue_mails`: what `queue_mail` takes, as a value."""

    key: str
    to_addr: str
    template: str
    organisation_id: int | None = None
    context: dict = field(default_factory=dict)


def queue_mails(mails: list[Mail]) -> list[int]:
    """`queue_mail` for many mails at once (a wave's invitations): one query for the keys
    queued before, one multi-row INSERT for the rest.

    Returns the ids of the rows added; a key already in the outbox (or twice in `mails`)
    adds nothing. Flushes; the rows are handed to the worker after the caller's commit.
    """
    keys = {mail.key for mail in mails}
    known = set(db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(keys))))
    new = []
    for mail in mails:
        if mail.key not in known:
            known.add(mail.key)
            new.append(mail)
    if not new:
        return []
    ids = list(db.session.scalars(
        insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True),
        _rendered(new),
    ))
    run_after_commit(db.session, _queue_sending, ids)
    return ids


def _rendered(mails: list[Mail]) -> list[dict]:
    """The outbox rows' columns for `mails`: each one's templates rendered with its context.

    What `render_template` does, with the app's context processors run once for the list
    rather than for each of a mail's three templates (in a request, the navigation one runs
    a query). A mail's own context wins over theirs, and over `base_url`, as there.
    """
    shared = {"base_url": current_app.config["BASE_URL"].rstrip("/")}
    current_app.update_template_context(shared)
    templates = current_app.jinja_env.get_template
    rows = []
    for mail in mails:
        context = {**shared, **mail.context}
        name = f"mail/{mail.template}"
        subject = templates(f"{name}.subject.txt").render(context).strip()
        rows.append({
            "key": mail.key,
            "organisation_id": mail.organisation_id,
            "to_addr": mail.to_addr,
            "subject": subject[:200],
            "text_body": templates(f"{name}.txt").render(context),
            "html_body": templates(f"{name}.html").render(context),
        })
    return rows


def init_dispatch() -> None:
    """Listen for commits on every session (the factory calls this; queueing does too)."""
    listen()


# The most outbox rows one `mail.send_batch` task is given; see orgwell/notifications/delivery.py.
TASK_BATCH = 100


def _queue_sending(message_ids: list[int]) -> None:
    """After the commit that added them: hand the new outbox rows to the worker in batches.

    A hand-off of a few rows is still split in two, so that two pool processes share it.
    """
    from worker.mail import send_batch

    for batch in batches(message_ids, TASK_BATCH):
        try:
            send_batch.delay(batch)
        except Exception:  # noqa: BLE001 - the broker may be down; the sweep will resend
            current_app.logger.warning(
                "could not queue outbox messages %s..%s", batch[0], batch[-1], exc_info=True
            )


def batches(ids: list, most: int) -> list[list]:
    """`ids` in runs of at most `most`, and at least two runs when there are two ids."""
    size = max(1, min(most, ceil(len(ids) / 2)))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass(frozen=True, order=True)
class Claim:
    """A worker's hold on one outbox row; `attempt` (the row's attempts) identifies it."""

    message_id: int
    attempt: int


def claim_message(message_id: int) -> Claim | None:
    """Mark the outbox row `message_id` as being sent by us, if nobody else holds it.

    Claimable: a pending row that is due, or a row left in `sending` by a worker that
    stopped answering MAIL_STALE_CLAIM_SECONDS ago. Returns None for every other case (sent, failed,
    not due, held by a live worker, deleted), which makes a repeated task a no-op. Counts
    the attempt. Flushes; the caller commits before sending, so other workers see the claim.
    """
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, claimable(now))
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    )
    attempt = result.scalar_one_or_none()
    return None if attempt is None else Claim(message_id, attempt)


def claimable(now: datetime) -> ColumnElement[bool]:
    """The rows a worker may claim at `now`: pending and due, or `sending` under a claim
    older than MAIL_STALE_CLAIM_SECONDS; never past MAIL_MAX_ATTEMPTS."""
    return and_(
        OutboxMessage.attempts < current_app.config["MAIL_MAX_ATTEMPTS"],
        or_(
            and_(
                OutboxMessage.status == "pending",
                or_(
                    OutboxMessage.next_attempt_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                ),
            ),
            and_(
                OutboxMessage.status == "sending",
                OutboxMessage.claimed_at < now - _stale_claim(),
            ),
        ),
    )


def deliver_claimed(claim: Claim) -> int | None:
    """Send the claimed message through the configured backend and record the outcome.

    Returns None when the row is settled (sent, or failed for good), else the number of
    seconds after which to try again; the row is then pending with next_attempt_at set.
    A sent row's text and html bodies are blanked (links in them live only in the mailbox);
    the dev backend's mailbox row, written in this same transaction, keeps its copy.
    Flushes; the caller commits.
    """
    message = db.session.get(OutboxMessage, claim.message_id)
    if message is None:
        return None
    try:
        get_backend(current_app.config).send(message)
    except MailError as exc:
        return record_failure(claim, str(exc), permanent=exc.permanent)
    # The outbox is a queue, not an archive: once delivered, the bodies (which may carry
    # single-use links) are blanked; key, recipient, subject, status and times stay.
    _settle(claim, status="sent", sent_at=utcnow(), last_error=None, text_body="",
            html_body=None)
    return None


def record_failure(claim: Claim, error: str, *, permanent: bool) -> int | None:
    """Note a failed attempt: failed for good when `permanent` or out of attempts (None),
    else pending again after the backoff (returns its seconds). Flushes."""
    config = current_app.config
    if permanent or claim.attempt >= config["MAIL_MAX_ATTEMPTS"]:
        current_app.logger.error("outbox message %s failed: %s", claim.message_id, error)
        _settle(claim, status="failed", last_error=error[:500])
        return None
    delay = retry_delay(claim.attempt)
    current_app.logger.warning(
        "outbox message %s attempt %s failed, retrying in %ss: %s",
        claim.message_id, claim.attempt, delay, error,
    )
    _settle(
        claim,
        status="pending",
        claimed_at=None,
        next_attempt_at=utcnow() + timedelta(seconds=delay),
        last_error=error[:500],
    )
    return delay


def retry_delay(attempt: int) -> int:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): doubling, capped."""
    config = current_app.config
    base = config.get("MAIL_RETRY_BASE_SECONDS", 30)
    cap = config.get("MAIL_RETRY_MAX_SECONDS", 3600)
    return int(min(cap, base * 2 ** (attempt - 1)))


def _settle(claim: Claim, **values) -> None:
    # Only while the claim is still ours: a worker that stalled past the stale-claim age may have
    # been overtaken, and the newer attempt's outcome wins.
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claim.message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.attempts == claim.attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        current_app.logger.warning(
            "outbox message %s: claim %s was overtaken", claim.message_id, claim.attempt
        )


def requeue_due_messages() -> list[int]:
    """Find outbox rows whose task was lost and queue them again after the commit.

    Gives back rows stuck in `sending` under a stale claim (or fails them when their
    attempts are used up), then takes pending rows due for the sweep grace and moves their
    next_attempt_at to now, so that the next sweep leaves them alone for another
    grace period. The UPDATE ... RETURNING makes overlapping sweeps pick disjoint rows.
    Returns the ids queued (at most SWEEP_BATCH). Flushes; the caller commits.
    """
    now = utcnow()
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    grace = _sweep_grace()
    stale = and_(
        OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - _stale_claim()
    )
    db.session.execute(
        update(OutboxMessage)
        .where(stale, OutboxMessage.attempts >= max_attempts)
        .values(status="failed", last_error="the worker sending it was lost")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(stale)
        .values(status="pending", claimed_at=None, next_attempt_at=now - grace)
        .execution_options(synchronize_session=False)
    )
    due = and_(
        OutboxMessage.status == "pending",
        func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
        <= now - grace,
    )
    batch = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(SWEEP_BATCH)
    ids = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(batch.scalar_subquery()), due)
        .values(next_attempt_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    run_after_commit(db.session, _queue_sending, ids)
    return sorted(ids)


def dev_mailbox(to: str | None = None, page: int = 1, per_page: int = 50):
    """A page of the development mailbox, newest first.

    `to` keeps mail whose recipient contains it (any case). Returns Flask-SQLAlchemy's
    Pagination; a page past the end is empty rather than a 404.
    """
    query = select(DevMail).order_by(DevMail.delivered_at.desc(), DevMail.id.desc())
    if to:
        query = query.where(DevMail.to_addr.icontains(to.strip(), autoescape=True))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
