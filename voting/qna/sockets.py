"""Socket.IO handlers of the Q&A: thin adapters over voting.qna.service.

The connection itself (CSRF check on connect) is handled by voting.polls.sockets; the
wire contract is written down in docs/realtime.md ("Q&A").
"""

from __future__ import annotations

from flask import session
from flask_login import current_user
from flask_socketio import join_room

from voting.accounts.service import can_run_polls
from voting.boards import answer, check_participant, parse_join, socket_participant_key
from voting.errors import Forbidden, InvalidInput, NotAuthenticated
from voting.extensions import db
from voting.models import Event
from voting.qna import service

ROLES = ("participant", "display", "moderator")


def register(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server (called by the app factory)."""
    for name, handler in (
        ("join_qna", join_qna),
        ("ask_question", ask_question),
        ("upvote_question", upvote_question),
    ):
        socketio.on_event(name, handler)


def join_qna(payload):
    """Follow an event's Q&A: {event: CODE, role?}; ack the board (and queue, own questions)."""
    return answer(lambda: _join(*parse_join(payload, "join_qna", ROLES)))


def _join(event, role: str) -> dict:
    """Put the socket in the board room (and the staff room) and return the snapshot."""
    key = socket_participant_key(event) if role == "participant" else None
    if role == "participant":
        check_participant(event, key)
    if role == "moderator":
        if not can_run_polls(current_user, event):
            raise Forbidden("Only moderators of this event may moderate the Q&A.", "forbidden")
        join_room(service.staff_room(event.id))
    join_room(service.board_room(event.id))
    session["qna"] = {"event_id": event.id, "role": role, "participant": key}
    ack = {"ok": True, "event": {"code": event.code, "name": event.name}}
    ack |= service.board_snapshot(event.id)
    if role == "participant":
        ack["mine"] = service.mine(event.id, key)
        ack["asked"] = service.asked(event.id, key)
    if role == "moderator":
        ack["pending"] = service.queue(event.id)
    return ack


def _joined() -> tuple[int, str]:
    """Return the event id and participant key of a socket that joined the Q&A as a phone."""
    joined = session.get("qna")
    if not joined or joined.get("role") != "participant":
        raise NotAuthenticated("Join the Q&A as a participant first.", "not_joined")
    return joined["event_id"], joined["participant"]


def ask_question(payload):
    """Ask: {text, name?, show_name?}; ack {ok, question: {id, text, status}} once stored."""

    def act() -> dict:
        event_id, key = _joined()
        if not isinstance(payload, dict):
            raise InvalidInput("ask_question needs {text}.", "invalid_payload")
        event = db.session.get(Event, event_id)
        question = service.ask(
            event, key, payload.get("text"), payload.get("name"), payload.get("show_name", False)
        )
        return {
            "ok": True,
            "question": {"id": question.id, "text": question.text, "status": str(question.status)},
        }

    return answer(act)


def upvote_question(payload):
    """Upvote or withdraw: {question_id, up?: true}; ack {ok, question_id, votes, mine}."""

    def act() -> dict:
        event_id, key = _joined()
        if not isinstance(payload, dict):
            raise InvalidInput("upvote_question needs {question_id, up}.", "invalid_payload")
        result = service.upvote(event_id, key, payload.get("question_id"), payload.get("up", True))
        return {
            "ok": True,
            "question_id": result.question_id,
            "votes": result.votes,
            "mine": result.mine,
        }

    return answer(act)
