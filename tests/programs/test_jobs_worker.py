"""Release, reminders and digest through a real Celery worker and a real SMTP sink.

The worker runs on the real clock, so the enrollments here start relative to today.
Each job is sent twice: nobody may get a second mail, and nobody who completed, was
excused or went on leave (through the staff service, before the first run) gets one at all.
"""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs import staff as people
from orgwell.programs import enrollment, library
from orgwell.programs.models import Enrollment, today
from tests import factories
from worker.programs import release_due, send_reminders, weekly_digest


def _practice():
    org = factories.OrganisationFactory(slug="worker-practice")
    clinic = factories.TeamFactory(organisation=org, name="North clinic")
    team = factories.TeamFactory(organisation=org, name="North PT", parent=clinic)
    owner = factories.MembershipFactory(organisation=org, role="owner").user
    leader = factories.MembershipFactory(organisation=org, role="leader", teams=[clinic]).user
    staff = [factories.MembershipFactory(organisation=org, teams=[team]) for _ in range(3)]
    program = library.copy_template(org, "burnout-prehab", created_by=owner)
    db.session.commit()
    return org, team, owner, leader, staff, program


def _assignment(program, membership, key):
    found = db.session.scalar(select(Enrollment).filter_by(
        program_id=program.id, membership_id=membership.id))
    return next(a for a in found.assignments if a.module.module_key == key)


def _go_on_leave(membership) -> None:
    """Through the staff service, so the programs' leave hook runs as in the app."""
    people.update_person(membership, team_ids=[t.id for t in membership.current_teams],
                         role=membership.role, job_title=membership.job_title,
                         patient_facing=membership.patient_facing, on_leave=True)


def _settle(smtp_sink, expected: int) -> list:
    messages = smtp_sink.wait_for(expected, timeout=30) if expected else []
    time.sleep(1.5)  # anything extra would arrive now
    assert len(smtp_sink.messages) == expected, [m["Subject"] for m in smtp_sink.messages]
    return messages


def test_daily_release_sends_one_mail_per_person_even_when_run_twice(
    worker_app, celery_worker, smtp_sink
):
    org, team, owner, leader, staff, program = _practice()
    start = today() - timedelta(days=7)
    # Enrolled as of the day before the start: nothing is released yet.
    enrollment.enroll(program, start_on=start, team_ids=[team.id], day=start - timedelta(1))
    _go_on_leave(staff[2])
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage.id)) is None

    release_due.delay()
    release_due.delay()
    messages = _settle(smtp_sink, 2)
    assert sorted(str(m["To"]) for m in messages) == sorted(
        [staff[0].user.email, staff[1].user.email])  # not the person on leave
    body = messages[0].get_body(("plain",)).get_content()
    assert "4 new modules" in str(messages[0]["Subject"])
    assert "http://orgwell.test/o/worker-practice/learning/modules/" in body


def test_reminders_skip_completed_excused_and_on_leave_even_when_run_twice(
    worker_app, celery_worker, smtp_sink
):
    org, team, owner, leader, staff, program = _practice()
    away = factories.MembershipFactory(organisation=org, teams=[team])
    # Started four days ago: the reading (due day 7) is due in three days.
    enrollment.enroll(program, start_on=today() - timedelta(days=4), team_ids=[team.id],
                      notify=False)
    db.session.commit()
    _assignment(program, staff[1], "compassion-reading").status = "completed"
    enrollment.excuse(_assignment(program, staff[2], "compassion-reading"), "Read it before")
    _go_on_leave(away)  # before any run: their due dates pause, so no reminder at all
    db.session.commit()
    assert _assignment(program, away, "compassion-reading").due_on is None

    send_reminders.delay()
    send_reminders.delay()
    messages = _settle(smtp_sink, 1)
    assert str(messages[0]["To"]) == staff[0].user.email
    assert "Compassion, not empathy overload" in str(messages[0]["Subject"])
    assert not db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.to_addr == away.user.email))


def test_weekly_digest_goes_once_to_each_owner_and_leader(worker_app, celery_worker, smtp_sink):
    org, team, owner, leader, staff, program = _practice()
    enrollment.enroll(program, start_on=today() - timedelta(days=10), team_ids=[team.id],
                      notify=False)
    reading = _assignment(program, staff[0], "compassion-reading")
    reading.reflection_text = "PRIVATE-WORDS"
    reading.status = "completed"
    db.session.commit()

    weekly_digest.delay()
    weekly_digest.delay()
    messages = _settle(smtp_sink, 2)
    assert sorted(str(m["To"]) for m in messages) == sorted([owner.email, leader.email])
    for message in messages:
        text = message.get_body(("plain",)).get_content()
        assert "North PT" in text and "overdue" in text
        assert "PRIVATE-WORDS" not in message.as_string()
