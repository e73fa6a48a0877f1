"""Publishing live changes: rooms, coalesced pushes and presence.

Services call these functions only after their commit, so a client never hears of a
change that could still be rolled back. With REDIS_URL set, Flask-SocketIO relays every
emit through Redis, so all app processes reach their own clients.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable

from flask import current_app

from voting.extensions import socketio

_lock = threading.Lock()
_scheduled: set[str] = set()
_last_run: dict[str, float] = {}
_last_seq = 0
# event id -> socket ids of connected participants (this process only)
_participants: dict[int, set[str]] = defaultdict(set)
# poll id -> client send times of votes stored since the last tally push
_echo: dict[int, list[float]] = defaultdict(list)
MAX_ECHO = 10_000


def event_room(event_id: int) -> str:
    """Room of everyone who sees the public side of an event (phones and display)."""
    return f"event:{event_id}"


def display_room(event_id: int) -> str:
    """Room of the event's projector screens."""
    return f"display:{event_id}"


def console_room(event_id: int) -> str:
    """Room of the event's staff consoles, who see everything."""
    return f"console:{event_id}"


def next_seq() -> int:
    """Return a strictly increasing sequence number based on the clock.

    Time-based so that payloads computed by different processes on one host still order
    by when they were computed: a later tally has seen at least as many commits.
    """
    global _last_seq
    with _lock:
        _last_seq = max(_last_seq + 1, time.time_ns() // 1000)
        return _last_seq


def emit(event: str, payload: dict, room: str) -> None:
    """Send a server event to a room."""
    socketio.emit(event, payload, to=room)


def coalesce(key: str, callback: Callable[[], None]) -> None:
    """Run callback soon, at most once per TALLY_INTERVAL for the same key.

    Many calls while a run is pending collapse into that run; the callback must read
    the current state itself (it computes the full tally), so nothing is lost.
    """
    interval = float(current_app.config["TALLY_INTERVAL"])
    if interval <= 0:
        callback()
        return
    with _lock:
        if key in _scheduled:
            return
        _scheduled.add(key)
        delay = max(0.0, _last_run.get(key, 0.0) + interval - time.monotonic())
    app = current_app._get_current_object()
    socketio.start_background_task(_run_later, app, key, callback, delay)


def _run_later(app, key: str, callback: Callable[[], None], delay: float) -> None:
    """Wait, then run a coalesced callback in a fresh app context."""
    if delay:
        socketio.sleep(delay)
    with _lock:
        # Unmark before running: a change committed while the callback computes
        # schedules one more run, so the last change is always pushed.
        _scheduled.discard(key)
        _last_run[key] = time.monotonic()
    with app.app_context():
        try:
            callback()
        except Exception:  # a failed push must not kill the worker; next change retries
            app.logger.exception("coalesced push %s failed", key)


def add_echo(poll_id: int, sent_times: list[float]) -> None:
    """Remember send times of stored votes, to be echoed with the next tally push."""
    with _lock:
        buffer = _echo[poll_id]
        buffer.extend(sent_times[: max(0, MAX_ECHO - len(buffer))])


def take_echo(poll_id: int) -> list[float]:
    """Return and forget the send times gathered for a poll since the last push."""
    with _lock:
        return _echo.pop(poll_id, [])


def participant_connected(event_id: int, sid: str) -> int:
    """Count a participant socket as connected to an event; return the new count."""
    with _lock:
        _participants[event_id].add(sid)
        return len(_participants[event_id])


def participant_disconnected(sid: str) -> list[int]:
    """Forget a socket everywhere; return the events it was counted in."""
    left = []
    with _lock:
        for event_id, sids in _participants.items():
            if sid in sids:
                sids.discard(sid)
                left.append(event_id)
    return left


def connected_count(event_id: int) -> int:
    """Return how many participant sockets this process has for an event."""
    with _lock:
        return len(_participants.get(event_id, ()))


def reset_state() -> None:
    """Forget all in-process state (used between tests)."""
    global _last_seq
    with _lock:
        _scheduled.clear()
        _last_run.clear()
        _participants.clear()
        _echo.clear()
        _last_seq = 0
