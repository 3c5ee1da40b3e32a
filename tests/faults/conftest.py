"""Fault-test fixtures: private Redis and PostgreSQL we may kill, a worker, a fan-out.

The machine's shared PostgreSQL and Redis are never stopped (other test processes use them):
a fault that takes a service down takes down a private instance started here, on a free port.

private_redis     session: `redis-server` on a free port, no persistence; `.kill()` and
                  `.start()` play a crash and a restart (it comes back empty).
private_postgres  session: a cluster of our own (initdb once); `.stop()`, `.start()`,
                  `.create_database()`; `.restart()` as `pg_ctl restart -m fast`.
fault_stack       session: a fresh database on the shared PostgreSQL, tables created, with
                  the private Redis as the broker.
fault_sink        session: an SMTP sink of these tests only (stopped and started at will).
fault_app         the Flask app on fault_stack, app context pushed, tables emptied.
fault_worker      `celery -A worker worker -c 2` on fault_stack, started; killed afterwards.

Helpers: `start_fan_out(n)` opens a wave of n invited people the way "send now" does and
queues its fan-out; `beat_tick()` sends what beat sends for recovery; `received(sink)`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.models import Membership, Organisation, User
from orgwell.notifications.models import OutboxMessage
from orgwell.surveys import campaigns
from orgwell.surveys.campaigns import CampaignSettings
from orgwell.surveys.models import Invitation
from tests import services
from tests.faults.private_services import PG_BIN, REDIS_SERVER, PostgresCluster, RedisServer
from tests.fixtures.smtp import SmtpSink
from tests.fixtures.worker import (
    WorkerProcess,
    WorkerStack,
    _create_tables,
    _postgres_database,
    app_on,
)

# Longer than the worker stack's 3 s: on two busy cores a live worker can hold a claim for
# a few seconds, and a sweep that took it back would send that message twice.
STALE_CLAIM_SECONDS = 10
INVITE_DOMAIN = "faults.example.org"


def _missing(what: str) -> None:
    """Like tests/services.py for a binary: a failure on CI, a skip elsewhere."""
    if services.SERVICES_REQUIRED:
        pytest.fail(f"the fault tests need {what}")
    pytest.skip(f"needs {what}; run with CI=true to make its absence a failure")


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        _missing(f"redis-server at {REDIS_SERVER}")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PostgresCluster]:
    if not (PG_BIN / "initdb").exists():
        _missing(f"the PostgreSQL 15 binaries in {PG_BIN}")
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.close()


# --- the worker side ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fault_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory, private_redis) -> Iterator[WorkerStack]:
    """A fresh database on the shared PostgreSQL, and the private Redis as broker."""
    folder = tmp_path_factory.mktemp("stack-faults")
    with _postgres_database() as database_url:
        stack = WorkerStack("faults", database_url, private_redis.url(0), folder)
        _create_tables(stack)
        yield stack


@pytest.fixture(scope="session")
def fault_worker_process(fault_stack, fault_sink) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(fault_stack, fault_sink.host, fault_sink.port)
    worker.env["ORGWELL_MAIL_STALE_CLAIM_SECONDS"] = str(STALE_CLAIM_SECONDS)
    yield worker
    worker.close()


@pytest.fixture
def fault_app(fault_stack, fault_worker_process, fault_sink, private_redis):
    """The app on the fault stack (tables emptied, broker flushed), in an app context."""
    private_redis.start()  # a test that killed it may have failed before starting it again
    broker = redis.Redis.from_url(fault_stack.broker_url)
    broker.flushdb()  # tasks a killed worker left behind belong to the previous test
    broker.close()
    fault_worker_process.empty_tables()
    fault_sink.start()
    fault_sink.clear()
    fault_sink.delay = 0.0
    with app_on(fault_stack, fault_sink) as app:
        yield app


@pytest.fixture
def fault_worker(fault_app, fault_worker_process) -> Iterator[WorkerProcess]:
    """The worker, running; killed at the end (a fault test leaves nothing half-sent behind)."""
    fault_worker_process.start()
    yield fault_worker_process
    fault_worker_process.kill()


# --- a fan-out ------------------------------------------------------------------------------


def address(n: int) -> str:
    return f"person{n}@{INVITE_DOMAIN}"


def add_people(org: Organisation, n: int) -> list[str]:
    """n active staff of `org` (no team); returns their addresses. Flushes in one go."""
    users = [User(email=address(i), name=f"Person {i}") for i in range(n)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(
        Membership(user_id=u.id, organisation_id=org.id, role="staff", start_date=date(2025, 1, 6))
        for u in users
    )
    db.session.flush()
    return [u.email for u in users]


def open_wave_of(n: int):
    """An organisation of n people and a campaign for all of them, its wave opened now
    through the "send now" service and committed. Returns (wave, addresses)."""
    org = Organisation(name="Fault Practice", slug="fault-practice")
    db.session.add(org)
    db.session.flush()
    addresses = add_people(org, n)
    settings = CampaignSettings(
        name="Fault pulse",
        instrument_key="cbi-work",
        wording=None,
        audience="organisation",
        team_ids=[],
        mode="anonymous",
        schedule="monthly",
        # The schedule starts in a month: a wave sent now must not overlap a scheduled one.
        start_date=utcnow().date() + timedelta(days=30),
        open_days=7,
        reminder_max=0,
        reminder_gap_days=3,
        threshold_k=5,
    )
    campaign = campaigns.create_campaign(org, settings)
    db.session.commit()
    wave = campaigns.send_wave_now(campaign)
    db.session.commit()
    assert wave.invited_count == n
    return wave, addresses


def start_fan_out(n: int) -> list[str]:
    """Open a wave of n invited people and queue its fan-out, as the campaign page's
    "send now" does (service, commit, then `fan_out.delay`). Returns their addresses."""
    from worker.surveys import fan_out

    wave, addresses = open_wave_of(n)
    fan_out.delay(wave.id)
    return addresses


def beat_tick() -> None:
    """What beat sends that recovers lost work: the outbox sweep (every 30 s in production)
    and the wave job that restarts an unfinished fan-out (every 5 min). The test sends them
    every second or two instead, so that recovery takes seconds, not minutes."""
    from worker.mail import sweep_outbox
    from worker.surveys import open_due_waves

    sweep_outbox.delay()
    open_due_waves.delay()


def received(sink: SmtpSink) -> Counter:
    """How many invitation mails each address received."""
    with sink._lock:
        return Counter(sink.addressees)


def outbox_count(*where) -> int:
    db.session.rollback()  # a fresh snapshot: the worker writes from another connection
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))


def invitations_unsent() -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.sent.is_(False))
    )


def wait_for_everyone(
    worker: WorkerProcess,
    sink: SmtpSink,
    addresses: list[str],
    timeout: float = 120,
    tick_every: float = 2.0,
) -> Counter:
    """Send beat's recovery jobs every `tick_every` s until every address received its
    invitation and the outbox has nothing left to send; returns `received(sink)`."""
    expected = set(addresses)
    last_tick = 0.0

    def done() -> bool:
        nonlocal last_tick
        if time.monotonic() - last_tick >= tick_every:
            beat_tick()
            last_tick = time.monotonic()
        return (
            expected <= set(received(sink))
            and invitations_unsent() == 0
            and outbox_count(OutboxMessage.status != "sent") == 0
        )

    worker.wait_until(done, timeout=timeout, what=f"all {len(addresses)} invitations delivered")
    return received(sink)


def wait_for_mails(sink: SmtpSink, count: int, worker: WorkerProcess, timeout: float = 300) -> None:
    """Wait (polling often, so the fault comes close to `count`) until the sink has `count`."""
    deadline = time.monotonic() + timeout
    while len(sink.messages) < count:
        if time.monotonic() > deadline:
            pytest.fail(
                f"only {len(sink.messages)} of {count} mails in {timeout:.0f} s\n"
                f"worker log:\n{worker.log_tail()}"
            )
        time.sleep(0.01)


def duplicates(counts: Counter) -> int:
    return sum(n - 1 for n in counts.values())
