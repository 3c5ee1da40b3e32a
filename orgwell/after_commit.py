"""Work that waits for a session's real COMMIT: handing ids to the worker, mostly.

`run_after_commit(session, handler, ids)` notes `ids` for `handler`; once the OUTERMOST
transaction of the session commits, `handler(sorted ids)` runs once with everything noted
for it (a flush that notes the same id twice queues it once). A rollback forgets them.

Why not plain after_commit/after_rollback listeners: SQLAlchemy fires after_commit when a
SAVEPOINT is released (`session.begin_nested()`), before anything is visible to another
connection, and after_rollback when a savepoint is rolled back, which would drop what the
outer transaction noted before the savepoint began. Here a released savepoint hands its ids
to the enclosing transaction, a rolled-back savepoint drops only its own, and only the
outermost commit runs the handlers.

Handlers run after the data is committed, outside any transaction; they should not raise
(a broker that is down is each caller's sweep's job, so they log and go on).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

Handler = Callable[[list], None]

_INFO_KEY = "orgwell.after_commit"


def run_after_commit(session: Session | scoped_session, handler: Handler, ids: Iterable) -> None:
    """Run `handler(sorted ids)` after the outermost commit of `session`; not on rollback.

    Ids noted inside a savepoint wait for the outermost commit too, and are dropped when that
    savepoint is rolled back. Call it inside the transaction that wrote them (after a flush):
    before any transaction has begun there is none to wait for. Hashable ids only; sorted so
    workers see them in a stable order.
    """
    listen()
    ids = set(ids)
    if not ids:
        return
    session = _resolved(session)
    level = session.get_nested_transaction()
    _pending(session).setdefault(level, {}).setdefault(handler, set()).update(ids)


def pending(session: Session | scoped_session, handler: Handler) -> set:
    """What `handler` would be given if `session` committed now (every level together)."""
    found: set = set()
    for handlers in _resolved(session).info.get(_INFO_KEY, {}).values():
        found |= handlers.get(handler, set())
    return found


def _resolved(session: Session | scoped_session) -> Session:
    """The session itself (`db.session` is a scoped_session: a proxy to this thread's one)."""
    return session() if isinstance(session, scoped_session) else session


def _pending(session: Session) -> dict[SessionTransaction | None, dict[Handler, set]]:
    """Noted ids by savepoint (None: the outermost transaction), then by handler."""
    return session.info.setdefault(_INFO_KEY, {})


def listen() -> None:
    """Install the session listeners (once; `run_after_commit` calls this itself)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        event.listen(Session, "after_transaction_end", _after_transaction_end)


def _after_commit(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        # A released savepoint: its ids now belong to the transaction around it.
        noted = _pending(session).pop(savepoint, None)
        if noted:
            into = _pending(session).setdefault(_enclosing_savepoint(savepoint), {})
            for handler, ids in noted.items():
                into.setdefault(handler, set()).update(ids)
        return
    noted = session.info.pop(_INFO_KEY, None)
    if not noted:
        return
    merged: dict[Handler, set] = {}
    for handlers in noted.values():
        for handler, ids in handlers.items():
            merged.setdefault(handler, set()).update(ids)
    for handler, ids in merged.items():
        handler(sorted(ids))


def _after_rollback(session: Session) -> None:
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        _pending(session).pop(savepoint, None)
        return
    session.info.pop(_INFO_KEY, None)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # session.close() ends the transaction without a rollback event: forget its ids too,
    # or a later commit of the same session would queue them.
    if transaction.parent is None:
        session.info.pop(_INFO_KEY, None)


def _enclosing_savepoint(savepoint: SessionTransaction) -> SessionTransaction | None:
    """The savepoint around `savepoint`, or None when it is the outermost transaction."""
    outer = savepoint.parent
    while outer is not None and not outer.nested:
        outer = outer.parent
    return outer
