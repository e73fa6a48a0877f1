"""end_read: reads end with COMMIT (psycopg keeps its prepared statements), writes never do."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text

from tests.conftest import app_settings
from voting import create_app, driversql
from voting.database import begin_write, end_read
from voting.errors import InvalidInput
from voting.events.service import EventData, create_event
from voting.extensions import db
from voting.models import Event, Participant


class TransactionEnds:
    """Counts the COMMITs and ROLLBACKs an engine's connections send."""

    def __init__(self, engine) -> None:
        self.commits = self.rollbacks = 0
        sa_event.listen(engine, "commit", self._commit)
        sa_event.listen(engine, "rollback", self._rollback)

    def _commit(self, _connection) -> None:
        self.commits += 1

    def _rollback(self, _connection) -> None:
        self.rollbacks += 1


@pytest.fixture
def ends(app):
    """The COMMITs and ROLLBACKs of the test app's engine from here on."""
    db.session.commit()
    return TransactionEnds(db.engine)


def participants() -> int:
    """Count the stored participants, in a fresh transaction."""
    db.session.rollback()
    return db.session.scalar(select(func.count(Participant.id)))


def test_a_transaction_that_only_read_ends_with_commit(make_event, ends):
    event = make_event()
    ends.commits = 0
    db.session.scalar(select(Event.code).where(Event.id == event.id))
    end_read()
    assert (ends.commits, ends.rollbacks) == (1, 0)
    assert not db.session().in_transaction()


def test_a_flushed_insert_is_rolled_back_not_committed(make_event, ends):
    event = make_event()
    db.session.add(Participant(public_id="flushed-key", event_id=event.id))
    db.session.flush()
    end_read()
    assert ends.rollbacks == 1
    assert participants() == 0


def test_an_unflushed_change_is_rolled_back_not_committed(make_event, ends):
    event = make_event()
    db.session.add(Participant(public_id="pending-key", event_id=event.id))
    event.name = "Renamed"
    end_read()
    assert ends.rollbacks == 1
    assert participants() == 0
    assert db.session.get(Event, event.id).name == "Test event"


def test_a_write_in_plain_sql_is_rolled_back_not_committed(make_event, ends):
    event = make_event()
    db.session.execute(text("UPDATE events SET name = 'Renamed' WHERE id = :id"), {"id": event.id})
    end_read()
    assert ends.rollbacks == 1
    db.session.expire_all()
    assert db.session.get(Event, event.id).name == "Test event"


def test_a_write_on_the_drivers_own_cursor_is_rolled_back_not_committed(make_event, ends):
    event = make_event()
    driversql.rows("UPDATE events SET name = 'Renamed' WHERE id = ?", [event.id])
    end_read()
    assert ends.rollbacks == 1
    db.session.expire_all()
    assert db.session.get(Event, event.id).name == "Test event"


def test_a_transaction_that_took_the_write_lock_is_rolled_back(make_event, ends):
    """begin_write (BEGIN IMMEDIATE on SQLite) counts as a write, even with only reads after."""
    make_event()
    ends.commits = 0
    begin_write()
    db.session.scalar(select(Event.code))
    end_read()
    assert (ends.commits, ends.rollbacks) == (0, 1)


def test_without_a_session_nothing_is_created_or_sent(app, ends):
    db.session.remove()
    end_read()
    assert not db.session.registry.has()
    assert (ends.commits, ends.rollbacks) == (0, 0)


def test_a_write_after_a_commit_is_still_seen(make_event, ends):
    """The mark of a write belongs to its transaction, and the next one starts clean."""
    event = make_event()
    db.session.add(Participant(public_id="kept-key", event_id=event.id))
    db.session.commit()
    db.session.scalar(select(Event.code))
    end_read()
    assert ends.rollbacks == 0
    db.session.add(Participant(public_id="dropped-key", event_id=event.id))
    db.session.flush()
    end_read()
    assert ends.rollbacks == 1
    assert participants() == 1


@pytest.fixture
def request_app(tmp_path):
    """An app whose requests get their own app context (as in production, unlike `app`)."""
    app = create_app(app_settings(tmp_path))
    with app.app_context():
        db.create_all()
        today = dt.date.today()
        event_id = create_event(
            EventData(code="ENDS1", name="Ends", starts_on=today, ends_on=today)
        ).id

    @app.get("/_test/read")
    def read_only():
        return str(db.session.scalar(select(func.count(Participant.id))))

    @app.get("/_test/unfinished")
    def unfinished_write():
        db.session.add(Participant(public_id="unfinished", event_id=event_id))
        db.session.flush()
        return "left without a commit"

    @app.get("/_test/refused")
    def refused_after_a_write():
        db.session.add(Participant(public_id="refused", event_id=event_id))
        db.session.flush()
        raise InvalidInput("refused after a write", "invalid_test")

    @app.get("/_test/failing")
    def failing_read():
        db.session.scalar(select(Event.code))
        raise RuntimeError("the handler failed")

    yield app
    with app.app_context():
        db.engine.dispose()


def test_a_requests_read_ends_with_commit_and_its_unfinished_write_is_dropped(request_app):
    with request_app.app_context():
        ends = TransactionEnds(db.engine)
    client = request_app.test_client()
    assert client.get("/_test/read").text == "0"
    assert (ends.commits, ends.rollbacks) == (1, 0)
    assert client.get("/_test/unfinished").status_code == 200
    assert ends.commits == 1
    assert client.get("/_test/read").text == "0"


def test_a_request_refused_after_a_write_is_rolled_back(request_app):
    """A handled error reaches the teardown as a normal answer: its write must not stay."""
    with request_app.app_context():
        ends = TransactionEnds(db.engine)
    client = request_app.test_client()
    assert client.get("/_test/refused").status_code == 400
    assert (ends.commits, ends.rollbacks) == (0, 1)
    assert client.get("/_test/read").text == "0"


def test_a_failed_request_is_rolled_back(request_app):
    request_app.config["PROPAGATE_EXCEPTIONS"] = False
    with request_app.app_context():
        ends = TransactionEnds(db.engine)
    assert request_app.test_client().get("/_test/failing").status_code == 500
    assert (ends.commits, ends.rollbacks) == (0, 1)
