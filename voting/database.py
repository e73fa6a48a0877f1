"""Engine set-up and the write-lock helpers the services use for atomic rules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from voting.extensions import db

# Key of the PostgreSQL advisory lock held during first-start work (any constant will do).
STARTUP_LOCK_KEY = 0x504C454E554D  # "PLENUM"


# INSERT ... RETURNING (the vote batch reads new ids back from its inserts).
SQLITE_NEEDED = (3, 35)


def configure_sqlite(engine: Engine, config: dict) -> None:
    """Set the pragmas that make embedded SQLite durable and concurrent."""
    if engine.dialect.name != "sqlite":
        return
    found = engine.dialect.dbapi.sqlite_version_info
    if tuple(found) < SQLITE_NEEDED:
        raise RuntimeError(
            f"Plenum needs SQLite {'.'.join(map(str, SQLITE_NEEDED))} or newer; this Python "
            f"has {engine.dialect.dbapi.sqlite_version}. Use a newer Python or PostgreSQL."
        )

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers run while a vote is written; NORMAL sync in WAL mode keeps
        # every committed transaction across a killed process (only power loss can
        # drop the last ones), which is the failure the rules are about.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Wait this long for another process's write lock before failing with a
        # retryable error (read at connect time so tests can shorten it).
        cursor.execute(f"PRAGMA busy_timeout={int(config['SQLITE_BUSY_TIMEOUT_MS'])}")
        cursor.close()


def is_sqlite() -> bool:
    """Say whether the app runs on SQLite."""
    return db.engine.dialect.name == "sqlite"


# Primary keys are Integer columns, 32-bit on PostgreSQL: a larger number in a URL or a
# payload is refused as unknown rather than sent to the database, which would fail.
MAX_ID = 2**31 - 1


def as_id(value) -> int | None:
    """Return value as a positive database id, or None (accepts ints and digit strings)."""
    if isinstance(value, bool):
        return None
    # isdecimal, not isdigit: "²" is a digit that int() refuses
    if isinstance(value, str) and value.isdecimal() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_ID:
        return value
    return None


def begin_write() -> None:
    """Start the session's transaction holding the database write lock on SQLite.

    SQLite otherwise starts a transaction with a read snapshot and takes the write lock
    only at the first write, so a rule checked by a read (is the poll open?) could be
    stale by the time the vote is written. BEGIN IMMEDIATE takes the lock first.
    PostgreSQL needs no such step: services lock the rows they check (lock_row).
    """
    if not is_sqlite():
        return
    connection = db.session.connection()
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        # Through SQLAlchemy, so that "database is locked" arrives as its OperationalError.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        # Objects loaded before the lock may be stale: reload them on next access.
        db.session.expire_all()


# Key in a connection's info: a statement other than SELECT ran in its transaction.
WROTE = "plenum_wrote"


def track_writes(engine: Engine) -> None:
    """Note on each connection whether its transaction ran anything but SELECT (end_read)."""

    @sa_event.listens_for(engine, "begin")
    def _fresh(connection) -> None:
        connection.info.pop(WROTE, None)

    @sa_event.listens_for(engine, "before_cursor_execute")
    def _note(connection, _cursor, statement, _parameters, _context, _executemany) -> None:
        note_statement(connection, statement)


def note_statement(connection, statement: str) -> None:
    """Mark the connection's transaction as written unless the statement is a SELECT.

    Anything else counts, BEGIN IMMEDIATE and SAVEPOINT included: a false alarm only
    costs the ROLLBACK every read paid before. SQL run on the driver's own cursor
    (voting.driversql) passes here too, as SQLAlchemy's events do not see it.
    """
    if statement[:16].lstrip()[:6].upper() != "SELECT":
        connection.info[WROTE] = True


def end_read() -> None:
    """End a transaction that only read with COMMIT, and any other with ROLLBACK.

    psycopg forgets every statement it prepared on a connection at each ROLLBACK, so
    with every read ending in one, PostgreSQL parsed and planned the same queries
    again each time. A transaction that wrote, or a session holding unsaved changes,
    is rolled back as before: this never stores what a handler left unfinished. Falls
    back to a rollback when the commit fails (a broken transaction, a lost connection).
    """
    if not db.session.registry.has():  # nothing used the database in this context
        return
    session = db.session()
    if not session.in_transaction():
        return
    try:
        if _holds_writes(session):
            session.rollback()
        else:
            session.commit()
    except Exception:  # noqa: BLE001 - ending the transaction is all that matters here
        session.rollback()


def _holds_writes(session) -> bool:
    """Say whether the session's transaction wrote, or holds changes not yet flushed."""
    if session.new or session.dirty or session.deleted:
        return True
    # One engine, so the transaction's one connection (no binds are configured).
    return bool(session.connection().info.get(WROTE))


def end_context_reads(error: BaseException | None) -> None:
    """Teardown: end a request's or socket event's transaction with end_read.

    Runs before Flask-SQLAlchemy's own teardown removes the session, which would roll
    back. An unhandled exception is left to that rollback; a handled error (a 4xx
    answer) goes through end_read's checks, so whatever it wrote is rolled back.
    """
    if error is not None:
        return
    try:
        end_read()
    except Exception:  # noqa: BLE001 - the session's removal that follows cleans up
        current_app.logger.warning("ending a read transaction failed", exc_info=True)
    except BaseException:
        # Flask skips the teardowns after one that raises: hand the connection back.
        db.session.remove()
        raise


def lock_row(model, row_id: int, *, shared: bool):
    """Load one row under a row lock (PostgreSQL) after begin_write (SQLite)."""
    begin_write()
    query = select(model).where(model.id == row_id)
    if not is_sqlite():
        query = query.with_for_update(read=shared)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar()


@contextmanager
def startup_lock() -> Iterator[None]:
    """Let one process at a time migrate and seed the database (PostgreSQL).

    Several `voting serve` processes started together would otherwise all run the
    migrations and create the demo event and first admin at once, and all but one would
    crash on a duplicate. A session advisory lock on its own connection makes the others
    wait, then find the work done; PostgreSQL drops it if the holder dies. SQLite has
    one process per file and needs nothing.
    """
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK_KEY})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK_KEY})
