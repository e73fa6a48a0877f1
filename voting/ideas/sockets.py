"""Socket.IO handlers of the ideas board: thin adapters over voting.ideas.service.

The connection itself (CSRF check on connect) is handled by voting.polls.sockets; the
wire contract is written down in docs/realtime.md ("Ideas board").
"""

from __future__ import annotations

from flask import session
from flask_login import current_user
from flask_socketio import join_room

from voting.accounts.service import can_run_polls
from voting.boards import answer, check_participant, parse_join, socket_participant_key
from voting.errors import Forbidden, InvalidInput, NotAuthenticated
from voting.extensions import db
from voting.ideas import service
from voting.models import Event

ROLES = ("participant", "display", "moderator")


def register(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server (called by the app factory)."""
    for name, handler in (
        ("join_ideas", join_ideas),
        ("propose_idea", propose_idea),
        ("upvote_idea", upvote_idea),
    ):
        socketio.on_event(name, handler)


def join_ideas(payload):
    """Follow an event's board: {event: CODE, role?}; ack the board (and queue, own votes)."""
    return answer(lambda: _join(*parse_join(payload, "join_ideas", ROLES)))


def _join(event, role: str) -> dict:
    """Put the socket in the board room (and the staff room) and return the snapshot."""
    key = socket_participant_key(event) if role == "participant" else None
    if role == "participant":
        check_participant(event, key)
    if role == "moderator":
        if not can_run_polls(current_user, event):
            raise Forbidden("Only moderators of this event may moderate ideas.", "forbidden")
        join_room(service.staff_room(event.id))
    join_room(service.board_room(event.id))
    session["ideas"] = {"event_id": event.id, "role": role, "participant": key}
    ack = {"ok": True, "event": {"code": event.code, "name": event.name}}
    ack |= service.board_snapshot(event.id)
    if role == "participant":
        ack["mine"] = service.mine(event.id, key)
    if role == "moderator":
        ack["pending"] = service.queue(event.id)
    return ack


def _joined() -> tuple[int, str]:
    """Return the event id and participant key of a socket that joined the board as a phone."""
    joined = session.get("ideas")
    if not joined or joined.get("role") != "participant":
        raise NotAuthenticated("Join the ideas board as a participant first.", "not_joined")
    return joined["event_id"], joined["participant"]


def propose_idea(payload):
    """Propose a theme: {text}; ack {ok, idea: {id, text, status}} once stored (pending)."""

    def act() -> dict:
        event_id, key = _joined()
        if not isinstance(payload, dict):
            raise InvalidInput("propose_idea needs {text}.", "invalid_payload")
        event = db.session.get(Event, event_id)
        idea = service.propose(event, key, payload.get("text"))
        return {"ok": True, "idea": {"id": idea.id, "text": idea.text, "status": "pending"}}

    return answer(act)


def upvote_idea(payload):
    """Upvote or withdraw: {idea_id, up?: true}; ack {ok, idea_id, votes, mine}."""

    def act() -> dict:
        event_id, key = _joined()
        if not isinstance(payload, dict):
            raise InvalidInput("upvote_idea needs {idea_id, up}.", "invalid_payload")
        result = service.upvote(event_id, key, payload.get("idea_id"), payload.get("up", True))
        return {"ok": True, "idea_id": result.idea_id, "votes": result.votes, "mine": result.mine}

    return answer(act)
