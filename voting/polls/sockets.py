"""Socket.IO handlers for live polls: thin adapters over voting.polls.service.

The wire contract is written down in docs/realtime.md.
"""

from __future__ import annotations

from flask import request, session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from flask_wtf.csrf import ValidationError, validate_csrf

from voting import realtime
from voting.accounts.service import can_run_polls
from voting.database import end_read
from voting.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    VotingError,
    unexpected_error_ack,
)
from voting.events.service import lookup_event
from voting.extensions import db
from voting.models import Event
from voting.polls import eligibility, service
from voting.web import log_refusal

ROLES = ("participant", "display", "console")


def register(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server (called by the app factory).

    Registered per app rather than by decorators at import time, because each
    init_app creates a new server and decorators would bind only the first one.
    """
    for name, handler in (
        ("connect", connect),
        ("disconnect", disconnect),
        ("join", join),
    ):
        socketio.on_event(name, handler)
    _register_hot_path(socketio.server, "cast_vote", cast_vote)


def _register_hot_path(server, name: str, handler) -> None:
    """Register a frequent event on python-socketio directly, under an app context only.

    Flask-SocketIO wraps every event in a full request context (environ parsing, URL
    match, session swap); profiled under a vote burst that wrapper was half of the
    handler's time. A vote needs only the app (database, settings) and the socket's
    saved session, so this path gives it exactly those and keeps `session` working.
    """

    def on_event(sid, *args):
        environ = server.get_environ(sid)
        saved = environ.get("saved_session") if environ else None
        if saved is None:  # no connect handler ran for this socket
            return NotAuthenticated("Connect first.", "not_joined").as_ack()
        with environ["flask.app"].app_context():
            try:
                return handler(args[0] if args else None, saved)
            except Exception as error:  # noqa: BLE001 - answered; Flask-SocketIO's does the same
                return unexpected_error_ack(error)

    server.on(name, on_event)


def connect(auth):
    """Any page connects with its session cookie and the page's CSRF token; refuse others."""
    token = auth.get("csrf_token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token.isascii():
        token = None  # validate_csrf raises TypeError on a number, UnicodeError on a surrogate
    try:
        validate_csrf(token)
    except ValidationError:
        raise ConnectionRefusedError({"error": "csrf", "message": "Reload the page."}) from None
    session["joined"] = None


def disconnect(reason=None):
    """Forget the socket's presence and tell the consoles the new count."""
    for event_id in realtime.participant_disconnected(request.sid):
        _push_presence(event_id)


def join(payload=None, *_extra):
    """Client asks to follow an event; the server picks the rooms and returns a snapshot.

    Like every event handler, it takes a missing payload (refused as invalid_payload)
    and ignores arguments after the first: a client may send either.
    """
    try:
        event, role = _parse_join(payload)
        return _join(event, role)
    except VotingError as error:
        return error.as_ack()
    finally:
        # A server's per-event teardown does this too; here for a context that several
        # events share (the tests' one), which that teardown does not end per event.
        end_read()


def _parse_join(payload) -> tuple:
    """Validate a join payload: {event: CODE, role?: participant|display|console}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
        raise InvalidInput("join needs {event: CODE}.", "invalid_payload")
    role = payload.get("role", "participant")
    if role not in ROLES:
        raise InvalidInput("role must be participant, display or console.", "invalid_payload")
    return lookup_event(payload["event"][:32]), role


def _join(event, role: str) -> dict:
    """Put the socket in the rooms its role allows and return what it may see."""
    if role == "console":
        if not can_run_polls(current_user, event):
            log_refusal("join console", event.code, current_user)
            raise Forbidden("Only moderators of this event may open the console.", "forbidden")
        join_room(realtime.console_room(event.id))
        session["joined"] = {"event_id": event.id, "role": role}
        return service.snapshot(db.session.get(Event, event.id), staff=True)
    key = None
    if role == "participant":
        key = _participant_key(event)
        if not event.allow_anonymous and not _is_attendee(key, event.id):
            raise Forbidden(
                "This event asks participants to register first.", "registration_required"
            )
        if key is None:
            raise NotAuthenticated("Open the event page first, then connect.", "no_session")
    # Hand the pool its connection back: the snapshot below may wait for another join's
    # build, and that build must not find every connection held by joins waiting for it.
    end_read()
    join_room(realtime.event_room(event.id))
    if role == "display":
        join_room(realtime.display_room(event.id))
    else:
        realtime.participant_connected(event.id, request.sid)
        _push_presence(event.id)
    session["joined"] = {"event_id": event.id, "role": role, "participant": key}
    return service.public_snapshot(event.id, participant_key=key)


def cast_vote(payload, saved_session):
    """Participant votes: {poll_id, choices, vote_id}; ack {ok, receipt} after the commit."""
    try:
        event, key = _voter(saved_session)
        if not isinstance(payload, dict):
            raise InvalidInput("cast_vote needs {poll_id, choices, vote_id}.", "invalid_payload")
        result = service.cast_vote(
            event,
            payload.get("poll_id"),
            key,
            {form: payload.get(form) for form in service.BALLOT_FORMS},
            payload.get("vote_id"),
            payload.get("sent_at"),
        )
    except VotingError as error:
        return error.as_ack()
    finally:
        # A server's per-event teardown does this too; here for a context that several
        # events share (the tests' one), which that teardown does not end per event.
        end_read()
    return {
        "ok": True,
        "receipt": result.receipt,
        "poll_id": result.poll_id,
        "choices": result.choices,
        "ballot": result.ballot,
        "duplicate": result.duplicate,
    }


def _voter(saved_session) -> tuple[int, str]:
    """Return the event id and participant key of a socket that joined as a participant."""
    joined = saved_session.get("joined")
    if not joined or joined.get("role") != "participant":
        raise NotAuthenticated("Join the event as a participant first.", "not_joined")
    return joined["event_id"], joined["participant"]


def _participant_key(event) -> str | None:
    """Return the participant id the HTTP page put in the session for this event."""
    return (session.get("participants") or {}).get(str(event.id))


def _is_attendee(key: str | None, event_id: int) -> bool:
    """Say whether the key is a registered attendee's (events closed to anonymous phones)."""
    voter = eligibility.voter(key)
    return voter.registered and voter.event_id == event_id


def _push_presence(event_id: int) -> None:
    """Tell the event's consoles how many participants are connected (coalesced)."""

    def push() -> None:
        realtime.emit(
            "presence",
            {"connected": realtime.connected_count(event_id)},
            realtime.console_room(event_id),
        )

    realtime.coalesce(f"presence:{event_id}", push)
