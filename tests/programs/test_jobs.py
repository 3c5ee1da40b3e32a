"""Release, reminders and digest as services with the clock moved: who gets what, and once."""
from __future__ import annotations

from datetime import timedelta

from orgwell.programs import digest, release
from orgwell.programs.learning import mark_complete
from orgwell.programs.models import today
from tests.programs.conftest import MONDAY, assignment_of, enroll_teams, mails, member


def _run_day(at, db, day):
    at(day)
    release.release_due(today())
    release.send_reminders(today())
    db.session.commit()


def test_the_daily_release_mails_each_person_once_with_everything_new(program, world, db, at):
    enroll_teams(program, [world["team_a"], world["team_b"]])
    _run_day(at, db, MONDAY + timedelta(days=7))
    _run_day(at, db, MONDAY + timedelta(days=7))  # beat fired twice
    week2 = [m for m in mails("programs.release") if "2026-03-09" in m.key]
    assert sorted(m.to_addr for m in week2) == sorted(
        [world["staff_a"].email, world["staff_b"].email])
    assert "2 new modules" in week2[0].subject
    assert "Daily practice" in week2[0].text_body and "Reflection:" in week2[0].text_body
    assert assignment_of(program, member(world, "staff_a"), "breathing-practice").status == (
        "available")


def test_reminders_three_days_before_and_on_the_day_only_for_open_work(program, world, db, at):
    enroll_teams(program, [world["team_a"], world["team_b"]])
    done = assignment_of(program, member(world, "staff_b"), "compassion-reading")
    done.status = "completed"  # staff_b did the reading (due day 7)
    db.session.commit()
    _run_day(at, db, MONDAY + timedelta(days=3))  # nothing due in 3 days or today
    assert mails("programs.reminder") == []
    _run_day(at, db, MONDAY + timedelta(days=4))  # the reading is due in 3 days
    _run_day(at, db, MONDAY + timedelta(days=4))
    first = mails("programs.reminder")
    assert [m.to_addr for m in first] == [world["staff_a"].email]
    assert "Compassion, not empathy overload" in first[0].text_body
    _run_day(at, db, MONDAY + timedelta(days=7))  # due today
    assert len(mails("programs.reminder")) == 2
    assert "today" in mails("programs.reminder")[-1].subject.lower()


def test_overdue_reminders_at_most_n_at_least_m_days_apart(program, world, db, at):
    program.reminder_days_before = []
    program.overdue_reminder_max, program.overdue_reminder_gap_days = 2, 5
    enroll_teams(program, [world["team_a"]])
    reading = assignment_of(program, member(world, "staff_a"), "compassion-reading")
    reading_on = []
    for offset in range(8, 30):
        day = MONDAY + timedelta(days=offset)
        seen = {m.id for m in mails("programs.reminder")}
        _run_day(at, db, day)
        new = [m for m in mails("programs.reminder") if m.id not in seen]
        assert len(new) <= 1  # a day's reminders come in one mail
        if new and "Compassion, not empathy overload" in new[0].text_body:
            reading_on.append(offset)
    # The reading was due on day 7: two reminders, five days apart, then silence.
    assert reading_on == [8, 13]
    assert reading.reminders_sent == 2 and reading.last_reminded_on == MONDAY + timedelta(13)
    enrolled = reading.enrollment.assignments
    assert all(a.reminders_sent <= 2 for a in enrolled)


def test_no_reminders_for_completed_excused_or_leavers(program, world, db, at):
    from orgwell.orgs import staff as people
    from orgwell.programs import enrollment

    enroll_teams(program, [world["clinic_a"], world["team_b"]])
    for key in ("course-5033", "compassion-reading"):
        mark_complete_or_set(assignment_of(program, member(world, "staff_a"), key))
        enrollment.excuse(assignment_of(program, member(world, "staff_b"), key), "Done before")
    db.session.commit()
    at(MONDAY + timedelta(days=1))
    people.mark_leaver(member(world, "leader_a"), MONDAY + timedelta(days=1))
    db.session.commit()
    for offset in (4, 7, 11, 14, 20):
        _run_day(at, db, MONDAY + timedelta(days=offset))
    for message in mails("programs.reminder"):
        assert "Compassion, not empathy overload" not in message.text_body
        assert "Burnout Prehab and Rehab" not in message.text_body
        assert message.to_addr != world["leader_a"].email


def mark_complete_or_set(assignment):
    assignment.status = "completed"


def test_weekly_digest_once_a_week_scoped_to_each_leader(program, world, db, at):
    enroll_teams(program, [world["clinic_a"], world["team_b"]])
    done = assignment_of(program, member(world, "staff_a"), "compassion-reading")
    done.reflection_text = "SECRET-REFLECTION"
    mark_complete(done)
    db.session.commit()
    at(MONDAY + timedelta(days=9))
    assert digest.send_weekly_digest(today()) == 2
    assert digest.send_weekly_digest(today()) == 0
    at(MONDAY + timedelta(days=11))  # same ISO week
    assert digest.send_weekly_digest(today()) == 0
    db.session.commit()
    sent = {m.to_addr: m for m in mails("programs.digest")}
    assert set(sent) == {world["owner_x"].email, world["leader_a"].email}
    assert "South PT" in sent[world["owner_x"].email].text_body
    leader_mail = sent[world["leader_a"].email]
    assert "South PT" not in leader_mail.text_body and "North PT" in leader_mail.text_body
    assert "overdue" in leader_mail.subject
    for message in sent.values():
        assert "SECRET-REFLECTION" not in message.text_body + message.html_body
    at(MONDAY + timedelta(days=14))  # next week
    assert digest.send_weekly_digest(today()) == 2
