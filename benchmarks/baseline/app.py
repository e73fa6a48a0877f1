"""Baseline for the benchmark: the least a live-vote server must do, over Plenum's contract.

A page that sets the session cookie and carries a CSRF token, a socket connect that
checks it, `join`, and `cast_vote` that stores one ballot row (committed before the
ack) with a coalesced tally push to displays. No rules, no roles, no ORM. Run:
    python -m gevent.monkey benchmarks/baseline/app.py PORT DBFILE
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import sys
import threading
import time

from flask import Flask, session
from flask_socketio import ConnectionRefusedError, SocketIO, join_room

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", secrets.token_hex(16))
# The same ping timeout as Plenum, so a busy server drops neither's phones.
socketio = SocketIO(app, async_mode="gevent", ping_interval=25, ping_timeout=60)
DB = sys.argv[2] if len(sys.argv) > 2 else "baseline.sqlite3"
OPTIONS = [1, 2, 3]
state = {"dirty": False, "echo": [], "seq": 0}
lock = threading.Lock()


def connect_db() -> sqlite3.Connection:
    """Open the ballot store in WAL mode, like Plenum's embedded default."""
    con = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE IF NOT EXISTS ballots (participant TEXT, poll INTEGER, option INTEGER,"
        " vote_id TEXT UNIQUE, PRIMARY KEY (participant, poll))"
    )
    return con


con = connect_db()


@app.get("/e/<code>")
def page(code):
    """Give the browser a session and a CSRF token."""
    session.setdefault("pid", secrets.token_urlsafe(12))
    session.setdefault("csrf", secrets.token_urlsafe(16))
    return f'<meta name="csrf-token" content="{session["csrf"]}"><p>{code}</p>'


@socketio.on("connect")
def connect(auth):
    """Check the CSRF token."""
    if not isinstance(auth, dict) or auth.get("csrf_token") != session.get("csrf"):
        raise ConnectionRefusedError("csrf")


@socketio.on("join")
def join(payload):
    """Join the display room or the event room."""
    join_room("display" if payload.get("role") == "display" else "event")
    return {"ok": True, "polls": [], "results": {}}


@socketio.on("cast_vote")
def cast_vote(payload):
    """Store the ballot, commit, then ack."""
    try:
        con.execute(
            "INSERT OR REPLACE INTO ballots VALUES (?, ?, ?, ?)",
            (
                session["pid"],
                int(payload["poll_id"]),
                int(payload["choices"][0]),
                payload["vote_id"],
            ),
        )
    except sqlite3.IntegrityError:
        return {"ok": True, "receipt": "dup"}
    with lock:
        state["dirty"] = True
        if payload.get("sent_at") is not None:
            state["echo"].append(payload["sent_at"])
    return {"ok": True, "receipt": payload["vote_id"][:8]}


def pusher():
    """Push the tally to displays at most every 100 ms while votes arrive."""
    while True:
        socketio.sleep(0.1)
        with lock:
            if not state["dirty"]:
                continue
            state["dirty"] = False
            echo, state["echo"] = state["echo"], []
        rows = con.execute("SELECT option, count(*) FROM ballots GROUP BY option").fetchall()
        counts = dict(rows)
        state["seq"] += 1
        socketio.emit(
            "results",
            {
                "poll_id": 1,
                "seq": state["seq"],
                "total": sum(counts.values()),
                "options": [{"id": o, "count": counts.get(o, 0)} for o in OPTIONS],
                "echo": echo,
                "at": time.time(),
            },
            to="display",
        )


if __name__ == "__main__":
    socketio.start_background_task(pusher)
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
