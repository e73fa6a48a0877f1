"""Hostile payloads on every Socket.IO event the server handles (issue 7).

Hypothesis takes each event's valid payload (sent after the joins it needs, by a browser
that may send it) and spoils it: any JSON value (and bytes, which Socket.IO carries) in
real fields, lone surrogates, NUL, right-to-left marks, emoji, huge strings, numbers of
every size, ids of the other event's objects, fields left out or added, a payload of
another type, no payload at all or two of them. The connection's own `auth` payload is
fuzzed too. Every answer must be an ack {ok: true, ...} or {ok: false, error, message}
with an error code docs/realtime.md documents; never an exception, and a refusal leaves
the database as it was (a hash of every row of every table). An event handler added to
the server without a line here fails test_every_socket_event_is_fuzzed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.authorisation_helpers import (
    ATTENDEE,
    CHECKIN,
    CODE,
    MODERATOR,
    OTHER_CODE,
    PARTICIPANT,
    Who,
    World,
    database_fingerprint,
)
from tests.fuzz_helpers import (
    FUZZ_SETTINGS,
    documented_socket_errors,
    id_like,
    json_value,
    junk_text,
    record_examples,
    repair,
    run_fuzz,
)
from voting.extensions import socketio

E = f"/e/{CODE}"
# Retryable refusals any event may answer (busy vote queue, locked database, rate limit).
RETRYABLE = {"busy", "unavailable", "rate_limited"}
# server_error is documented, but it means a handler crashed: the fuzz must not accept it.
KNOWN_ERRORS = (documented_socket_errors() - {"server_error"}) | RETRYABLE
# Handlers deliberately not fuzzed, with the reason.
NOT_FUZZED = {
    "disconnect": "takes no payload: python-socketio calls it with the reason it saw",
    "connect": "its auth payload is fuzzed by test_any_connect_auth_connects_only_with_the_token",
}
KINDS = ("single", "multiple", "points", "ranking", "rating", "text")


def _join(name: str, roles: tuple[str, ...]) -> Callable:
    def steps(w: World, who: Who, data) -> tuple[list, dict]:
        role = data.draw(st.sampled_from(roles), label="role") if data else roles[0]
        return [], {"event": CODE, "role": role}

    return steps


def _join_event(w: World, who: Who, data) -> tuple[list, dict]:
    return [], {"event": CODE}


def _cast_vote(w: World, who: Who, data) -> tuple[list, dict]:
    kind = data.draw(st.sampled_from(KINDS), label="poll kind") if data else KINDS[0]
    options = [] if kind in ("rating", "text") else ["Red", "Green", "Blue"]
    poll = w.open_poll(kind=kind, options=options)
    ids = [option.id for option in poll.options]
    payload: dict = {"poll_id": poll.id, "vote_id": f"socket-vote-{w.n()}", "sent_at": 1.5e12}
    if kind == "points":
        payload["points"] = {str(ids[0]): 70, str(ids[1]): 30}
    elif kind == "ranking":
        payload["ranking"] = ids
    elif kind == "rating":
        payload["rating"] = 2
    elif kind == "text":
        payload["text"] = "An answer"
    else:
        payload["choices"] = ids[:1]
    return [("join", {"event": CODE})], payload


def _upvote_idea(w: World, who: Who, data) -> tuple[list, dict]:
    return [("join_ideas", {"event": CODE})], {"idea_id": w.idea().id, "up": True}


def _propose_idea(w: World, who: Who, data) -> tuple[list, dict]:
    return [("join_ideas", {"event": CODE})], {"text": f"Socket idea {w.n()}"}


def _upvote_question(w: World, who: Who, data) -> tuple[list, dict]:
    return [("join_qna", {"event": CODE})], {"question_id": w.question().id, "up": False}


def _ask_question(w: World, who: Who, data) -> tuple[list, dict]:
    payload = {"text": f"Socket question {w.n()}?", "name": "Ada", "show_name": True}
    return [("join_qna", {"event": CODE})], payload


@dataclass(frozen=True)
class SocketTarget:
    """One event: who sends it, the joins and valid payload, and its real field names."""

    role: str
    steps: Callable[[World, Who, object], tuple[list, dict]]
    fields: tuple[str, ...]


BOARD_ROLES = ("participant", "display", "moderator")
# A moderator whose browser opened the event page is a phone too: every role of a join.
TARGETS: dict[str, SocketTarget] = {
    "join": SocketTarget(
        MODERATOR, _join("join", ("participant", "display", "console")), ("event", "role")
    ),
    "join_ideas": SocketTarget(MODERATOR, _join("join_ideas", BOARD_ROLES), ("event", "role")),
    "join_qna": SocketTarget(MODERATOR, _join("join_qna", BOARD_ROLES), ("event", "role")),
    "join_checkin": SocketTarget(CHECKIN, _join_event, ("event",)),
    "join_breakouts": SocketTarget(ATTENDEE, _join_event, ("event",)),
    "cast_vote": SocketTarget(
        PARTICIPANT,
        _cast_vote,
        ("poll_id", "vote_id", "sent_at", "choices", "points", "ranking", "rating", "text"),
    ),
    "upvote_idea": SocketTarget(PARTICIPANT, _upvote_idea, ("idea_id", "up")),
    "propose_idea": SocketTarget(PARTICIPANT, _propose_idea, ("text",)),
    "upvote_question": SocketTarget(PARTICIPANT, _upvote_question, ("question_id", "up")),
    "ask_question": SocketTarget(PARTICIPANT, _ask_question, ("text", "name", "show_name")),
}


def test_every_socket_event_is_fuzzed(app):
    """Is every handler on the Socket.IO server in the fuzz table (or excused)?"""
    handlers = set(socketio.server.handlers["/"])
    assert sorted(handlers - set(TARGETS) - set(NOT_FUZZED)) == [], "add these events"
    assert sorted((set(TARGETS) | set(NOT_FUZZED)) - handlers) == [], "these name no handler"
    assert len(handlers) > 10, "the handlers were not read"


# --- the payloads --------------------------------------------------------------------------------


def field_junk(name: str, ids: list[int]) -> st.SearchStrategy:
    """A wrong value for one field: any JSON value, or one close to what the field takes."""
    close = {
        "event": st.sampled_from([OTHER_CODE, CODE.lower(), f" {CODE}", CODE * 10, "NOPE"]),
        "role": st.sampled_from(["console", "moderator", "display", "participant", "admin"]),
        "choices": st.lists(id_like(ids), max_size=4),
        "ranking": st.lists(id_like(ids), max_size=4),
        "points": st.dictionaries(id_like(ids).map(str), st.integers(-(2**70), 2**70)),
        "up": st.sampled_from(["true", 1, 0, "0", None]),
        "show_name": st.sampled_from(["true", 1, 0, "0", None]),
    }
    near = close.get(name)
    if name.endswith("_id"):
        near = id_like(ids) | id_like(ids).map(str)
    return json_value(ids) if near is None else st.one_of(near, json_value(ids))


def spoiled_args(data, payload: dict, target: SocketTarget, ids: list[int]) -> tuple:
    """Return the event's arguments: the payload with junk, another value, none, or two."""
    shape = data.draw(
        st.sampled_from(["fields"] * 6 + ["any", "none", "two"]), label="payload shape"
    )
    if shape == "none":
        return ()
    if shape == "any":
        return (data.draw(json_value(ids), label="payload"),)
    spoiled = dict(payload)
    every = sorted(set(target.fields) | set(payload))
    if data.draw(st.sampled_from(["some"] * 4 + ["all"]), label="how much") == "all":
        chosen = every
    else:
        chosen = data.draw(st.lists(st.sampled_from(every), max_size=3, unique=True))
    for name in chosen:
        if data.draw(st.sampled_from(["junk", "junk", "drop"]), label=name) == "drop":
            spoiled.pop(name, None)
        else:
            spoiled[name] = data.draw(field_junk(name, ids), label=name)
    extras = data.draw(
        st.dictionaries(junk_text(surrogates=True), json_value(ids), max_size=2), label="extras"
    )
    spoiled |= {key: value for key, value in extras.items() if key not in target.fields}
    if shape == "two":
        return (spoiled, data.draw(json_value(ids), label="second payload"))
    return (spoiled,)


# --- the verdict ---------------------------------------------------------------------------------


def ack_problems(ack) -> list[str]:
    """Return what is wrong with an ack: it must be {ok: true, ...} or a known refusal."""
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return [f"not an ack: {ack!r:.300}"]
    if ack["ok"]:
        return []
    if ack.get("error") not in KNOWN_ERRORS:
        return [f"error code not in docs/realtime.md: {ack!r:.300}"]
    if not isinstance(ack.get("message"), str) or not ack["message"].strip():
        return [f"refusal without a message: {ack!r:.300}"]
    return []


def check_one(world: World, ids: list[int], name: str, target: SocketTarget, socket_for, data):
    """Send one spoiled event after its joins; check the ack and the database.

    `data` draws the spoiled arguments; a tuple instead is sent as the arguments.
    """
    who = world.who(target.role)
    if target.role == MODERATOR:
        assert who.client.get(E).status_code == 200  # a phone too
    fixed = isinstance(data, tuple)
    joins, payload = target.steps(world, who, None if fixed else data)
    sock = socket_for(who.client, "/")
    try:
        for join, join_payload in joins:
            assert sock.emit(join, join_payload, callback=True)["ok"], join
        args = data if fixed else spoiled_args(data, payload, target, ids)
        before = database_fingerprint()
        ack = sock.emit(name, *args, callback=True)
        after = database_fingerprint()
    finally:
        sock.disconnect()
    shown = f"{name}{args!r:.300} answered {ack!r:.300}"
    problems = ack_problems(ack)
    assert not problems, f"{shown}: {problems}"
    if ack["ok"]:
        repair(world)
    else:
        assert before == after, f"{shown}: refused, but the database changed"


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_hostile_payload_gets_an_ack_or_a_known_refusal_changing_nothing(
    fuzz_world, socket_for, name
):
    """Does every spoiled payload get an ok ack, or a documented refusal that changed nothing?"""
    world, ids = fuzz_world
    target = TARGETS[name]
    run_fuzz(lambda data: check_one(world, ids, name, target, socket_for, data), "sockets", name)


ODD_ARGUMENTS = [(), (None,), (0,), ("join",), ([],), (True,), (b"\x00",), ({}, {}), ({}, 1, 2)]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_odd_arguments_and_lone_surrogates_get_an_ack_or_a_known_refusal(
    fuzz_world, socket_for, name
):
    """What the fuzz found, sent to every event (each failed before its fix).

    The handlers took exactly one argument: an event sent without a payload, or with two,
    raised TypeError in Flask-SocketIO (no ack; the server logged it). A lone surrogate
    ("\\ud83d", half an emoji, as a browser escapes it) in an event code or a text raised
    UnicodeEncodeError in the database driver; decoding replaces it with U+FFFD now.
    """
    world, ids = fuzz_world
    target = TARGETS[name]
    for args in ODD_ARGUMENTS:
        check_one(world, ids, name, target, socket_for, args)
    who = world.who(target.role)
    if target.role == MODERATOR:
        assert who.client.get(E).status_code == 200
    _joins, payload = target.steps(world, who, None)
    halves = {key: value[:3] + "\ud83d" for key, value in payload.items() if isinstance(value, str)}
    for spoiled in ({**payload, **halves}, {**payload, "\udc00": "\ud800"}, {"event": "\udfff"}):
        check_one(world, ids, name, target, socket_for, (spoiled,))


TOKEN = "<the page's CSRF token>"  # put in place of this text when the example runs
AUTH = st.one_of(
    json_value([], binary=False),
    st.fixed_dictionaries({"csrf_token": json_value([], binary=False)}),
    st.dictionaries(junk_text(), json_value([], binary=False), max_size=2).map(
        lambda extra: {**extra, "csrf_token": TOKEN}
    ),
)


def test_any_connect_auth_connects_only_with_the_token(app, fuzz_world, page_token):
    """Does any `auth` payload connect only with the page's CSRF token, and change nothing?"""
    world, _ids = fuzz_world
    runs = 0

    @FUZZ_SETTINGS
    @given(auth=AUTH)
    # Found by this test: validate_csrf raised TypeError on a number, UnicodeEncodeError
    # on a lone surrogate (the connection failed with an exception, not a refusal).
    @example(auth={"csrf_token": 5})
    @example(auth={"csrf_token": True})
    @example(auth={"csrf_token": 1.5})
    @example(auth={"csrf_token": "\ud800"})
    @example(auth=None)
    @example(auth={"csrf_token": TOKEN, "extra": [1]})
    def fuzz(auth):
        nonlocal runs
        runs += 1
        who = world.who(PARTICIPANT)
        token = page_token(who.client, "/")
        if isinstance(auth, dict) and auth.get("csrf_token") == TOKEN:
            auth = {**auth, "csrf_token": token}
        before = database_fingerprint()
        sock = socketio.test_client(app, flask_test_client=who.client, auth=auth)
        connected = sock.is_connected()
        if connected:
            sock.disconnect()
        assert database_fingerprint() == before
        valid = isinstance(auth, dict) and auth.get("csrf_token") == token
        assert connected == valid, f"auth {auth!r:.300}: connected {connected}"

    fuzz()
    record_examples("sockets", "connect", runs)
