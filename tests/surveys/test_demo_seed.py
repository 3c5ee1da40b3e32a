"""The demo's survey history: fast to build, idempotent, with a survey waiting for Sam."""
from __future__ import annotations

from datetime import date, timedelta
from statistics import mean

from sqlalchemy import func, select

from orgwell.auth.models import User
from orgwell.demo import Demo
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership, Organisation, Team
from orgwell.programs.demo import north_cohort_start
from orgwell.surveys.demo import MONTHLY, PULSE, seed_surveys
from orgwell.surveys.models import Campaign, Invitation, Response, ResponseScore, Wave


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
    # Most people answer nearly every wave: 80-95 % answer (a wave may dip a little below).
    rates = [w.responded_count / w.invited_count for w in closed]
    assert all(0.72 <= rate <= 0.98 for rate in rates) and 0.8 <= mean(rates) <= 0.95, rates
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


def _north_work_means(monthly: Campaign) -> list[tuple[date, float]]:
    """(wave date, mean work-related burnout of Riverside North's answers), oldest first."""
    north = db.session.scalar(select(Team).filter_by(name="Riverside North"))
    teams = {north.id} | set(db.session.scalars(select(Team.id).filter_by(parent_id=north.id)))
    rows = db.session.execute(
        select(Wave.opens_on, func.avg(ResponseScore.score))
        .join(Response, Response.wave_id == Wave.id)
        .join(ResponseScore, ResponseScore.response_id == Response.id)
        .where(Wave.campaign_id == monthly.id, Response.team_id.in_(teams),
               ResponseScore.scale_key == "work")
        .group_by(Wave.opens_on).order_by(Wave.opens_on)
    ).all()
    return [(opens_on, float(mean)) for opens_on, mean in rows]


def test_the_demo_tells_riversides_story(app):
    """Riverside North's work burnout climbs until its program starts and falls after; and a
    small team stays under k in the monthly waves, so the pages show suppression too."""
    Demo().run()
    db.session.commit()
    start = north_cohort_start()
    monthly = db.session.scalar(select(Campaign).filter_by(name=MONTHLY))
    means = _north_work_means(monthly)
    before = [m for on, m in means if on < start]
    after = [m for on, m in means if on >= start + timedelta(days=60)]
    assert len(before) >= 6 and len(after) >= 3
    early, peak, late = mean(before[:3]), mean(before[-3:]), mean(after[-3:])
    assert peak > early + 5, (early, peak)
    assert late < peak - 5, (peak, late)

    answers = db.session.execute(
        select(Response.wave_id, Response.team_id, func.count())
        .join(Wave, Wave.id == Response.wave_id).where(Wave.campaign_id == monthly.id)
        .group_by(Response.wave_id, Response.team_id)
    ).all()
    waves_count = len({wave_id for wave_id, _, _ in answers})
    below_k: dict[int, int] = {}
    for _, team_id, count in answers:
        if count < monthly.threshold_k:
            below_k[team_id] = below_k.get(team_id, 0) + 1
    assert any(n >= waves_count // 2 for n in below_k.values()), below_k
