"""Two beats started at once: each periodic job is still sent once, and when the beat that
sends is killed, the other one takes over.

Two real `celery -A worker beat` processes on a fresh PostgreSQL database (where the beat
lock lives) and a Redis database number as broker, with no worker: what beat sends stays in
the Redis lists kombu keeps per queue, where the test counts it by task name. The 30 s
mail sweep is the first job to come due, so the test runs for about 45 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import create_engine, text

from tests.fixtures.worker import (
    CELERY,
    ROOT,
    WorkerStack,
    _postgres_database,
    _redis_database,
)
from worker.schedule import QUEUES

pytestmark = pytest.mark.services

# Both beats tick at least this often (worker.beat_lock.STANDBY_RETRY_SECONDS) plus slack:
# a second sweep from a beat without the lock would be in the queue by then.
TICK_SLACK_SECONDS = 8

HOLDER_SQL = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class Beat:
    """`celery -A worker beat` with its own schedule file and log."""

    def __init__(self, stack: WorkerStack, name: str) -> None:
        self.name = name
        self.log_path = stack.folder / f"{name}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "worker",
                    "beat",
                    "--loglevel=INFO",
                    "--schedule",
                    str(stack.folder / f"{name}-schedule"),
                ],
                cwd=ROOT,
                env=stack.worker_env("127.0.0.1", 25),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def beat_stack(tmp_path) -> Iterator[WorkerStack]:
    # Beat needs no tables: the lock is an advisory lock on the database itself.
    with _postgres_database() as database_url, _redis_database() as broker_url:
        yield WorkerStack("beats", database_url, broker_url, tmp_path)


@pytest.fixture
def beats(beat_stack) -> Iterator[list[Beat]]:
    started = [Beat(beat_stack, "beat-a"), Beat(beat_stack, "beat-b")]
    yield started
    for beat in started:
        beat.kill()


def _sent(broker_url: str) -> Counter:
    """Task name -> messages waiting in the queues' Redis lists."""
    client = redis.Redis.from_url(broker_url)
    try:
        counts: Counter = Counter()
        for queue in QUEUES:
            for raw in client.lrange(queue, 0, -1):
                counts[json.loads(raw)["headers"]["task"]] += 1
        return counts
    finally:
        client.close()


def _holder_pid(database_url: str) -> int | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            names = conn.scalars(HOLDER_SQL).all()
    finally:
        engine.dispose()
    assert len(names) <= 1, names
    return int(names[0].rsplit("-", 1)[1]) if names else None


def _wait(predicate, timeout: float, what: str, beats: list[Beat]):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {b.name}\n{b.log()[-3000:]}" for b in beats)
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}\n{logs}")
        time.sleep(0.5)


def test_two_beats_send_each_job_once_and_the_standby_takes_over(beat_stack, beats):
    by_pid = {beat.process.pid: beat for beat in beats}
    holder_pid = _wait(
        lambda: _holder_pid(beat_stack.database_url), 30, "a beat to take the lock", beats
    )
    holder = by_pid[holder_pid]
    (standby,) = (beat for beat in beats if beat is not holder)
    _wait(lambda: "standing by" in standby.log(), 30, "the other beat to stand by", beats)

    _wait(lambda: _sent(beat_stack.broker_url)["mail.sweep"], 60, "the first mail sweep", beats)
    time.sleep(TICK_SLACK_SECONDS)
    sent = _sent(beat_stack.broker_url)
    assert sent["mail.sweep"] == 1, sent
    assert set(sent.values()) == {1}, f"a job was sent twice: {sent}"
    assert "Sending due task" not in standby.log()
    assert all(beat.process.poll() is None for beat in beats)

    holder.kill()
    # The server ends the killed beat's session, and with it the lock; the standby's next
    # try gets it, and it sends the sweep that fell due while it waited.
    _wait(
        lambda: _holder_pid(beat_stack.database_url) == standby.process.pid,
        30,
        "the standby to take the lock",
        beats,
    )
    _wait(
        lambda: _sent(beat_stack.broker_url)["mail.sweep"] == 2,
        30,
        "the standby's mail sweep",
        beats,
    )
    assert "beat lock acquired" in standby.log()
