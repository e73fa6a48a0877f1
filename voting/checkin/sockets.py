"""Socket.IO handlers of the check-in screens: thin adapters over voting.checkin.service.

The connection itself (CSRF check on connect) is handled by voting.polls.sockets; the
wire contract is written down in docs/realtime.md.
"""

from __future__ import annotations

from flask_login import current_user
from flask_socketio import join_room

from voting.accounts.service import can_handle_attendees
from voting.checkin import service
from voting.errors import Forbidden, InvalidInput, VotingError
from voting.events.service import lookup_event
from voting.extensions import db
from voting.web import log_refusal


def register(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server (called by the app factory)."""
    socketio.on_event("join_checkin", join_checkin)


def join_checkin(payload=None, *_extra):
    """A staff screen asks to follow the check-in counts of an event; ack the current ones.

    Sent by the check-in page; the socket then receives `checkin_counts` after every
    check-in or undo of the event.
    """
    try:
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            raise InvalidInput("join_checkin needs {event: CODE}.", "invalid_payload")
        event = lookup_event(payload["event"][:32])
        if not can_handle_attendees(current_user, event):
            log_refusal("join_checkin", event.code, current_user)
            raise Forbidden("Only staff of this event may follow check-in.", "forbidden")
        join_room(service.checkin_room(event.id))
        return {
            "ok": True,
            "event": {"code": event.code, "name": event.name},
            **service.counts_payload(event.id),
        }
    except VotingError as error:
        return error.as_ack()
    finally:
        db.session.rollback()
