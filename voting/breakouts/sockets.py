"""Socket.IO handler of the sessions page: live seats left (docs/realtime.md).

The connection itself (CSRF check on connect) is handled by voting.polls.sockets.
"""

from __future__ import annotations

from flask_socketio import join_room

from voting.breakouts import service
from voting.errors import InvalidInput, VotingError
from voting.events.service import find_event
from voting.extensions import db


def register(socketio) -> None:
    """Attach the handler to the app's Socket.IO server (called by the app factory)."""
    socketio.on_event("join_breakouts", join_breakouts)


def join_breakouts(payload):
    """A sessions page follows an event's seat figures; ack the current ones.

    Public like the page: the figures hold no personal data. The socket then receives
    `breakout_seats` after every committed seat change of the event.
    """
    try:
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            raise InvalidInput("join_breakouts needs {event: CODE}.", "invalid_payload")
        event = find_event(payload["event"][:32])
        join_room(service.breakouts_room(event.id))
        return {
            "ok": True,
            "event": {"code": event.code, "name": event.name},
            **service.seats_payload(event),
        }
    except VotingError as error:
        return error.as_ack()
    finally:
        db.session.rollback()
