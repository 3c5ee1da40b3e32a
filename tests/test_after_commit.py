"""orgwell/after_commit.py: handlers run after the outermost commit only, never at a savepoint."""
from __future__ import annotations

import pytest

from orgwell.after_commit import pending, run_after_commit
from orgwell.extensions import db
from tests import factories


@pytest.fixture
def calls(db):
    """A handler that records what it was given, and the list it records into."""
    seen: list[list] = []

    def handler(ids: list) -> None:
        seen.append(ids)

    handler.seen = seen
    return handler


def _touch() -> None:
    """Real work in the current (sub)transaction, so the savepoint has something to release."""
    factories.OrganisationFactory()
    db.session.flush()


def test_a_released_savepoint_queues_nothing_the_outer_commit_does(calls):
    _touch()
    run_after_commit(db.session, calls, [3])
    savepoint = db.session.begin_nested()
    _touch()
    run_after_commit(db.session, calls, [1, 3])
    savepoint.commit()  # SQLAlchemy's after_commit fires here: nothing may run yet
    assert calls.seen == []
    assert pending(db.session, calls) == {1, 3}
    db.session.commit()
    assert calls.seen == [[1, 3]]  # once, each id once, in order
    assert pending(db.session, calls) == set()
    db.session.commit()
    assert calls.seen == [[1, 3]]


def test_a_savepoint_rollback_keeps_what_the_outer_transaction_noted(calls):
    _touch()
    run_after_commit(db.session, calls, [1])
    savepoint = db.session.begin_nested()
    _touch()
    run_after_commit(db.session, calls, [2])
    savepoint.rollback()
    assert calls.seen == [] and pending(db.session, calls) == {1}
    db.session.commit()
    assert calls.seen == [[1]]


def test_nested_savepoints_hand_their_ids_outwards(calls):
    outer = db.session.begin_nested()
    run_after_commit(db.session, calls, [1])
    inner = db.session.begin_nested()
    run_after_commit(db.session, calls, [2])
    inner.commit()
    inner_dropped = db.session.begin_nested()
    run_after_commit(db.session, calls, [3])
    inner_dropped.rollback()
    outer.commit()
    assert calls.seen == [] and pending(db.session, calls) == {1, 2}
    db.session.commit()
    assert calls.seen == [[1, 2]]


def test_the_outer_rollback_or_close_drops_everything(calls):
    run_after_commit(db.session, calls, [1])
    savepoint = db.session.begin_nested()
    run_after_commit(db.session, calls, [2])
    savepoint.commit()
    db.session.rollback()
    assert pending(db.session, calls) == set()
    _touch()
    run_after_commit(db.session, calls, [4])
    db.session.close()  # ends the transaction without a rollback event
    db.session.commit()
    assert calls.seen == []


def test_handlers_are_kept_apart(calls):
    other: list[list] = []

    def second(ids: list) -> None:
        other.append(ids)

    run_after_commit(db.session, calls, [1])
    run_after_commit(db.session, second, [1, 2])
    run_after_commit(db.session, calls, [])  # nothing to note
    db.session.commit()
    assert calls.seen == [[1]] and other == [[1, 2]]
