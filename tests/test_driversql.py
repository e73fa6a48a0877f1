"""The driver-level SQL of the vote path (voting.driversql) on embedded SQLite."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.vote_path_checks import check_every_ballot_form
from voting import driversql
from voting.database import configure_sqlite, end_read
from voting.extensions import db
from voting.models import Participant, Vote
from voting.polls.service import _INSERT_PARTICIPANT


def test_every_ballot_form_reads_back_as_written(make_event):
    check_every_ballot_form(make_event())


def test_a_driver_error_arrives_as_sqlalchemys(make_event):
    """The batch's fallbacks catch SQLAlchemy's IntegrityError, not sqlite3's."""
    event = make_event()
    now = driversql.bind(Participant.__table__.c.created_at, dt.datetime.now(dt.UTC))
    row = ("same-key", event.id, now)
    with pytest.raises(IntegrityError) as error:
        driversql.execute_many(_INSERT_PARTICIPANT, [row, row])
    assert "UNIQUE" in str(error.value.orig)
    db.session.rollback()
    assert db.session.scalar(select(Participant).where(Participant.public_id == "same-key")) is None


def test_rows_run_inside_the_sessions_transaction(make_event):
    """What the session wrote is visible to the driver SQL and goes with its rollback."""
    event = make_event()
    db.session.add(Participant(public_id="pending-key", event_id=event.id))
    db.session.flush()
    sql = "SELECT event_id FROM participants WHERE public_id IN ({})"
    assert driversql.rows(sql.format(driversql.in_list(1)), ["pending-key"]) == [(event.id,)]
    db.session.rollback()
    assert driversql.rows(sql.format(driversql.in_list(1)), ["pending-key"]) == []


def test_placeholders_follow_the_drivers_style():
    assert driversql._driver_sql("a = ? AND b LIKE 'x%'", "qmark") == "a = ? AND b LIKE 'x%'"
    assert driversql._driver_sql("a = ? AND b LIKE 'x%'", "pyformat") == "a = %s AND b LIKE 'x%%'"
    assert driversql.in_list(3) == "?,?,?"
    with pytest.raises(RuntimeError, match="SQLite and PostgreSQL only"):
        driversql._driver_sql("a = ?", "named")
    with pytest.raises(ValueError, match="at least one"):
        driversql.in_list(0)


def test_insert_rows_splits_a_long_insert_and_returns_every_new_row(make_event, monkeypatch):
    event = make_event()
    monkeypatch.setattr(driversql, "MAX_PARAMETERS", 7)  # two rows of three per statement
    now = driversql.bind(Participant.__table__.c.created_at, dt.datetime.now(dt.UTC))
    keys = [f"split-{n}" for n in range(5)]
    made = driversql.insert_rows(
        _INSERT_PARTICIPANT, [(key, event.id, now) for key in keys], returning="public_id, id"
    )
    stored = dict(db.session.execute(select(Participant.public_id, Participant.id)).all())
    assert sorted(made) == sorted((key, stored[key]) for key in keys)
    assert driversql.insert_rows(_INSERT_PARTICIPANT, []) == []


def test_rows_are_split_into_runs_of_a_power_of_two_in_order(monkeypatch):
    """A few statement texts for every batch size: each prepared once (docs/benchmarks.md)."""
    rows = [(n, n, n) for n in range(100)]
    runs = driversql.chunks(rows)
    assert [len(run) for run in runs] == [64, 32, 4]
    assert [row for run in runs for row in run] == rows
    assert [len(run) for run in driversql.chunks(rows[:1])] == [1]
    monkeypatch.setattr(driversql, "MAX_PARAMETERS", 7)  # at most two rows of three
    assert [len(run) for run in driversql.chunks(rows[:5])] == [2, 2, 1]
    assert driversql.chunks([]) == []


def test_in_lists_are_padded_with_a_repeated_value_that_changes_no_answer(make_event, monkeypatch):
    event = make_event()
    assert driversql.padded([1, 2, 3]) == [1, 2, 3, 3]
    assert driversql.padded(range(64)) == list(range(64))
    assert len(driversql.padded(range(37))) == len(driversql.padded(range(45))) == 64
    assert driversql.padded([]) == []
    monkeypatch.setattr(driversql, "MAX_PARAMETERS", 10)
    assert len(driversql.padded(range(9))) == 10  # never more than a statement takes
    monkeypatch.undo()
    now = driversql.bind(Participant.__table__.c.created_at, dt.datetime.now(dt.UTC))
    driversql.insert_rows(_INSERT_PARTICIPANT, [(f"pad-{n}", event.id, now) for n in range(3)])
    values = driversql.padded(["pad-0", "pad-2", "nobody"])
    listed = driversql.in_list(len(values))
    for sql, expected in (
        ("SELECT public_id FROM participants WHERE public_id IN ({})", ["pad-0", "pad-2"]),
        ("SELECT public_id FROM participants WHERE public_id NOT IN ({})", ["pad-1"]),
    ):
        found = driversql.rows(sql.format(listed), values)
        assert sorted(key for (key,) in found) == expected


def test_a_binder_converts_many_values_as_bind_does_one(app):
    as_stored = driversql.binder(Vote.__table__.c.choices)
    assert as_stored([3, 1]) == driversql.bind(Vote.__table__.c.choices, [3, 1]) == "[3, 1]"
    assert as_stored(None) is None
    as_is = driversql.binder(Participant.__table__.c.public_id)  # text: no conversion
    assert as_is("key") == "key"


def test_an_sqlite_without_returning_is_refused_at_start():
    old = SimpleNamespace(sqlite_version_info=(3, 31, 1), sqlite_version="3.31.1")
    engine = SimpleNamespace(dialect=SimpleNamespace(name="sqlite", dbapi=old))
    with pytest.raises(RuntimeError, match=r"SQLite 3\.35 or newer; this Python has 3\.31\.1"):
        configure_sqlite(engine, {})


def test_end_read_after_a_failed_statement_leaves_a_usable_session(app):
    """end_read commits a read; when the transaction cannot commit it rolls back."""
    with pytest.raises(OperationalError):
        db.session.execute(text("SELECT * FROM no_such_table"))
    end_read()
    assert db.session.execute(text("SELECT 1")).scalar() == 1
    end_read()
    assert not db.session().in_transaction()
