"""The embedded broker (orgwell/broker.py): an idle poll only asks SQLite whether the file
changed, and a message committed by this process or another one is taken at the next poll."""
from __future__ import annotations

import subprocess
import sys

import pytest
from kombu import Connection
from sqlalchemy import event

from orgwell import broker

broker.register()

PUBLISH = """
import sys
from kombu import Connection
from orgwell import broker
broker.register()
with Connection(sys.argv[1]) as conn:
    conn.SimpleQueue("mail").put({"from": "another process"})
"""


@pytest.fixture
def queue(tmp_path):
    url = broker.embedded_broker_url(str(tmp_path))
    with Connection(url) as conn:
        simple = conn.SimpleQueue("mail")
        yield url, simple, conn.default_channel
        simple.close()


def _statements(channel, action) -> list[str]:
    seen = []
    engine = channel.session.get_bind()

    def record(conn, cursor, statement, *args):
        seen.append(statement.split()[0].upper() + " " + statement.split()[1])

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _empty(simple) -> None:
    with pytest.raises(simple.Empty):
        simple.get(block=False)


def test_an_idle_poll_only_asks_whether_the_file_changed(queue):
    _, simple, channel = queue
    _empty(simple)  # the first poll asks the queue itself

    statements = _statements(channel, lambda: [_empty(simple) for _ in range(5)])

    assert statements == ["PRAGMA data_version"] * 5


def test_a_message_from_this_process_is_taken_at_the_next_poll(queue):
    _, simple, _ = queue
    _empty(simple)
    simple.put({"from": "this process"})
    assert simple.get(block=False).payload == {"from": "this process"}
    _empty(simple)


def test_a_message_from_another_process_is_taken_at_the_next_poll(queue):
    url, simple, _ = queue
    _empty(simple)
    _empty(simple)
    subprocess.run([sys.executable, "-c", PUBLISH, url], check=True, timeout=60)
    assert simple.get(block=False).payload == {"from": "another process"}
    _empty(simple)
