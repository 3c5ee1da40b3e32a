"""A worker killed with SIGKILL in the middle of a 2,000-invitation fan-out, then started again:
everyone receives their invitation, and at most the messages in flight at the kill go twice."""

from __future__ import annotations

import pytest

from orgwell.notifications.models import OutboxMessage
from tests.faults.conftest import (
    duplicates,
    outbox_count,
    received,
    start_fan_out,
    wait_for_everyone,
    wait_for_mails,
)

pytestmark = pytest.mark.services

INVITED = 2000  # the figure: a large practice's whole staff in one wave


def test_sigkill_mid_fan_out_loses_no_invitation(fault_app, fault_worker, fault_sink):
    addresses = start_fan_out(INVITED)

    # Kill when a fifth has arrived: the fan-out and the sending are both well under way.
    wait_for_mails(fault_sink, INVITED // 5, fault_worker)
    fault_worker.kill()  # the main process and its pool children, at once
    delivered_at_kill = len(fault_sink.messages)
    in_flight = outbox_count(OutboxMessage.status == "sending")  # claimed, not marked sent
    assert delivered_at_kill < INVITED, "the kill came too late to test anything"

    fault_worker.start()
    counts = wait_for_everyone(fault_worker, fault_sink, addresses, timeout=600)

    extra = duplicates(counts)
    print(
        f"\n{INVITED} invitations, SIGKILL after {delivered_at_kill} delivered: "
        f"in flight at kill: {in_flight}, duplicates: {extra}"
    )
    assert set(counts) == set(addresses), "someone received no invitation"
    assert extra <= in_flight
    assert len(received(fault_sink)) == INVITED
