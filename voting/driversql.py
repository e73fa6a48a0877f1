"""SQL run on the database driver's cursor, inside the session's transaction.

The vote path writes every batch with a dozen statements. Through SQLAlchemy's
execution layer each statement costs more in Python than SQLite takes to run it
(compiling expanding IN lists, building an execution context, processing every
parameter of every row), and that layer was the largest part of a vote's CPU time in
the profile (docs/benchmarks.md). These helpers hand plain SQL to the DB-API cursor of
the connection the session already holds, so the batch stays one transaction with the
rest of the session's work and commits through it. Driver errors come out as
SQLAlchemy's exceptions (IntegrityError, OperationalError, ...), as the callers expect.

SQL is written with `?` placeholders (SQLite's style); `listed(sql, values)` fills in
the placeholders of an IN list. Values must already be what the driver takes: `bind`
turns a Python value into the form a column's type stores (SQLite has no datetime
type, for one, and SQLAlchemy writes a fixed text format that every reader expects).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from contextlib import contextmanager, suppress

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from voting.database import note_statement
from voting.extensions import db


def rows(sql: str, params: Sequence = ()) -> list[tuple]:
    """Run a statement and return all the rows it gives as tuples (none for a plain write)."""
    with _driver_cursor(sql, params, many=False) as (cursor, text):
        cursor.execute(text, tuple(params))
        # An INSERT without RETURNING has no result set (psycopg would refuse fetchall).
        return cursor.fetchall() if cursor.description else []


def execute_many(sql: str, params: Sequence[Sequence]) -> None:
    """Run a statement once per row of parameters (one driver call)."""
    if not params:
        return
    with _driver_cursor(sql, params, many=True) as (cursor, text):
        cursor.executemany(text, params)


# Both engines take more (SQLite 32,766 since 3.32, PostgreSQL 65,535); a vote batch
# stays well below, so its rows are split only into the runs `chunks` makes.
MAX_PARAMETERS = 30_000


def insert_rows(sql: str, params: Sequence[Sequence], returning: str = "") -> list[tuple]:
    """Insert many rows with a few multi-row INSERTs instead of one statement per row.

    `sql` is a one-row "INSERT INTO t (a, b) VALUES (?, ?)". On PostgreSQL this is a
    round trip and a statement per run of rows (`chunks`), where executemany runs a
    pipeline with a result per row; on SQLite the two cost about the same. `returning`
    names columns to return from the inserted rows (e.g. their new ids), sparing a query
    to read them back.
    """
    found: list[tuple] = []
    head = sql.rsplit(" VALUES ", 1)[0]
    tail = f" RETURNING {returning}" if returning else ""
    for chunk in chunks(params):
        found += rows(f"{head} VALUES {values(len(chunk), len(chunk[0]))}{tail}", flat(chunk))
    return found


def chunks(params: Sequence[Sequence]) -> list[Sequence[Sequence]]:
    """Split rows of parameters into runs of a power of two rows (100 = 64 + 32 + 4).

    A statement's text depends on its number of rows, and preparing a 100-row INSERT
    cost SQLite about as much as running it: with a few sizes only, the driver's
    statement cache serves nearly every batch. On PostgreSQL each run is a round trip
    (one per 1 bit of the row count: 3 for 100 rows, at most 7 below 256), which
    measured no slower there (docs/benchmarks.md). No run carries more than
    MAX_PARAMETERS values.
    """
    if not params:
        return []
    largest = 1 << (max(1, MAX_PARAMETERS // len(params[0])).bit_length() - 1)
    runs: list[Sequence[Sequence]] = []
    start = 0
    while start < len(params):
        size = min(largest, 1 << ((len(params) - start).bit_length() - 1))
        runs.append(params[start : start + size])
        start += size
    return runs


def values(count: int, width: int) -> str:
    """Return the placeholders of `count` rows of `width` values: "(?,?),(?,?)"."""
    return ",".join(["(" + in_list(width) + ")"] * count)


def flat(params: Sequence[Sequence]) -> list:
    """Return rows of parameters as one list, in order."""
    return [value for row in params for value in row]


def in_list(count: int) -> str:
    """Return the placeholders of an IN list of `count` values, e.g. "?,?,?"."""
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return ",".join("?" * count)


def listed(sql: str, values) -> tuple[str, list]:
    """Fill a statement's `{}` with an IN list of `values`; return it and its parameters.

    The list is padded to one of a few lengths (`padded`), so that the statement is
    prepared once rather than for every batch size.
    """
    values = padded(values)
    return sql.format(in_list(len(values))), values


def padded(values: Sequence) -> list:
    """Return IN-list values padded to a power of two by repeating the last (37 values: 64).

    As for `chunks`: a few statement texts, prepared once. A value listed twice changes
    no IN (nor NOT IN), and keeps the parameters' types as they were. Lists longer than
    half of MAX_PARAMETERS are padded to MAX_PARAMETERS only.
    """
    values = list(values)
    if not values:
        return values  # refused by in_list, as before
    size = min(1 << (len(values) - 1).bit_length(), MAX_PARAMETERS)
    return values + [values[-1]] * (size - len(values))


def bind(column: Column, value):
    """Return `value` in the form the driver stores for this column's type."""
    return binder(column)(value)


def binder(column: Column):
    """Return a function turning values into what the driver stores for this column.

    Found once for many values: finding the session's engine costs more than the
    conversion itself.
    """
    process = _bind_processor(column, db.session.get_bind().dialect)
    if process is None:
        return _unchanged
    return lambda value: None if value is None else process(value)


def _unchanged(value):
    """Return the value as it is (a type the driver takes as it is)."""
    return value


@contextmanager
def _driver_cursor(sql: str, params, *, many: bool):
    """Yield a cursor on the session's connection and the SQL in the driver's style.

    A driver error leaves as the exception SQLAlchemy itself would raise, and a lost
    connection is invalidated as SQLAlchemy would: the session's rollback then discards
    it instead of failing on it (which would skip the caller's error handling).
    """
    connection = db.session.connection()
    note_statement(connection, sql)  # for end_read: SQLAlchemy's events do not see this
    dialect = connection.dialect
    cursor = connection.connection.driver_connection.cursor()
    text = _driver_sql(sql, dialect.paramstyle)
    try:
        yield cursor, text
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            text,
            params,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
            ismulti=many,
        ) from error
    finally:
        with suppress(Exception):  # a cursor of a lost connection may refuse to close
            cursor.close()


@functools.lru_cache(maxsize=512)
def _driver_sql(sql: str, paramstyle: str) -> str:
    """Translate `?` placeholders into the driver's style (psycopg takes %s)."""
    if paramstyle == "qmark":
        return sql
    if paramstyle in ("format", "pyformat"):
        return sql.replace("%", "%%").replace("?", "%s")
    # Plenum runs on sqlite3 and psycopg only (pyproject.toml); say so rather than guess.
    raise RuntimeError(f"the vote path supports SQLite and PostgreSQL only (got {paramstyle})")


@functools.lru_cache(maxsize=64)
def _bind_processor(column: Column, dialect: Dialect):
    """Return the function that turns a Python value into the column's stored form, if any."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)
