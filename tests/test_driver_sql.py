"""Statements run on the driver's cursor (orgwell/driver_sql.py) bind, read and fail as
SQLAlchemy's own execution does: the same values in and out, SQLAlchemy's exceptions, and a
lost PostgreSQL connection invalidated so the pool replaces it."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from bench.stack import new_postgres_database
from orgwell.database import UTCDateTime, engine_options_for
from orgwell.driver_sql import DriverStatement
from tests import services

metadata = MetaData()
things = Table(
    "driver_sql_things", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("day", Date),
    Column("flag", Boolean),
    Column("at", UTCDateTime),
    Column("hits", Integer, default=0),
)
ROW = {"id": 1, "name": "first", "day": date(2026, 11, 27), "flag": True,
       "at": datetime(2026, 11, 27, 9, 30, tzinfo=UTC), "hits": 0}
COLUMNS = tuple(ROW)

INSERT = DriverStatement(lambda _d: insert(things), column_keys=COLUMNS)
READ = DriverStatement(
    lambda _d: select(things.c.name, things.c.day, things.c.flag, things.c.at)
    .where(things.c.id == bindparam("id"))
)


def _add_hits(dialect: str):
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(things)
    return stmt.on_conflict_do_update(
        index_elements=["id"], set_={"hits": things.c.hits + stmt.excluded.hits}
    )


UPSERT = DriverStatement(
    lambda dialect: _add_hits(dialect).returning(things.c.hits), column_keys=COLUMNS
)
ADD_HITS = DriverStatement(_add_hits, column_keys=COLUMNS)


@pytest.fixture(scope="module")
def postgres_url():
    """A database of this module's own (test processes run side by side)."""
    with new_postgres_database(services.require_postgres(),
                               f"orgwell_test_driver_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    url = (f"sqlite:///{tmp_path}/d.sqlite" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = create_engine(url, **engine_options_for(url))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def test_values_go_in_and_come_out_as_with_sqlalchemy(engine):
    with engine.begin() as conn:
        assert INSERT.rowcount(conn, ROW) == 1
        INSERT.many(conn, [{**ROW, "id": 2, "flag": False, "day": None},
                           {**ROW, "id": 3, "at": None}])
    with engine.connect() as conn:
        for row_id in (1, 2, 3):
            ours = READ.first(conn, {"id": row_id})
            theirs = conn.execute(
                select(things.c.name, things.c.day, things.c.flag, things.c.at)
                .where(things.c.id == row_id)
            ).one()
            assert ours == tuple(theirs)
        assert READ.first(conn, {"id": 1}) == ("first", date(2026, 11, 27), True, ROW["at"])
        assert READ.first(conn, {"id": 99}) is None
        assert isinstance(READ.first(conn, {"id": 1})[2], bool)  # SQLite stores 1


def test_the_statement_runs_in_the_connections_transaction(engine):
    with engine.connect() as conn:
        with conn.begin() as transaction:
            INSERT.rowcount(conn, ROW)
            assert READ.first(conn, {"id": 1}) is not None
            transaction.rollback()
        assert READ.first(conn, {"id": 1}) is None
        with conn.begin():
            assert UPSERT.scalar(conn, {**ROW, "hits": 2}) == 2
            assert UPSERT.scalar(conn, {**ROW, "hits": 3}) == 5  # the constant-free SET adds
            # Several rows in one statement: one new, one existing.
            ADD_HITS.many(conn, [{**ROW, "hits": 10}, {**ROW, "id": 7, "hits": 1}])
            ADD_HITS.many(conn, [{**ROW, "id": 7, "hits": 1}])
            assert conn.execute(select(things.c.id, things.c.hits).order_by(things.c.id)).all() \
                == [(1, 15), (7, 2)]
            assert READ.first(conn, {"id": 7}) == ("first", ROW["day"], True, ROW["at"])


def test_every_row_of_a_multi_row_insert_is_stored_as_sqlalchemy_stores_it(engine):
    """Each row's values go through their column's bind processor, not only the first row's
    (a UTC timestamp given in another zone, a date, a boolean: SQLite stores them as text)."""
    elsewhere = datetime(2026, 11, 27, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    row = {**ROW, "at": elsewhere}
    stored = select(
        things.c.id, cast(things.c.at, String), cast(things.c.day, String),
        cast(things.c.flag, String),
    ).order_by(things.c.id)
    with engine.begin() as conn:
        conn.execute(insert(things), {**row, "id": 1})
        ADD_HITS.many(conn, [{**row, "id": 2}, {**row, "id": 3}, {**row, "id": 4}])
        rows = conn.execute(stored).all()
    assert [r[1:] for r in rows] == [rows[0][1:]] * 4


def test_a_driver_error_is_sqlalchemys_error(engine):
    with engine.connect() as conn:
        with conn.begin():
            INSERT.rowcount(conn, ROW)
        with pytest.raises(IntegrityError), conn.begin():
            INSERT.rowcount(conn, ROW)  # the same primary key again
        with pytest.raises(IntegrityError), conn.begin():
            INSERT.many(conn, [{**ROW, "id": 5}, {**ROW, "id": 5}])
        assert conn.execute(select(things.c.id)).scalars().all() == [1]


def test_a_lost_connection_is_invalidated_and_the_pool_recovers(postgres_url):
    url = postgres_url
    engine = create_engine(url, **engine_options_for(url))
    admin = create_engine(url)
    metadata.create_all(engine)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            time.sleep(0.05)
            with pytest.raises(OperationalError) as raised:
                READ.first(conn, {"id": 1})  # what the web turns into a 503
            assert raised.value.connection_invalidated
        with engine.connect() as conn:  # a new connection, no error
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
            assert READ.first(conn, {"id": 1}) is None
    finally:
        metadata.drop_all(engine)
        engine.dispose()
        admin.dispose()


def test_cursor_listeners_see_the_statements(engine):
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(("before", statement.split()[0], context))

    def after(conn, cursor, statement, parameters, context, executemany):
        seen.append(("after", statement.split()[0], context))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with engine.begin() as conn:
            seen.clear()
            INSERT.rowcount(conn, ROW)
            ADD_HITS.many(conn, [{**ROW, "id": 2}, {**ROW, "id": 3}])
            READ.first(conn, {"id": 1})
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    verbs = ["INSERT", "INSERT", "SELECT"]
    assert [s for s in seen if s[0] == "before"] == [("before", v, None) for v in verbs]
    assert [s for s in seen if s[0] == "after"] == [("after", v, None) for v in verbs]


def test_statements_it_cannot_run_faithfully_are_refused(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/r.sqlite")
    metadata.create_all(engine)
    with engine.connect() as conn:
        # hits has a Python-side default, which only SQLAlchemy's execution would fill in.
        missing = DriverStatement(lambda _d: insert(things), column_keys=("id", "name"))
        with pytest.raises(ValueError, match="hits"):
            missing.rowcount(conn, {"id": 1, "name": "x"})
        expanding = DriverStatement(
            lambda _d: select(things.c.id).where(things.c.id.in_(bindparam("ids", expanding=True)))
        )
        with pytest.raises(ValueError, match="expanding"):
            expanding.first(conn, {"ids": [1]})
    engine.dispose()
