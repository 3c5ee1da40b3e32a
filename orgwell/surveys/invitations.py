"""Invitation and reminder mails: single-use link tokens, fan-out in batches, reminders.

A link token is never stored anywhere. It is derived: HMAC-SHA256(SECRET_KEY,
"survey-invite:<invitation id>:<nonce>"), urlsafe base64 (256 bits); the invitation keeps the
random per-invitation `token_nonce` and `token_hash` (SHA-256 of the token), which is what an
opened link is looked up by. The outbox blanks a mail's body once it is delivered, so after
that the token exists only in the person's mailbox. A new nonce makes a new link and retires
the old one.

Claiming a batch is a conditional UPDATE (sent false -> true), so two fan-outs of the same wave
never pick the same invitation, and an invitation already sent is never given a new nonce.
Nonce, `sent` and the outbox row commit together: a crash loses all three, and the next run
sends that invitation afresh.

Reminders repeat the invitation's own link, recomputed from its nonce (and checked against the
stored hash, so a changed SECRET_KEY issues a new nonce instead of a dead link). Each reminder
is claimed by a conditional UPDATE on `reminders_sent` and keyed
`survey.remind:<invitation>:<n>` in the outbox, so a repeated run sends nothing twice.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from orgwell.auth.sessions import token_hash
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.services import Mail, queue_mail, queue_mails
from orgwell.orgs.models import Membership, Organisation
from orgwell.surveys.models import Campaign, Invitation, Wave

FANOUT_BATCH = 500
NONCE_BYTES = 32
RESPOND_ENDPOINT = "surveys_respond.form"
_PLACEHOLDER = "TOKENPLACEHOLDER"


def link_token(invitation_id: int, nonce: str) -> str:
    """The link token of an invitation: HMAC-SHA256 of its id and nonce, urlsafe (43 chars)."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else key.encode()
    digest = hmac.new(
        key, f"survey-invite:{invitation_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(invitation: Invitation) -> str:
    """Give `invitation` a fresh nonce (retiring any earlier link); returns the new token.

    Sets `token_nonce` and `token_hash` on the object; the caller flushes.
    """
    invitation.token_nonce, invitation.token_hash, raw = new_token(invitation.id)
    return raw


def new_token(invitation_id: int) -> tuple[str, str, str]:
    """A fresh (nonce, token hash, token) for the invitation `invitation_id`; stores nothing."""
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    raw = link_token(invitation_id, nonce)
    return nonce, token_hash(raw), raw


def link_prefix() -> str:
    """The absolute address of a survey link, up to the token (built on BASE_URL)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        url = url_for(RESPOND_ENDPOINT, token=_PLACEHOLDER, _external=True)
    return url[: url.index(_PLACEHOLDER)]


# --- fan-out -------------------------------------------------------------------------------


def fan_out_batch(wave_id: int, limit: int = FANOUT_BATCH, now: datetime | None = None) -> int:
    """Queue the invitation mails of up to `limit` unsent invitations of the wave.

    Returns how many invitations were claimed (0: nothing left, or the wave is closed). A
    person who left the organisation since the wave opened is claimed but not mailed.
    Flushes; the caller commits after each batch.
    """
    now = now or utcnow()
    wave = db.session.get(Wave, wave_id)
    if wave is None or wave.status != "open" or wave.closes_at <= now:
        return 0
    batch = (
        select(Invitation.id)
        .where(Invitation.wave_id == wave_id, Invitation.sent.is_(False))
        .order_by(Invitation.id)
        .limit(limit)
    )
    claimed = db.session.scalars(
        update(Invitation)
        .where(Invitation.id.in_(batch.scalar_subquery()), Invitation.sent.is_(False))
        .values(sent=True)
        .returning(Invitation.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    context = mail_context(wave)
    prefix = link_prefix()
    invitations = db.session.scalars(
        select(Invitation)
        .where(Invitation.id.in_(claimed))
        .options(joinedload(Invitation.membership).joinedload(Membership.user))
        .order_by(Invitation.id)
        .execution_options(populate_existing=True)
    ).all()
    tokens, mails = [], []
    for invitation in invitations:
        if not _reachable(invitation.membership):
            continue
        nonce, hashed, raw = new_token(invitation.id)
        tokens.append({"id": invitation.id, "token_nonce": nonce, "token_hash": hashed})
        person = invitation.membership.user
        mails.append(Mail(
            invitation.mail_key, person.email, "survey_invitation", wave.organisation_id,
            {"person": person, "link": prefix + raw, **context},
        ))
    if tokens:
        # One UPDATE by primary key for the batch (executemany), and one INSERT for its mail.
        db.session.execute(update(Invitation), tokens)
        queue_mails(mails)
    db.session.flush()
    return len(claimed)


def waves_to_fan_out(now: datetime | None = None) -> list[int]:
    """Open waves that still have unsent invitations (their fan-out was lost or is running)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Wave.id)
            .where(
                Wave.status == "open",
                Wave.closes_at > now,
                Wave.id.in_(select(Invitation.wave_id).where(Invitation.sent.is_(False))),
            )
            .order_by(Wave.id)
        )
    )


def _reachable(membership: Membership | None) -> bool:
    return membership is not None and membership.status == "active" and not membership.on_leave


def mail_context(wave: Wave) -> dict:
    """What every invitation and reminder of `wave` says: instrument, time, deadline, privacy."""
    campaign = db.session.get(Campaign, wave.campaign_id)
    instrument = campaign.instrument_version.instrument
    return {
        "organisation": db.session.get(Organisation, wave.organisation_id),
        "campaign": campaign,
        "instrument": instrument,
        "minutes": instrument.estimated_minutes,
        "closes_at": wave.closes_at,
        "closes_label": closes_label(wave.closes_at),
        "closes_day": closes_day(wave.closes_at),
        "mode": campaign.mode,
        "k": campaign.threshold_k,
    }


def closes_label(closes_at: datetime) -> str:
    """"Sunday 14 March 2027, 23:59 UTC": the last minute a wave accepts answers."""
    last = closes_at - timedelta(minutes=1)
    return f"{last:%A} {last.day} {last:%B %Y, %H:%M} UTC"


def closes_day(closes_at: datetime) -> str:
    """"Sunday 14 March": the last day a wave accepts answers, for subject lines."""
    last = closes_at - timedelta(minutes=1)
    return f"{last:%A} {last.day} {last:%B}"


# --- reminders -----------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Remind those who have not answered an open wave of an active campaign.

    At most the campaign's `reminder_max` reminders each, at least `reminder_gap_days` after
    the wave opened or the previous reminder; never to someone who answered, left or is on
    leave, never after the wave closed. Returns how many reminders were queued. Flushes.
    """
    now = now or utcnow()
    today = now.date()
    waves = db.session.execute(
        select(Wave, Campaign)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(
            Wave.status == "open",
            Wave.closes_at > now,
            Campaign.status == "active",
            Campaign.reminder_max > 0,
        )
        .order_by(Wave.id)
    ).all()
    sent = 0
    for wave, campaign in waves:
        cutoff = today - timedelta(days=campaign.reminder_gap_days)
        # The first reminder counts its gap from the day the wave opened.
        gap_passed = [Invitation.last_reminded_on <= cutoff]
        if wave.opens_on <= cutoff:
            gap_passed.append(Invitation.last_reminded_on.is_(None))
        candidates = db.session.scalars(
            select(Invitation)
            .where(
                Invitation.wave_id == wave.id,
                Invitation.sent.is_(True),
                Invitation.answered.is_(False),
                Invitation.token_hash.is_not(None),
                Invitation.reminders_sent < campaign.reminder_max,
                or_(*gap_passed),
            )
            .options(joinedload(Invitation.membership).joinedload(Membership.user))
            .order_by(Invitation.id)
        ).all()
        if not candidates:
            continue
        context = mail_context(wave)
        for invitation in candidates:
            if _remind(invitation, today, context):
                sent += 1
    db.session.flush()
    return sent


def _remind(invitation: Invitation, today, context: dict) -> bool:
    if not _reachable(invitation.membership):
        return False
    number = invitation.reminders_sent + 1
    claimed = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.reminders_sent == number - 1,
            Invitation.answered.is_(False),
        )
        .values(reminders_sent=number, last_reminded_on=today)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:
        return False
    queue_mail(
        f"survey.remind:{invitation.id}:{number}",
        invitation.membership.user.email,
        "survey_reminder",
        organisation_id=invitation.organisation_id,
        person=invitation.membership.user,
        link=_link_of(invitation),
        reminder_number=number,
        **context,
    )
    return True


def _link_of(invitation: Invitation) -> str:
    """The invitation's link as its mail gave it, recomputed from the nonce.

    Issues a new nonce (retiring the old link) only when the stored hash does not match, e.g.
    after SECRET_KEY changed.
    """
    prefix = link_prefix()
    if invitation.token_nonce:
        raw = link_token(invitation.id, invitation.token_nonce)
        if token_hash(raw) == invitation.token_hash:
            return prefix + raw
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    raw = link_token(invitation.id, nonce)
    db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id)
        .values(token_nonce=nonce, token_hash=token_hash(raw))
        .execution_options(synchronize_session=False)
    )
    return prefix + raw
