"""Helpers the ideas board's and the Q&A's tests share: the boards are built alike, so
their tests open phones, moderators and sockets alike."""

from __future__ import annotations

import pytest

from voting.errors import VotingError


def refused(code: str, action, *args, **kwargs) -> VotingError:
    """Call a service function and check it refuses with this error code."""
    with pytest.raises(VotingError) as caught:
        action(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def phone_page(app, page_token, url: str):
    """Open a board's phone page in a fresh client; return the client and its CSRF token."""
    client = app.test_client()
    return client, page_token(client, url)


def staff_page(app, make_user, login, page_token, event, url: str):
    """Sign a moderator of the event in and open a page; return the client and its token."""
    client = app.test_client()
    login(client, make_user("moderator", events=[event]))
    return client, page_token(client, url)


def join_board(socket_for, client, page: str, join_event: str, payload: dict):
    """Connect a socket from a page and join a board; return the socket and its ok ack."""
    sock = socket_for(client, page)
    ack = sock.emit(join_event, payload, callback=True)
    assert ack["ok"], ack
    return sock, ack


def check_join_refusals(app, socket_for, make_user, login, sock, board: str, event, other):
    """Check what every board's join refuses: bad payloads, unknown events, non-moderators."""
    join = f"join_{board}"
    for payload in (None, event.code, {}, {"event": 5}, {"event": event.code, "role": "king"}, [1]):
        assert sock.emit(join, payload, callback=True)["error"] == "invalid_payload"
    assert sock.emit(join, {"event": "NOPE99"}, callback=True)["error"] == "unknown_event"
    as_moderator = {"event": event.code, "role": "moderator"}
    assert sock.emit(join, as_moderator, callback=True)["error"] == "forbidden"
    staff = app.test_client()
    login(staff, make_user("moderator", events=[other]))
    staff_sock = socket_for(staff, f"/manage/{other.code}/{board}")
    assert staff_sock.emit(join, as_moderator, callback=True)["error"] == "forbidden"
