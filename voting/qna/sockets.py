"""Socket.IO handlers of the Q&A: thin adapters over voting.qna.service.

The connection itself (CSRF check on connect) is handled by voting.polls.sockets; the
wire contract is written down in docs/realtime.md ("Q&A"). Joining and upvoting are
built by voting.boards from the description below, as for the ideas board.
"""

from __future__ import annotations

from voting.boards import BoardSockets, answer
from voting.extensions import db
from voting.models import Event
from voting.qna import service


def _phone_extras(event_id: int, key: str) -> dict:
    """Return what a phone's join ack adds: its upvotes and its own questions."""
    return {"mine": service.mine(event_id, key), "asked": service.asked(event_id, key)}


BOARD = BoardSockets(
    name="qna",
    channel=service.CHANNEL,
    forbidden="Only moderators of this event may moderate the Q&A.",
    not_joined="Join the Q&A as a participant first.",
    extras=_phone_extras,
    upvote=service.upvote,
    upvote_event="upvote_question",
    id_field="question_id",
)


def register(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server (called by the app factory)."""
    for name, handler in {**BOARD.handlers(), "ask_question": ask_question}.items():
        socketio.on_event(name, handler)


def ask_question(payload=None, *_extra):
    """Ask: {text, name?, show_name?}; ack {ok, question: {id, text, status}} once stored."""

    def act() -> dict:
        event_id, key = BOARD.phone(payload, "ask_question needs {text}.")
        event = db.session.get(Event, event_id)
        question = service.ask(
            event, key, payload.get("text"), payload.get("name"), payload.get("show_name", False)
        )
        return {
            "ok": True,
            "question": {"id": question.id, "text": question.text, "status": str(question.status)},
        }

    return answer(act)
