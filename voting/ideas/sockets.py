"""Socket.IO handlers of the ideas board: thin adapters over voting.ideas.service.

The connection itself (CSRF check on connect) is handled by voting.polls.sockets; the
wire contract is written down in docs/realtime.md ("Ideas board"). Joining and upvoting
are built by voting.boards from the description below, as for the Q&A.
"""

from __future__ import annotations

from voting.boards import BoardSockets, answer
from voting.extensions import db
from voting.ideas import service
from voting.models import Event

BOARD = BoardSockets(
    name="ideas",
    channel=service.CHANNEL,
    forbidden="Only moderators of this event may moderate ideas.",
    not_joined="Join the ideas board as a participant first.",
    extras=lambda event_id, key: {"mine": service.mine(event_id, key)},
    upvote=service.upvote,
    upvote_event="upvote_idea",
    id_field="idea_id",
)


def register(socketio) -> None:
    """Attach the handlers to the app's Socket.IO server (called by the app factory)."""
    for name, handler in {**BOARD.handlers(), "propose_idea": propose_idea}.items():
        socketio.on_event(name, handler)


def propose_idea(payload=None, *_extra):
    """Propose a theme: {text}; ack {ok, idea: {id, text, status}} once stored (pending)."""

    def act() -> dict:
        event_id, key = BOARD.phone(payload, "propose_idea needs {text}.")
        event = db.session.get(Event, event_id)
        idea = service.propose(event, key, payload.get("text"))
        return {"ok": True, "idea": {"id": idea.id, "text": idea.text, "status": "pending"}}

    return answer(act)
