"""The SMTP server down for 20 s in the middle of a fan-out: every invitation is delivered
after it comes back, and none twice."""

from __future__ import annotations

import time

import pytest

from orgwell.notifications.models import OutboxMessage
from tests.faults.conftest import (
    duplicates,
    outbox_count,
    start_fan_out,
    wait_for_everyone,
    wait_for_mails,
)

pytestmark = pytest.mark.services

# Fewer than the kill test's 2,000: an outage acts on every message the same way (refused
# connection, retry with backoff), so 300 show it as well as 2,000 and keep the test short.
INVITED = 300
OUTAGE_SECONDS = 20


def test_smtp_outage_delays_but_loses_and_repeats_nothing(fault_app, fault_worker, fault_sink):
    addresses = start_fan_out(INVITED)

    wait_for_mails(fault_sink, INVITED // 5, fault_worker)
    fault_sink.stop()  # connections are refused from now on
    down_at = len(fault_sink.messages)
    time.sleep(OUTAGE_SECONDS)
    waiting = outbox_count(OutboxMessage.status != "sent")
    failed_once = outbox_count(OutboxMessage.attempts >= 1, OutboxMessage.status != "sent")
    fault_sink.start()
    assert down_at < INVITED, "the outage came too late to test anything"

    counts = wait_for_everyone(fault_worker, fault_sink, addresses, timeout=240)

    print(
        f"\n{INVITED} invitations, SMTP down for {OUTAGE_SECONDS} s after {down_at}: "
        f"{waiting} waiting at the end of the outage ({failed_once} of them tried and refused), "
        f"duplicates: {duplicates(counts)}"
    )
    assert failed_once > 0, "no attempt met the outage: it tested nothing"
    assert set(counts) == set(addresses), "someone received no invitation"
    assert duplicates(counts) == 0
    assert outbox_count(OutboxMessage.status == "failed") == 0
