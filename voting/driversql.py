"""SQL run on the database driver's cursor, inside the session's transaction.

The vote path writes every batch with a dozen statements. Through SQLAlchemy's
execution layer each statement costs more in Python than SQLite takes to run it
(compiling expanding IN lists, building an execution context, processing every
parameter of every row), and that layer was the largest part of a vote's CPU time in
the profile (docs/benchmarks.md). These helpers hand plain SQL to the DB-API cursor of
the connection the session already holds, so the batch stays one transaction with the
rest of the session's work and commits through it. Driver errors come out as
SQLAlchemy's exceptions (IntegrityError, OperationalError, ...), as the callers expect.

SQL is written with `?` placeholders (SQLite's style); `in_list(n)` writes the
placeholders of an IN list. Values must already be what the driver takes: `bind`
turns a Python value into the form a column's type stores (SQLite has no datetime
type, for one, and SQLAlchemy writes a fixed text format that every reader expects).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Column
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from voting.extensions import db


def rows(sql: str, params: Sequence = ()) -> list[tuple]:
    """Run a query and return all its rows as tuples."""
    cursor, dialect = _cursor()
    text = _driver_sql(sql, dialect.paramstyle)
    try:
        cursor.execute(text, tuple(params))
        return cursor.fetchall()
    except dialect.loaded_dbapi.Error as error:
        raise _wrapped(error, text, params, dialect, many=False) from error
    finally:
        cursor.close()


def execute_many(sql: str, params: Sequence[Sequence]) -> None:
    """Run a statement once per row of parameters (one driver call)."""
    if not params:
        return
    cursor, dialect = _cursor()
    text = _driver_sql(sql, dialect.paramstyle)
    try:
        cursor.executemany(text, params)
    except dialect.loaded_dbapi.Error as error:
        raise _wrapped(error, text, params, dialect, many=True) from error
    finally:
        cursor.close()


def in_list(count: int) -> str:
    """Return the placeholders of an IN list of `count` values, e.g. "?,?,?"."""
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return ",".join("?" * count)


def bind(column: Column, value):
    """Return `value` in the form the driver stores for this column's type."""
    process = _bind_processor(column, db.session.get_bind().dialect)
    return value if process is None or value is None else process(value)


def _cursor():
    """Return a new cursor on the session's connection and the dialect it speaks."""
    connection = db.session.connection()
    return connection.connection.driver_connection.cursor(), connection.dialect


@functools.lru_cache(maxsize=512)
def _driver_sql(sql: str, paramstyle: str) -> str:
    """Translate `?` placeholders into the driver's style (psycopg takes %s)."""
    if paramstyle == "qmark":
        return sql
    if paramstyle in ("format", "pyformat"):
        return sql.replace("%", "%%").replace("?", "%s")
    raise NotImplementedError(f"no driver SQL for paramstyle {paramstyle}")


@functools.lru_cache(maxsize=64)
def _bind_processor(column: Column, dialect: Dialect):
    """Return the function that turns a Python value into the column's stored form, if any."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _wrapped(error: Exception, text: str, params, dialect: Dialect, *, many: bool):
    """Return the SQLAlchemy exception SQLAlchemy itself would raise for a driver error."""
    return DBAPIError.instance(
        text,
        params,
        error,
        dialect.loaded_dbapi.Error,
        dialect=dialect,
        ismulti=many,
    )
