"""Two overlapping runs of an hourly job: the one that loses the race for a mail key must
finish cleanly (no IntegrityError), and the person still gets one mail.

Run A is the reminder service in the test's session, holding its new outbox row
uncommitted; run B is the worker's task function in a second thread (its own session).
B checks the key before A commits, so its insert of the same key waits for A and then
collides with it -- the race two overlapping beat runs can hit.
"""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from orgwell.programs import release
from orgwell.programs.models import today
from tests.programs.conftest import MONDAY, enroll_teams, mails
from worker.programs import send_reminders


def test_a_reminder_run_that_loses_the_race_for_a_mail_key_finishes(app, program, world, db,
                                                                     at):
    enroll_teams(program, [world["team_a"]], notify=False)
    at(MONDAY + timedelta(days=4))  # the reading is due in three days
    release.send_reminders(today())  # run A: its outbox row is flushed, not committed
    errors: list[BaseException] = []

    def run_b() -> None:
        try:
            send_reminders()  # enters its own app context, so its own session
        except BaseException as problem:  # noqa: BLE001 - reported by the assertion below
            errors.append(problem)

    other = threading.Thread(target=run_b)
    other.start()
    time.sleep(2)  # let B check the key and block on A's write (ordering, not a timing test)
    db.session.commit()
    other.join(60)
    assert not other.is_alive()
    assert errors == []
    db.session.expire_all()
    assert len(mails("programs.reminder")) == 1
