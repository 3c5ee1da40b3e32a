"""The demo's survey history: fast to build, idempotent, with a survey waiting for Sam."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from orgwell.auth.models import User
from orgwell.demo import Demo
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership, Organisation
from orgwell.surveys.demo import MONTHLY, PULSE, seed_surveys
from orgwell.surveys.models import Campaign, Invitation, Response, Wave


def test_the_demo_history_and_the_open_wave(db):
    """`orgwell demo` seeds the surveys (around the program's start); a second seeding adds
    nothing."""
    Demo().run()
    db.session.commit()
    org = db.session.scalar(select(Organisation).filter_by(slug="riverside"))
    today = date.today()
    assert not seed_surveys(org, today - timedelta(days=180), today=today)

    monthly = db.session.scalar(select(Campaign).filter_by(name=MONTHLY))
    closed = db.session.scalars(select(Wave).filter_by(campaign_id=monthly.id)).all()
    assert len(closed) == 18 and all(w.status == "closed" for w in closed)
    assert all(0.55 <= w.responded_count / w.invited_count <= 0.92 for w in closed)
    anonymous = db.session.scalars(
        select(Response.membership_id).join(Wave).where(Wave.campaign_id == monthly.id)
    ).all()
    assert anonymous and set(anonymous) == {None}

    pulse = db.session.scalar(select(Campaign).filter_by(name=PULSE))
    sam = db.session.scalar(select(OutboxMessage).filter_by(to_addr="staff@riverside.example"))
    assert sam is not None and "/s/" in sam.text_body
    open_wave = db.session.scalar(select(Wave).filter_by(campaign_id=pulse.id, status="open"))
    sam_id = db.session.scalar(
        select(Membership.id).join(User).where(User.email == "staff@riverside.example"))
    invitation = db.session.scalar(
        select(Invitation).filter_by(wave_id=open_wave.id, membership_id=sam_id))
    assert invitation is not None and not invitation.answered and invitation.token_hash
    linked = db.session.scalar(
        select(func.count(Response.id)).where(Response.membership_id == invitation.membership_id)
    )
    assert linked == 8
