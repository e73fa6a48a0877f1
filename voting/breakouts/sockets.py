"""Socket.IO handler of the attendee's session pages: live seats left and, for a signed-in
attendee, their own sessions (docs/realtime.md).

The connection itself (CSRF check on connect) is handled by voting.polls.sockets.
"""

from __future__ import annotations

from flask_socketio import join_room

from voting.breakouts import service
from voting.errors import InvalidInput, VotingError
from voting.events.service import find_event
from voting.extensions import db
from voting.registration.views import signed_in_attendee


def register(socketio) -> None:
    """Attach the handler to the app's Socket.IO server (called by the app factory)."""
    socketio.on_event("join_breakouts", join_breakouts)


def join_breakouts(payload=None, *_extra):
    """A sessions, ranking or personal page follows an event's breakouts; ack the current state.

    Everyone joins the public figures' room (`breakout_seats` after every committed seat
    change). An attendee signed in on this device by their personal link also joins a
    room of their own, chosen here from the session, and gets `my_breakouts` with their
    own seats whenever those change (a published or adjusted assignment, a promotion); the
    ack carries the same as `mine` (null for everyone else).
    """
    try:
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            raise InvalidInput("join_breakouts needs {event: CODE}.", "invalid_payload")
        event = find_event(payload["event"][:32])
        join_room(service.breakouts_room(event.id))
        attendee = signed_in_attendee(event)
        mine = None
        if attendee is not None:
            join_room(service.attendee_room(attendee.id))
            mine = service.my_sessions_payload(attendee)
        return {
            "ok": True,
            "event": {"code": event.code, "name": event.name},
            **service.seats_payload(event),
            "mine": mine,
        }
    except VotingError as error:
        return error.as_ack()
    finally:
        db.session.rollback()
