"""The broker (Redis) restarted empty in the middle of a fan-out: every invitation still goes
out, because the outbox sweep and the wave job re-queue what the broker dropped."""

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

# Fewer than the kill test's 2,000: what a restart drops is the whole queue at once,
# however long it is, so 500 show it as well and keep the test short.
INVITED = 500
DOWN_SECONDS = 3


def test_redis_restart_loses_no_invitation(fault_app, fault_worker, fault_sink, private_redis):
    addresses = start_fan_out(INVITED)

    wait_for_mails(fault_sink, INVITED // 5, fault_worker)
    private_redis.kill()  # no persistence: every queued task is gone with it
    down_at = len(fault_sink.messages)
    in_flight = outbox_count(OutboxMessage.status == "sending")
    time.sleep(DOWN_SECONDS)
    private_redis.start()
    assert down_at < INVITED, "the restart came too late to test anything"

    counts = wait_for_everyone(fault_worker, fault_sink, addresses, timeout=240)

    extra = duplicates(counts)
    print(
        f"\n{INVITED} invitations, Redis killed after {down_at} and restarted empty "
        f"{DOWN_SECONDS} s later: in flight: {in_flight}, duplicates: {extra}"
    )
    assert set(counts) == set(addresses), "someone received no invitation"
    # The worker was not killed: what it was sending it finished and recorded, so only a
    # message whose claim the sweep took back as stale could go twice.
    assert extra <= in_flight
