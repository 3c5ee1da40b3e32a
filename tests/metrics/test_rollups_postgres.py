"""Answers stored at once on PostgreSQL: one response per link, no deadlock, rollups exact.

The other rollup tests run on SQLite, where a writer locks the whole database; on PostgreSQL
requests lock rows, so only here can two submissions wait for each other (the invitation of
a shared link, the participation and scale rows of a team, the wave's counters). Every test
in this module runs on its own fresh PostgreSQL database (the `app` fixture is replaced), with
real threads, each with its own connection, released together by a barrier.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from orgwell import create_app
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics.rebuild import rebuild_org
from orgwell.surveys import invitations, responding, waves
from orgwell.surveys.models import Invitation, Response, Wave, WaveMember
from tests.conftest import FreshContextClient
from tests.fixtures.worker import _postgres_database
from tests.metrics.conftest import open_survey_wave
from tests.metrics.test_rollups import snapshot
from tests.surveys.respond_fixtures import all_work, form_data


@pytest.fixture
def app(tmp_path):
    with _postgres_database() as database_url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "BROKER_URL": f"orgwellsqla+sqlite:///{tmp_path}/broker.sqlite",
                "BASE_URL": "http://orgwell.test",
                "WTF_CSRF_ENABLED": False,
            }
        )
        app.test_client_class = FreshContextClient
        with app.app_context():
            db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()


def run_together(app, work, arguments) -> list:
    """Run work(argument) in one thread each, all released at once; returns the errors."""
    barrier = threading.Barrier(len(arguments))
    errors = []

    def run(argument):
        try:
            with app.app_context():
                work(argument, barrier)
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def invitation_ids(wave: Wave) -> list[int]:
    return db.session.scalars(
        select(Invitation.id).where(Invitation.wave_id == wave.id).order_by(Invitation.id)
    ).all()


def test_the_first_answers_of_a_wave_at_once_keep_rollups_equal_to_a_rebuild(app, build_org):
    """Twelve people of six teams answer a new wave at the same moment: the first answers
    set every team's invited count (rollups.refresh_invited) while others add theirs; none
    may deadlock or lose a count, and the rows equal a rebuild from raw data."""
    practice = build_org([(0, [3, 3, 3]), (1, [3, 3, 2])], unassigned=1)
    wave = open_survey_wave(practice, utcnow().date())
    ids = invitation_ids(wave)
    assert len(ids) >= 12

    def answer(invitation_id, barrier):
        survey = responding.open_invitation(db.session.get(Invitation, invitation_id))
        barrier.wait()
        responding.submit(survey, all_work(25 * (invitation_id % 5)))
        db.session.commit()

    assert run_together(app, answer, ids[:12]) == []
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).responded_count == 12
    incremental = snapshot(practice.org.id)
    invited: dict = {}
    for member in db.session.scalars(select(WaveMember).where(WaveMember.wave_id == wave.id)):
        key = (wave.id, member.team_id or 0)
        invited[key] = invited.get(key, 0) + 1
    assert {key: value[1] for key, value in incremental[1].items()} == invited
    assert sum(value[2] for value in incremental[1].values()) == 12
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == incremental


def test_later_answers_do_not_count_the_audience_again(app, build_org):
    """Once a wave's invited counts are in place, storing a response touches only its own
    team's rows: the frozen audience is not counted per response any more."""
    practice = build_org([(0, [3, 3])])
    wave = open_survey_wave(practice, utcnow().date())
    first, second = invitation_ids(wave)[:2]
    for invitation_id in (first, second):
        survey = responding.open_invitation(db.session.get(Invitation, invitation_id))
        statements = []

        def count(conn, cursor, statement, *args, statements=statements):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            responding.submit(survey, all_work())
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        counted = [s for s in statements if "FROM survey_wave_members" in s]
        assert counted if invitation_id == first else not counted, statements
    incremental = snapshot(practice.org.id)
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == incremental


def test_two_submits_of_one_link_at_once_store_one_response(app, build_org):
    practice = build_org([(0, [5])])
    wave = open_survey_wave(practice, utcnow().date())
    invitation_id = invitation_ids(wave)[0]
    outcomes = []

    def send(value, barrier):
        survey = responding.open_invitation(db.session.get(Invitation, invitation_id))
        barrier.wait()  # both have opened the link before either claims it
        try:
            responding.submit(survey, all_work(value))
            db.session.commit()
            outcomes.append("stored")
        except responding.LinkProblem as problem:
            db.session.rollback()
            outcomes.append(problem.reason)

    assert run_together(app, send, [25, 75]) == []
    assert sorted(outcomes) == ["stored", "used"]
    db.session.expire_all()
    assert db.session.scalar(select(Response.id).where(Response.wave_id == wave.id))
    assert len(db.session.scalars(select(Response.id)).all()) == 1
    assert db.session.get(Wave, wave.id).responded_count == 1
    assert sum(row[2] for row in snapshot(practice.org.id)[1].values()) == 1


def test_two_posts_of_one_link_at_once_thank_once(app, build_org):
    """Through the page: one POST gets the thank-you page, the other the "already used" page."""
    practice = build_org([(0, [5])])
    wave = open_survey_wave(practice, utcnow().date())
    invitation = db.session.get(Invitation, invitation_ids(wave)[0])
    token = invitations.issue_token(invitation)
    db.session.commit()
    statuses = []

    def post(value, barrier):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/s/{token}", data=form_data(all_work(value)))
        statuses.append(
            (response.status_code, "your answers are saved" in response.get_data(as_text=True))
        )

    assert run_together(app, post, [0, 100]) == []
    assert sorted(statuses) == [(200, True), (410, False)]
    db.session.expire_all()
    assert len(db.session.scalars(select(Response.id)).all()) == 1
    assert db.session.get(Wave, wave.id).responded_count == 1
    # The link stays used for good, whatever the clock says before the wave closes.
    assert client_status(app, token) == 410


def client_status(app, token: str) -> int:
    return app.test_client().get(f"/s/{token}").status_code


def test_a_closing_time_already_passed_expires_the_link(app, build_org):
    practice = build_org([(0, [5])])
    wave = open_survey_wave(practice, utcnow().date())
    invitation = db.session.get(Invitation, invitation_ids(wave)[0])
    token = invitations.issue_token(invitation)
    wave.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client_status(app, token) == 410


def backends_waiting_for_a_lock() -> int:
    """Other connections of this database that are waiting for a row or table lock."""
    with db.engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )).scalar()


# Where the answer pauses: holding its claimed invitation only, or its invitation and its
# team's rollup rows (the statement after which it waits; the wave's row always comes last).
PAUSES = {
    "after its claim": "UPDATE survey_invitations",
    "after its rollups": "INSERT INTO metrics_scale_rollups",
}


@pytest.mark.parametrize("pause", PAUSES)
def test_an_answer_in_flight_at_the_closing_second_is_stored_and_the_wave_closes(
        app, build_org, pause):
    """An answer is being stored when the close job starts. The close job first locks the
    wave's invitations, as an answer first locks its own; so it waits for the answer, which
    commits: no deadlock, the answer is kept, and the closed wave's rollups equal a rebuild.
    (Taking the wave's row first, it deadlocked at both points.)"""
    practice = build_org([(0, [5, 5])])
    wave = open_survey_wave(practice, utcnow().date())
    first, second = invitation_ids(wave)[:2]
    responding.submit(responding.open_invitation(db.session.get(Invitation, first)), all_work())
    db.session.commit()  # the wave's rollup rows exist, as after any first answer
    wave_id, closing = wave.id, wave.closes_at + timedelta(seconds=1)
    paused, go_on, errors, closed = threading.Event(), threading.Event(), [], []
    answering = None

    def pause_there(conn, cursor, statement, *args):
        if threading.current_thread() is answering and statement.startswith(PAUSES[pause]):
            paused.set()
            assert go_on.wait(30)

    def answer():
        with app.app_context():
            try:
                survey = responding.open_invitation(db.session.get(Invitation, second))
                responding.submit(survey, all_work(75))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    def close():
        with app.app_context():
            try:
                closed.extend(waves.close_due_waves(closing))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    event.listen(db.engine, "after_cursor_execute", pause_there)
    try:
        answering = threading.Thread(target=answer)
        answering.start()
        assert paused.wait(30)
        closing_job = threading.Thread(target=close)
        closing_job.start()
        deadline = time.monotonic() + 30
        while not backends_waiting_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert backends_waiting_for_a_lock() == 1  # the close job, behind the answer
        go_on.set()
        answering.join(60)
        closing_job.join(60)
    finally:
        event.remove(db.engine, "after_cursor_execute", pause_there)
        go_on.set()
    assert errors == []
    assert closed == [wave_id]
    db.session.expire_all()
    closed_wave = db.session.get(Wave, wave_id)
    assert closed_wave.status == "closed" and closed_wave.responded_count == 2
    assert len(db.session.scalars(select(Response.id)).all()) == 2
    incremental = snapshot(practice.org.id)
    assert sum(row[2] for row in incremental[1].values()) == 2
    rebuild_org(practice.org)
    db.session.commit()
    assert snapshot(practice.org.id) == incremental
