"""The migrations and the row locks on PostgreSQL (the scale-out database)."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tests.vote_path_checks import check_every_ballot_form
from voting import create_app, driversql
from voting.database import end_read, lock_row
from voting.errors import Unavailable
from voting.events.service import EventData, create_event
from voting.extensions import db
from voting.models import Event, Poll
from voting.polls import service

pytestmark = pytest.mark.scaleout

# What another transaction may take while a poll row is locked (NOWAIT: fail, not wait).
PROBES = {
    "FOR SHARE": "SELECT id FROM polls WHERE id = :id FOR SHARE NOWAIT",
    "FOR UPDATE": "SELECT id FROM polls WHERE id = :id FOR UPDATE NOWAIT",
}


@pytest.fixture
def pg_app(postgres, database, tmp_path):
    """An app (in this process) on the fresh PostgreSQL database."""
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": postgres.url(database).replace(
                "postgresql://", "postgresql+psycopg://", 1
            ),
            "REDIS_URL": None,
            "SECRET_KEY": "x",
            "SOCKETIO_ASYNC_MODE": "threading",
            # Pushes at once, in the test's thread: a coalesced push would run in a
            # background thread after teardown and open a connection nobody closes.
            "TALLY_INTERVAL": 0,
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    with db.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_migrations_build_the_models_schema_and_go_back(pg_app):
    directory = pg_app.extensions["migrate"].directory
    upgrade(directory=directory)
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), db.metadata) == []
        # The events <-> polls cycle: the display foreign key is added after both tables.
        keys = inspect(connection).get_foreign_keys("events")
    assert [(k["referred_table"], k["options"].get("ondelete")) for k in keys] == [
        ("polls", "SET NULL")
    ]
    result = pg_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Event).filter_by(code="EUCP18").one().polls
    db.session.remove()

    downgrade(directory=directory, revision="base")
    assert _tables() == {"alembic_version"}
    upgrade(directory=directory)
    assert {"events", "polls", "votes", "ballots"} <= _tables()


def test_lock_row_takes_share_and_update_locks(pg_app):
    """A vote's FOR SHARE lets other votes in but holds off a close's FOR UPDATE."""
    upgrade(directory=pg_app.extensions["migrate"].directory)
    assert pg_app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    poll_id = db.session.query(Poll.id).order_by(Poll.id).first()[0]
    db.session.remove()
    other = create_engine(db.engine.url)
    try:
        for shared, blocked in ((True, ["FOR UPDATE"]), (False, ["FOR SHARE", "FOR UPDATE"])):
            assert lock_row(Poll, poll_id, shared=shared).id == poll_id
            with other.connect() as connection:
                for mode, query in PROBES.items():
                    try:
                        connection.execute(text(query), {"id": poll_id})
                        took = True
                    except OperationalError:  # lock not available
                        took = False
                    connection.rollback()
                    assert took is (mode not in blocked), (shared, mode)
            db.session.rollback()
    finally:
        other.dispose()


def test_the_vote_batch_writes_what_the_orm_reads_back(pg_app):
    """The batch's driver-level SQL (psycopg's %s style, JSON, times) on PostgreSQL."""
    upgrade(directory=pg_app.extensions["migrate"].directory)
    event = create_event(
        EventData(code="PGVOTE", name="Votes", starts_on=dt.date.today(), ends_on=dt.date.today())
    )
    check_every_ballot_form(event)


def test_a_connection_lost_mid_batch_acknowledges_no_vote(pg_app, postgres, database, monkeypatch):
    """PostgreSQL ends the app's session between the batch's statements: every vote of the
    batch is answered `unavailable`, nothing is stored, and the next vote goes through."""
    upgrade(directory=pg_app.extensions["migrate"].directory)
    event = create_event(
        EventData(code="PGLOST", name="Lost", starts_on=dt.date.today(), ends_on=dt.date.today())
    )
    poll = service.open_poll(
        service.create_poll(event, service.PollData(title="Which?", options=["A", "B"]))
    )
    option = poll.options[0].id
    real = service._create_participants

    def lose_connection(tickets, participants):
        (pid,) = driversql.rows("SELECT pg_backend_pid()")[0]
        with psycopg.connect(postgres.url(database), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        real(tickets, participants)

    monkeypatch.setattr(service, "_create_participants", lose_connection)
    with pytest.raises(Unavailable):
        service.cast_vote(event, poll.id, "phone-lost", [option], "vote-lost-01")
    monkeypatch.undo()
    assert service.ballot_count(poll.id) == 0
    result = service.cast_vote(event, poll.id, "phone-lost", [option], "vote-lost-01")
    assert not result.duplicate
    assert service.ballot_count(poll.id) == 1


def backends(postgres, database: str) -> int:
    """Count the server processes connected to the database (one per open connection)."""
    sql = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'"  # noqa: S608
    return int(postgres.psql(sql).strip())


def test_connections_of_many_requests_at_once_are_kept_open(pg_app, postgres, database):
    """Twenty requests at once (under gevent hundreds are in flight) leave their twenty
    connections open for the next ones: SQLAlchemy's default kept five and closed the
    rest, and PostgreSQL started a new process for each connection opened again."""
    held = [db.engine.connect() for _ in range(20)]
    for connection in held:
        connection.execute(text("SELECT 1"))
    for connection in held:
        connection.close()  # back to the pool
    assert backends(postgres, database) == 20


def test_pool_settings_given_in_the_config_win(postgres, database, tmp_path):
    """An operator's SQLALCHEMY_ENGINE_OPTIONS replace the defaults for PostgreSQL."""
    url = postgres.url(database).replace("postgresql://", "postgresql+psycopg://", 1)
    settings = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "REDIS_URL": None}
    app = create_app(
        settings | {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3}}
    )
    with app.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (3, 10)
        db.engine.dispose()


def test_a_pool_class_of_the_operators_own_gets_no_pool_size(postgres, database, tmp_path):
    """NullPool (PgBouncer in front, say) takes no pool size: the defaults stay out."""
    url = postgres.url(database).replace("postgresql://", "postgresql+psycopg://", 1)
    settings = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "REDIS_URL": None}
    app = create_app(
        settings
        | {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool}}
    )
    with app.app_context():
        assert isinstance(db.engine.pool, NullPool)
        assert db.session.scalar(text("SELECT 1")) == 1
        db.engine.dispose()


def prepared_statements() -> int:
    """Count the statements prepared on the session's connection."""
    return db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))


def test_a_read_ended_by_end_read_keeps_psycopgs_prepared_statements(pg_app):
    """psycopg prepares a statement run five times on a connection, and forgets all at
    a ROLLBACK: reads ended with end_read (COMMIT) get prepared, as joins now do."""
    db.create_all()
    query = "SELECT id FROM polls WHERE id IN (?, ?)"
    for _ in range(6):
        driversql.rows(query, [1, 2])
        end_read()
    assert prepared_statements() == 1
    driversql.rows(query, [1, 2])
    db.session.rollback()  # how every read ended before
    assert prepared_statements() == 0
