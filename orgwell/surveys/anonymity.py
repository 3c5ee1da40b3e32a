"""Wiping what the database engine itself remembers about who answered an anonymous wave.

An anonymous response holds nothing about its person, but storing it leaves traces in the
engine: on PostgreSQL the claim of the invitation and the insert of the response run in one
transaction, so both rows carry the same `xmin` (the transaction id), and the heap keeps rows
in insertion order (`ctid`). Reading either one back re-links an answer to its invitation,
and so to a person.

`reshuffle_wave` erases both traces for a whole wave at once: it copies the wave's responses
(and their scores) in a random order under new random ids, deletes the originals, and touches
every invitation of the wave (`SET answered = answered`). Afterwards every response of the
wave was written by one (sub)transaction and every invitation by another, and the heap order
is random. The copy and the touch run in two savepoints of the caller's transaction, so on
PostgreSQL they get different transaction ids (no response shares an `xmin` with any
invitation) and still commit together. SQLite stores none of this, but the service runs there
the same way.

Aggregates do not change: rollups are keyed by wave, team and scale, never by response id.
The survey job runs it for every open anonymous wave with answers since the last shuffle
(`Wave.unshuffled`), and once more when a wave closes.
"""
from __future__ import annotations

import random

from sqlalchemy import delete, insert, select, update

from orgwell.extensions import db
from orgwell.surveys.models import (
    Campaign,
    Invitation,
    Response,
    ResponseScore,
    Wave,
    new_response_id,
)

_RANDOM = random.SystemRandom()
_RESPONSE_COLUMNS = [c.key for c in Response.__table__.columns if c.key != "id"]
_SCORE_COLUMNS = [c.key for c in ResponseScore.__table__.columns if c.key != "response_id"]


def reshuffle_wave(wave: Wave) -> int:
    """Rewrite the responses of anonymous `wave` in random order under new ids.

    Returns how many responses were rewritten (0 for a confidential wave, which is left
    alone: its answers carry the person anyway). Resets `wave.unshuffled`. Answers, scores,
    teams and dates are copied unchanged. Flushes; the caller commits.
    """
    campaign = db.session.get(Campaign, wave.campaign_id)
    if campaign is None or campaign.mode != "anonymous":
        return 0
    db.session.flush()
    with db.session.begin_nested():
        # First every invitation of the wave, rewritten at once (one xmin for all of them),
        # then the wave: the same order `submit` locks them in, so the two never deadlock,
        # and an answer being stored now either committed before this or waits for it.
        lock_invitations(wave.id)
        db.session.execute(
            update(Invitation).where(Invitation.wave_id == wave.id)
            .values(answered=Invitation.answered)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Wave).where(Wave.id == wave.id).values(unshuffled=0)
            .execution_options(synchronize_session=False)
        )
    with db.session.begin_nested():
        count = _rewrite_responses(wave.id)
    # The copies have new ids: drop stale Response objects from the identity map.
    db.session.expire_all()
    return count


def lock_invitations(wave_id: int) -> None:
    """Lock every invitation of a wave, in id order (PostgreSQL; SQLite locks the whole
    database). Whoever writes all of a wave's invitations (this reshuffle, the close job) locks
    them this way first, so two of them lock in one order; an answer locks only its own."""
    db.session.execute(
        select(Invitation.id).where(Invitation.wave_id == wave_id).order_by(Invitation.id)
        .with_for_update()
    ).all()


def _rewrite_responses(wave_id: int) -> int:
    responses = db.session.execute(
        select(Response.__table__).where(Response.wave_id == wave_id)
    ).mappings().all()
    if not responses:
        return 0
    old_ids = [row["id"] for row in responses]
    scores: dict[str, list[dict]] = {}
    for row in db.session.execute(
        select(ResponseScore.__table__).where(ResponseScore.response_id.in_(old_ids))
    ).mappings():
        scores.setdefault(row["response_id"], []).append(
            {name: row[name] for name in _SCORE_COLUMNS}
        )
    order = list(responses)
    _RANDOM.shuffle(order)
    copies, score_copies = [], []
    for row in order:
        new_id = new_response_id()
        copies.append({"id": new_id, **{name: row[name] for name in _RESPONSE_COLUMNS}})
        score_copies += [{"response_id": new_id, **score} for score in scores.get(row["id"], [])]
    db.session.execute(
        delete(ResponseScore).where(ResponseScore.response_id.in_(old_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(Response).where(Response.id.in_(old_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(insert(Response), copies)
    if score_copies:
        db.session.execute(insert(ResponseScore), score_copies)
    return len(copies)


def waves_to_reshuffle() -> list[int]:
    """Open anonymous waves with answers stored since their last reshuffle."""
    return list(
        db.session.scalars(
            select(Wave.id)
            .join(Campaign, Campaign.id == Wave.campaign_id)
            .where(Wave.status == "open", Wave.unshuffled > 0, Campaign.mode == "anonymous")
            .order_by(Wave.id)
        )
    )
