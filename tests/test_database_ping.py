"""A pooled PostgreSQL connection is pinged before use only after it sat idle (database.py):
one that died while idle is replaced unseen; one that died a moment after its last use fails
its next statement once, and the pool then replaces it and every older connection."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from orgwell.database import engine_options_for, ping_idle_connections
from tests import services

IDLE = 0.2
# "A moment ago" for the test of a connection killed right after use: far longer than the
# kill takes on a loaded machine (with 0.2 s, a slow kill let the ping run, and replace it).
MOMENT = 30.0


@pytest.fixture
def idle() -> float:
    """Seconds a pooled connection sits unused before it is pinged."""
    return IDLE


@pytest.fixture
def engines(idle):
    """An engine whose idle connections are pinged, and an admin engine to kill backends."""
    url = services.require_postgres()
    engine = create_engine(url, **engine_options_for(url))
    ping_idle_connections(engine, idle_seconds=idle)
    admin = create_engine(url)
    yield engine, admin
    engine.dispose()
    admin.dispose()


def backend_of(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def kill(admin, pid: int) -> None:
    """End the backend as a database restart would."""
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    time.sleep(0.05)  # the backend exits after answering


def test_a_connection_that_died_while_idle_is_replaced_before_use(engines):
    engine, admin = engines
    first = backend_of(engine)
    kill(admin, first)
    time.sleep(IDLE + 0.1)
    assert backend_of(engine) != first  # no error: the ping found it dead


@pytest.mark.parametrize("idle", [MOMENT])
def test_a_connection_used_a_moment_ago_is_not_pinged_and_the_pool_recovers(engines):
    engine, admin = engines
    first = backend_of(engine)
    kill(admin, first)
    with pytest.raises(OperationalError):  # what the web turns into a 503
        backend_of(engine)
    assert backend_of(engine) != first
