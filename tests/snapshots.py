"""Data fixtures built once per test process, then copied into each test's database.

Building `world`, a practice with three survey waves or the demo through the real services
took about a fifth of the test processes' py-spy samples, the same rows again for every test. Like
the empty database (tests/conftest.py), such data is now built once per process: the first
test that asks builds it for real, and a copy of its database file is kept (VACUUM INTO).
Later tests, whose database holds exactly what held before that first build, get the kept
rows copied in (one INSERT ... SELECT per table) and the fixture's value with its objects
loaded again in their own session.

"Exactly what held before" is followed per app: a listener on the engine notes any statement
that writes. An app starts with an empty database and an empty history; a `reuse` whose key
follows that history continues it, and any other write ends it, after which `reuse` builds
for real. So `enrolled` on top of `world` is kept as the chain ("world", "prehab",
"enrolled"), and a test that wrote its own rows first gets a real build.

A build is also keyed by the clock: today's date, or the exact instant when a test holds the
clock (time_machine without ticking), so that dates derived from "today" are the same as a
real build's. Writes from other processes (a server or CLI command in a subprocess) are not
seen; the tests that start those (browser, worker, fault tests) use databases of their own,
not the `app` fixture's.
"""
from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import time_machine
from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine

from orgwell.database import utcnow
from orgwell.extensions import db

T = TypeVar("T")

# Statements that leave the database as it was; anything else ends an app's history.
_READS = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN")


@dataclass
class _History:
    """What an app's database holds: the keys of the reuses since it was empty, or None."""

    keys: tuple | None = ()
    building: bool = False  # inside a build, whose writes are what is kept
    uncommitted: bool = False  # a write not committed yet


@dataclass
class _Kept:
    path: Path
    value: Any


_FOLDER = Path(tempfile.mkdtemp(prefix="snapshots-"))  # this process's kept databases
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
_KEPT: dict[tuple, _Kept] = {}


class _NotKept(Exception):
    """The value holds something that cannot be loaded again in another session."""


def track(app) -> None:
    """Follow the writes of `app`'s engine (the `app` fixture calls this)."""
    history = _History()
    app.extensions["test_snapshots"] = history
    engine: Engine = db.engines[None]
    if engine.dialect.name != "sqlite":
        history.keys = None
        return

    @event.listens_for(engine, "after_cursor_execute")
    def _note_write(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip()[:9].upper().startswith(_READS):
            history.uncommitted = True
            if not history.building:
                history.keys = None

    @event.listens_for(engine, "commit")
    def _note_commit(conn):
        history.uncommitted = False


def reuse(key: str, build: Callable[[], T]) -> T:
    """`build()`'s value: built for real, or copied from this process's first build of the
    same data on the same history, with its objects loaded in this test's session."""
    history: _History | None = current_app.extensions.get("test_snapshots")
    if history is None or history.keys is None or history.building:
        return build()
    full_key = (*history.keys, key, _clock())
    kept = _KEPT.get(full_key)
    if kept is not None:
        _restore(kept.path)
        history.keys = full_key
        return _thaw(kept.value)
    history.keys = None  # unless all of it can be kept
    history.building = True
    try:
        value = build()
    finally:
        history.building = False
    if history.uncommitted or db.session.new or db.session.dirty or db.session.deleted:
        return value
    try:
        frozen = _freeze(value)
    except _NotKept:
        return value
    path = _FOLDER / f"{len(_KEPT)}.sqlite"
    _copy_database(path)
    _KEPT[full_key] = _Kept(path, frozen)
    history.keys = full_key
    return value


def _clock():
    """Today, or the instant itself while a test holds the clock still."""
    now = utcnow()
    return now if time_machine.escape_hatch.is_travelling() else now.date()


def _copy_database(path: Path) -> None:
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(path),))
    finally:
        raw.close()


def _restore(path: Path) -> None:
    """Replace every row of this test's database by the kept file's, in one transaction."""
    db.session.rollback()  # nothing of ours is pending (the history says so)
    raw = db.engine.raw_connection()
    connection: sqlite3.Connection = raw.driver_connection
    try:
        connection.execute("ATTACH DATABASE ? AS kept", (str(path),))
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("PRAGMA defer_foreign_keys = ON")
            for statement in _copy_statements():
                connection.execute(statement)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.execute("DETACH DATABASE kept")
    finally:
        raw.close()


@cache
def _copy_statements() -> tuple[str, ...]:
    """Empty every table (children first), then fill each from the attached `kept` file."""
    tables = db.metadata.sorted_tables
    deletes = [f'DELETE FROM main."{table.name}"' for table in reversed(tables)]
    inserts = []
    for table in tables:
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        inserts.append(f'INSERT INTO main."{table.name}" ({columns}) '
                       f'SELECT {columns} FROM kept."{table.name}"')
    return (*deletes, *inserts)


# --- values: objects become (class, primary key) and are loaded again ------------------------

@dataclass(frozen=True)
class _Row:
    model: type
    identity: tuple


@dataclass(frozen=True)
class _Object:
    cls: type
    attributes: dict


def _freeze(value):
    if value is None or isinstance(value, str | int | float | bool | bytes | date):
        return value
    if hasattr(value, "_sa_instance_state"):
        state = inspect(value)
        if not state.persistent:
            raise _NotKept(value)
        return _Row(type(value), state.identity)
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_freeze(v) for v in value)
    module = type(value).__module__
    if module.startswith("tests.") or module == "types":
        return _Object(type(value), {k: _freeze(v) for k, v in vars(value).items()})
    raise _NotKept(value)


def _thaw(value):
    if isinstance(value, _Row):
        return db.session.get(value.model, value.identity)
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_thaw(v) for v in value)
    if isinstance(value, _Object):
        thawed = value.cls.__new__(value.cls)
        vars(thawed).update({k: _thaw(v) for k, v in value.attributes.items()})
        return thawed
    return value
