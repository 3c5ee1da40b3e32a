"""The beat lock: one holder at a time, on SQLite (flock) and PostgreSQL (advisory lock)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.worker import _postgres_database
from worker.beat_lock import BeatLock


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/orgwell.sqlite"
        return
    with _postgres_database() as url:
        yield url


@pytest.fixture
def locks(database_url):
    first, second = BeatLock(database_url), BeatLock(database_url)
    yield first, second
    first.release()
    second.release()


def test_one_holder_at_a_time_and_the_other_takes_over(locks):
    first, second = locks
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire(), "the holder keeps it"
    assert not second.acquire(), "asking again does not steal it"

    first.release()
    assert second.acquire()
    assert not first.acquire()


def test_two_databases_have_two_locks(tmp_path):
    first = BeatLock(f"sqlite:///{tmp_path}/one.sqlite")
    second = BeatLock(f"sqlite:///{tmp_path}/two.sqlite")
    try:
        assert first.acquire()
        assert second.acquire()
    finally:
        first.release()
        second.release()


@pytest.mark.services
def test_a_holder_whose_session_ends_knows_it_lost_the_lock():
    # As when PostgreSQL restarts or a network cut ends the session: the server released
    # the lock, so the old holder must stop sending and the other may take over.
    with _postgres_database() as url:
        first, second = BeatLock(url), BeatLock(url)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            assert first.acquire()
            with admin.connect() as conn:
                ended = conn.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name LIKE 'orgwell-beat-%' "
                        "AND datname = current_database()"
                    )
                )
            assert ended == 1
            assert second.acquire()
            assert not first.acquire()
            assert not first.held
        finally:
            first.release()
            second.release()
            admin.dispose()


def test_other_databases_are_refused():
    with pytest.raises(ValueError):
        BeatLock("mysql://orgwell@127.0.0.1/orgwell")
    with pytest.raises(ValueError):
        BeatLock("sqlite://")


def test_beat_uses_the_lock_by_default(app):
    # The Procfile, run-all and a hand-started `celery -A worker beat` all rely on this.
    assert app.extensions["celery"].conf.beat_scheduler == "worker.beat_lock:LockedScheduler"
