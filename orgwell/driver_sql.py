"""The survey link's statements, run on the database driver's cursor.

A survey answer is ten statements (the link's query on the GET; on the POST the query again,
the claim, the response, its scores, two rollup writes and the wave counter). SQLAlchemy's
execution of a prebuilt Core statement costs about 110 us of CPU more than psycopg's own
(execution context, compiled-cache lookup, result object): 148 against 36 us for the link's
query, measured in one process on PostgreSQL. That was a tenth of the web's CPU per answer.

`DriverStatement` compiles a Core statement once per dialect and runs it on the DBAPI
connection under the SQLAlchemy Connection the session holds, so it is inside the session's
transaction (or its autocommit mode) like any other statement. It does what SQLAlchemy's
execution would have done for it:

- bind values go through their column types' bind processors (JSON, dates on SQLite, the
  UTC timestamps), and constants the statement carries ("closed" in a CASE) are added;
- result values go through the result processors (SQLite's dates and booleans, UTC);
- a driver error becomes SQLAlchemy's exception, and a lost connection is invalidated and
  its pool replaced, by `Connection._handle_dbapi_exception`, the method SQLAlchemy's own
  execution calls, so the web answers 503 and recovers as on every other path;
- the before_cursor_execute and after_cursor_execute events are dispatched when listeners
  exist (tracing such as OpenTelemetry's, and tests, watch statements there).

The last two use SQLAlchemy's own private names (`_handle_dbapi_exception`, `_has_events`),
as its execution does; tests/test_driver_sql.py checks each of these on SQLite and PostgreSQL,
so a SQLAlchemy release that changes them fails the suite rather than a deployment.

Only what these statements need is supported: no expanding IN parameters, and no column
defaults computed in Python (every defaulted column must be given), which compiling refuses.
Everything else keeps using the session.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.expression import Executable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # bind names in order, for positional paramstyles
    constants: dict[str, Any]  # values the statement itself carries
    binds: tuple[tuple[str, Callable], ...]  # (name, bind processor)
    results: tuple[Callable | None, ...]  # a result processor per returned column


class DriverStatement:
    """A Core statement run on the driver's cursor; see the module.

    build(dialect name) makes the statement (upserts differ between PostgreSQL and SQLite);
    column_keys: the columns an INSERT is given.
    """

    def __init__(self, build: Callable[[str], Executable], column_keys: Sequence[str] = ()):
        self._build = build
        self._column_keys = tuple(column_keys)  # an INSERT's given columns
        self._compiled: dict[tuple[type, int], _Compiled] = {}

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple | None:
        """The first row (processed), or None."""
        compiled = self._for(connection.dialect)
        cursor = self._run(connection, compiled, params)
        row = cursor.fetchone()
        cursor.close()
        if row is None:
            return None
        return tuple(
            value if process is None or value is None else process(value)
            for value, process in zip(row, compiled.results, strict=True)
        )

    def scalar(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(connection, params)
        return None if row is None else row[0]

    def rowcount(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Run the statement; the number of rows it matched."""
        cursor = self._run(connection, self._for(connection.dialect), params)
        count = cursor.rowcount
        cursor.close()
        return count

    def many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """INSERT `rows` (the statement must be an INSERT given no values) with one
        multi-row VALUES statement, compiled once per number of rows. The driver's
        executemany was a pipeline of one statement per row driven by psycopg's Python
        code: 3% of the web's CPU per call on a survey answer."""
        if not rows:
            return
        compiled = self._for(connection.dialect, len(rows))
        params = {
            f"{key}__{i}": row[key] for i, row in enumerate(rows) for key in self._column_keys
        }
        self._run(connection, compiled, params).close()

    def _run(self, connection: Connection, compiled: _Compiled, params: Mapping[str, Any]):
        sql, values = compiled.sql, _values(compiled, params)
        cursor = connection.connection.dbapi_connection.cursor()
        # Listeners (tracing, tests) see the statement as SQLAlchemy's execution shows it,
        # with no execution context, which SQLAlchemy's API allows; as SQLAlchemy does, the
        # dispatch is only looked at when some listener exists.
        events = connection._has_events or connection.engine._has_events
        if events:
            for listener in connection.dispatch.before_cursor_execute:
                sql, values = listener(connection, cursor, sql, values, None, False)
        try:
            cursor.execute(sql, values)
        except connection.dialect.loaded_dbapi.Error as error:
            connection._handle_dbapi_exception(error, sql, values, cursor, None)
        if events:
            connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
        return cursor

    def _for(self, dialect: Dialect, rows: int = 0) -> _Compiled:
        compiled = self._compiled.get((type(dialect), rows))
        if compiled is None:
            statement = self._build(dialect.name)
            if rows:
                table = statement.table
                statement = statement.values([
                    {key: bindparam(f"{key}__{i}", type_=table.c[key].type)
                     for key in self._column_keys}
                    for i in range(rows)
                ])
            compiled = self._compiled[(type(dialect), rows)] = _compile(
                statement, dialect, None if rows else list(self._column_keys) or None
            )
        return compiled


def _values(compiled: _Compiled, params: Mapping[str, Any]):
    values = {**compiled.constants, **params}
    for name, process in compiled.binds:
        value = values[name]
        if value is not None:
            values[name] = process(value)
    if compiled.positions is None:
        return values
    return tuple(values[name] for name in compiled.positions)


def _compile(statement: Executable, dialect: Dialect, column_keys: list[str] | None) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError(
            "DriverStatement: give every column with a Python-side default "
            f"({[c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]})"
        )
    names = list(compiled.params)
    if any(compiled.binds[name].expanding for name in names):
        raise ValueError("DriverStatement: expanding IN parameters are not supported")
    binds = []
    for name in names:
        process = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds.append((name, process))
    constants = {
        name: value for name, value in compiled.params.items()
        if not compiled.binds[name].required
    }
    if isinstance(statement, Select):
        result_types = [column.type for column in statement.selected_columns]
    else:
        result_types = [d["type"] for d in statement.returning_column_descriptions]
    return _Compiled(
        sql=compiled.string,
        positions=tuple(compiled.positiontup) if dialect.positional else None,
        constants=constants,
        binds=tuple(binds),
        results=tuple(
            type_.dialect_impl(dialect).result_processor(dialect, None) for type_ in result_types
        ),
    )
