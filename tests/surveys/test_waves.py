"""Waves: the frozen audience, one wave per campaign and date, invitations, reminders, close."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from orgwell.auth.sessions import token_hash
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership, TeamAssignment
from orgwell.surveys import events, invitations, waves
from orgwell.surveys.models import Invitation, Wave, WaveMember


def _members(wave) -> dict[int, int | None]:
    return dict(db.session.execute(
        select(WaveMember.membership_id, WaveMember.team_id).filter_by(wave_id=wave.id)
    ).all())


def _membership(user) -> Membership:
    return user.memberships[0]


def test_the_audience_is_frozen_when_the_wave_opens(world, campaign):
    staff_a = _membership(world["staff_a"])
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    assert _members(wave)[staff_a.id] == world["team_a"].id

    # staff_a moves to South PT after the wave opened: the wave keeps North PT.
    assignment = db.session.scalar(select(TeamAssignment).filter_by(membership_id=staff_a.id))
    assignment.ended_on = utcnow().date()
    db.session.add(TeamAssignment(
        membership_id=staff_a.id, team_id=world["team_b"].id, started_on=utcnow().date()
    ))
    db.session.commit()
    assert _members(wave)[staff_a.id] == world["team_a"].id
    later = waves.open_wave(campaign, utcnow().date() + timedelta(days=1), source="manual")
    assert _members(later)[staff_a.id] == world["team_b"].id


def test_leavers_and_people_on_leave_are_not_invited(world, campaign):
    _membership(world["staff_a"]).on_leave = True
    _membership(world["staff_b"]).status = "left"
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    invited = set(_members(wave))
    assert _membership(world["staff_a"]).id not in invited
    assert _membership(world["staff_b"]).id not in invited
    assert _membership(world["leader_a"]).id in invited
    assert wave.invited_count == len(invited) == 3  # the owner, the leader, the fifth one


def test_a_teams_audience_includes_the_teams_of_a_chosen_clinic(world, make_campaign):
    campaign = make_campaign(
        world["org_x"], audience="teams", team_ids=[world["clinic_a"].id]
    )
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    members = _members(wave)
    assert members[_membership(world["leader_a"]).id] == world["clinic_a"].id
    assert members[_membership(world["staff_a"]).id] == world["team_a"].id
    assert _membership(world["staff_b"]).id not in members
    assert _membership(world["owner_x"]).id not in members
    # and the three added to the clinic to reach k
    assert sorted(members.values()).count(world["clinic_a"].id) == 4


def test_one_invitation_each_and_the_campaign_locks(world, campaign):
    assert not campaign.locked
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    assert campaign.locked
    rows = db.session.scalars(select(Invitation).filter_by(wave_id=wave.id)).all()
    assert len(rows) == wave.invited_count == 5
    assert all(r.token_hash is None and not r.sent for r in rows)


def test_a_second_open_on_the_same_date_returns_none(world, campaign):
    today = utcnow().date()
    assert waves.open_wave(campaign, today, source="scheduled") is not None
    db.session.commit()
    assert waves.open_wave(campaign, today, source="manual") is None
    db.session.commit()
    assert db.session.scalar(select(func.count(Wave.id))) == 1
    assert db.session.scalar(select(func.count(Invitation.id))) == 5


def test_concurrent_openers_make_one_wave(app, world, campaign):
    """Four threads, each with its own session, race to open the same wave."""
    results, errors = [], []
    barrier = threading.Barrier(4)

    def opener():
        with app.app_context():
            try:
                barrier.wait()
                results.append(waves.open_due_waves())
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert db.session.scalar(select(func.count(Wave.id))) == 1
    assert db.session.scalar(select(func.count(WaveMember.id))) == 5


def test_fan_out_mails_each_invitation_once_and_stores_only_the_hash(
    world, open_wave, fan_out
):
    tokens = fan_out(open_wave)
    assert len(tokens) == 5
    for membership_id, raw in tokens.items():
        invitation = db.session.scalar(
            select(Invitation).filter_by(wave_id=open_wave.id, membership_id=membership_id)
        )
        assert invitation.sent and invitation.token_hash == token_hash(raw)
        assert len(raw) >= 22  # at least 128 bits, URL-safe base64
    hashes = dict(db.session.execute(select(Invitation.id, Invitation.token_hash)).all())

    # Running the fan-out again queues nothing and re-keys nothing.
    assert invitations.fan_out_batch(open_wave.id) == 0
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 5
    assert dict(db.session.execute(select(Invitation.id, Invitation.token_hash)).all()) == hashes


def test_the_invitation_mail_says_how_long_until_when_and_who_sees_what(
    world, open_wave, fan_out
):
    fan_out(open_wave)
    mail = db.session.scalar(select(OutboxMessage).filter_by(to_addr=world["staff_a"].email))
    body = mail.text_body
    assert "about 1 minute" in body
    assert invitations.closes_label(open_wave.closes_at) in body
    assert "anonymous" in body and "at least 5 people" in body
    assert "http://orgwell.test/s/" in body
    assert "http://orgwell.test/s/" in mail.html_body


def test_fan_out_in_batches_skips_someone_who_left_meanwhile(world, campaign, make_people):
    make_people(world["org_x"], world["team_b"], 6)
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    _membership(world["staff_b"]).status = "left"
    db.session.commit()
    claimed = []
    while n := invitations.fan_out_batch(wave.id, limit=4):
        claimed.append(n)
        db.session.commit()
    assert claimed == [4, 4, 3]
    recipients = set(db.session.scalars(select(OutboxMessage.to_addr)))
    assert world["staff_b"].email not in recipients
    assert len(recipients) == 10


def test_nothing_is_mailed_for_a_closed_wave(world, open_wave):
    open_wave.status = "closed"
    db.session.commit()
    assert invitations.fan_out_batch(open_wave.id) == 0
    assert invitations.waves_to_fan_out() == []


def test_reminders_reach_non_responders_at_most_n_times_m_days_apart(
    world, make_campaign, fan_out
):
    start = datetime(2027, 3, 1, 8, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        make_campaign(
            world["org_x"], schedule="monthly", open_days=20, reminder_max=2,
            reminder_gap_days=3,
        )
        [wave_id] = waves.open_due_waves()
        db.session.commit()
        wave = db.session.get(Wave, wave_id)
        tokens = fan_out(wave)
        answered = db.session.scalar(select(Invitation).filter_by(
            wave_id=wave.id, membership_id=_membership(world["staff_a"]).id
        ))
        answered.answered = True
        db.session.commit()

        sent_by_day = {}
        for day in range(1, 15):
            traveller.move_to(datetime(2027, 3, day, 9, tzinfo=UTC))
            sent_by_day[day] = invitations.send_reminders()
            invitations.send_reminders()  # a second run the same day sends nothing
            db.session.commit()
    # 4 non-responders, reminded on day 4 and day 7, then no more.
    assert {d: n for d, n in sent_by_day.items() if n} == {4: 4, 7: 4}
    reminders = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.like("survey.remind:%"))
    ).all()
    assert world["staff_a"].email not in {m.to_addr for m in reminders}
    # The reminder repeats the invitation's own link: it still works.
    staff_b = _membership(world["staff_b"]).id
    mine = [m for m in reminders if m.to_addr == world["staff_b"].email]
    assert len(mine) == 2
    assert all(f"/s/{tokens[staff_b]}" in m.text_body for m in mine)


def test_no_reminder_after_close_or_while_paused(world, make_campaign, fan_out):
    with time_machine.travel(datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False) as traveller:
        campaign = make_campaign(world["org_x"], open_days=3, reminder_gap_days=1)
        [wave_id] = waves.open_due_waves()
        db.session.commit()
        fan_out(db.session.get(Wave, wave_id))
        campaign.status = "paused"
        traveller.move_to(datetime(2027, 3, 3, 8, tzinfo=UTC))
        assert invitations.send_reminders() == 0
        campaign.status = "active"
        traveller.move_to(datetime(2027, 3, 4, 0, 1, tzinfo=UTC))
        assert invitations.send_reminders() == 0  # closed at midnight, whatever its status


def test_closing_announces_each_wave_once(world, campaign, monkeypatch):
    closed = []
    monkeypatch.setattr(events, "WAVE_CLOSED_HOOKS", [lambda wave: closed.append(wave.id)])
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    assert waves.close_due_waves() == []
    later = wave.closes_at + timedelta(seconds=1)
    assert waves.close_due_waves(later) == [wave.id]
    assert waves.close_due_waves(later) == []
    db.session.commit()
    assert closed == [wave.id]
    assert db.session.get(Wave, wave.id).status == "closed"

