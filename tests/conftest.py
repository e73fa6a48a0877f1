"""Shared fixtures: an app on a fresh SQLite file, clients, sockets and data factories."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from flask import g
from flask.testing import FlaskClient

from voting import create_app, realtime
from voting.accounts.service import create_user, grant_access
from voting.events.service import EventData, create_event
from voting.extensions import db, socketio
from voting.polls.service import PollData, create_poll, reset_process_state

PASSWORD = "correct horse battery"


def fresh_g() -> None:
    """Empty flask.g before a simulated request.

    The fixtures keep one app context open for the whole test, and Flask reuses it for
    every request, so per-request caches in g (Flask-WTF's CSRF token, Flask-Login's
    user) would leak from one client to the next. A real server never shares them.
    """
    g.__dict__.clear()


class IsolatedClient(FlaskClient):
    """Test client whose every request starts with an empty flask.g."""

    def open(self, *args, **kwargs):
        fresh_g()
        return super().open(*args, **kwargs)


class _FailedSocketEvents(logging.Handler):
    """Collects the log records of socket handlers that failed unexpectedly."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.failures: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep a record of voting.errors.unexpected_error_ack."""
        if record.getMessage() == "socket event failed":
            self.failures.append(record)


@pytest.fixture(autouse=True)
def no_failed_socket_events(request):
    """Fail a test in which a socket handler crashed, unless it is marked as expecting that.

    A crash is answered with a server_error ack rather than raised, so a test that ignores
    an ack would otherwise pass over it.
    """
    caught = _FailedSocketEvents()
    logger = logging.getLogger("voting")
    logger.addHandler(caught)
    try:
        yield
    finally:
        logger.removeHandler(caught)
    if caught.failures and "expects_socket_failure" not in request.keywords:
        first = caught.failures[0]
        pytest.fail(f"a socket handler failed: {first.exc_info[1]!r}", pytrace=False)


def app_settings(tmp_path, **overrides) -> dict:
    """The settings of the tests' apps: their own instance folder and SQLite file."""
    return {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "SOCKETIO_ASYNC_MODE": "threading",
        "TALLY_INTERVAL": 0,
        "VOTE_BATCH_WINDOW": 0,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "plenum.test",
        **overrides,
    }


@pytest.fixture
def app(tmp_path):
    """An app with its own SQLite file; tallies are pushed and votes written at once.

    (TALLY_INTERVAL and VOTE_BATCH_WINDOW 0: a test's votes come one after another, and
    the window's wait would only slow them; tests/test_groupcommit.py checks the window.)
    """
    app = create_app(app_settings(tmp_path))
    app.test_client_class = IsolatedClient
    realtime.reset_state()
    reset_process_state()
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A browser-like HTTP client."""
    return app.test_client()


def csrf_from(html: str) -> str:
    """Return the CSRF token a page carries in its meta tag."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


@pytest.fixture
def page_token():
    """Return a function that GETs a page and returns its CSRF token."""

    def get(client, url: str = "/") -> str:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return csrf_from(response.get_data(as_text=True))

    return get


@pytest.fixture
def make_event(app):
    """Factory for events."""
    counter = iter(range(1, 1000))

    def make(code: str | None = None, **fields):
        today = dt.date.today()
        data = EventData(
            code=code or f"TEST{next(counter):02d}",
            name=fields.pop("name", "Test event"),
            starts_on=fields.pop("starts_on", today),
            ends_on=fields.pop("ends_on", today + dt.timedelta(days=1)),
            **fields,
        )
        return create_event(data)

    return make


@pytest.fixture
def make_poll():
    """Factory for polls (draft unless opened by the test)."""

    def make(event, title="Which option?", options=("Red", "Green", "Blue"), **fields):
        return create_poll(event, PollData(title=title, options=list(options), **fields))

    return make


@pytest.fixture
def make_user(app):
    """Factory for staff accounts, optionally given access to events."""
    counter = iter(range(1, 1000))

    def make(role="moderator", events=(), email=None):
        user = create_user(email or f"staff{next(counter)}@example.org", PASSWORD, role)
        for event in events:
            grant_access(event, user)
        return user

    return make


@pytest.fixture
def login(page_token):
    """Sign a client in as a staff account."""

    def sign_in(client, user):
        token = page_token(client, "/login")
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def socket_for(app, page_token):
    """Open a Socket.IO test client sharing an HTTP client's session, like a real page."""
    opened = []

    def connect(client, page: str, *, csrf: str | None = None):
        token = page_token(client, page) if csrf is None else csrf
        fresh_g()
        sock = socketio.test_client(app, flask_test_client=client, auth={"csrf_token": token})
        emit = sock.emit

        def isolated_emit(*args, **kwargs):
            fresh_g()
            return emit(*args, **kwargs)

        sock.emit = isolated_emit
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def events_named(sock, name: str) -> list[dict]:
    """Return the payloads of the server events of one name a socket received."""
    return [msg["args"][0] for msg in sock.get_received() if msg["name"] == name]


@pytest.fixture
def make_registration(app):
    """Factory for registrations stored directly (no mail), returning (registration, link token)."""
    from voting.models import Participant, Registration, RegistrationStatus
    from voting.registration.tickets import new_link_token, new_ticket_code

    counter = iter(range(1, 100000))

    def make(event, status=RegistrationStatus.confirmed, **fields):
        number = next(counter)
        token, hashed = new_link_token()
        email = fields.pop("email", f"attendee{number}@example.org")
        registration = Registration(
            event_id=event.id,
            first_name=fields.pop("first_name", "Ada"),
            last_name=fields.pop("last_name", f"Attendee{number}"),
            email=email,
            email_key=email.casefold(),
            organisation=fields.pop("organisation", "Cluster Org"),
            country=fields.pop("country", "BE"),
            status=status,
            ticket_code=new_ticket_code(),
            link_hash=hashed,
            **fields,
        )
        db.session.add(registration)
        db.session.flush()
        db.session.add(
            Participant(
                event_id=event.id,
                public_id=f"att-{number}-{token[:12]}",
                registration_id=registration.id,
            )
        )
        db.session.commit()
        return registration, token

    return make


class MailCatcher:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        """Store the parsed message."""
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list:
        """Return the messages sent to one address."""
        return [m for m in self.messages if m["To"] == address]


def start_smtp():
    """Start a local SMTP server (aiosmtpd); return (catcher, port, controller)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    return catcher, port, controller


@pytest.fixture
def smtp(app):
    """A real local SMTP server the app sends to; yields the catcher with the received mails."""
    catcher, port, controller = start_smtp()
    app.config["MAIL_SERVER"] = "127.0.0.1"
    app.config["MAIL_PORT"] = port
    yield catcher
    controller.stop()
    app.config.pop("MAIL_SERVER", None)


def mail_text(message) -> str:
    """Return the plain-text body of a received mail."""
    return message.get_body(preferencelist=("plain",)).get_content()


def personal_link_in(message) -> str:
    """Return the path of the personal link in a received mail."""
    match = re.search(r"https?://[^/\s]+(/e/\w+/r/[\w-]+)", mail_text(message))
    assert match, mail_text(message)
    return match.group(1)


@pytest.fixture
def make_conference(make_event):
    """Factory for a two-day event with a partnership and a required custom question."""
    from voting.models import EventDay, Partnership, Question

    def make(code: str, name: str = "Partnering Day", contact_email: str = ""):
        event = make_event(code, name=name)
        event.contact_email = contact_email
        today = dt.date.today()
        event.days = [
            EventDay(date=today, title="Project meetings"),
            EventDay(date=today + dt.timedelta(days=1), title="Partnering day"),
        ]
        event.partnerships = [Partnership(name="Go Green Alliance")]
        event.questions = [
            Question(label="Lunch", kind="choice", choices=["Meat", "Vegetarian"], required=True)
        ]
        db.session.commit()
        return event

    return make


@pytest.fixture
def fuzz_world(app, monkeypatch, make_event, make_user, login, make_poll, make_registration):
    """The hostile-input fuzz's world (tests/fuzz_helpers.py), shared by the form and the
    socket fuzz: the matrix's world with objects of the other event; returns (world, their ids)."""
    from tests.fuzz_helpers import build_fuzz_world  # Hypothesis only where the fuzz runs

    return build_fuzz_world(
        app, monkeypatch, make_event, make_user, login, make_poll, make_registration
    )


@pytest.fixture
def held_back_pushes(monkeypatch):
    """Hold back votes' coalesced tally pushes, so that a test pushes by hand.

    With a TALLY_INTERVAL the first push of a poll runs at once in a background thread,
    racing the test's next line.
    """
    from voting import realtime

    monkeypatch.setattr(realtime, "coalesce", lambda key, callback: None)
