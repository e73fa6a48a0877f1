"""Socket.IO handlers through Flask-SocketIO's test client, following docs/realtime.md."""

from __future__ import annotations

import pytest

from tests.conftest import events_named
from voting.polls import service


@pytest.fixture
def event(make_event):
    return make_event("LIVE01")


@pytest.fixture
def poll(event, make_poll):
    poll = make_poll(event)
    service.open_poll(poll)
    return poll


def participant(app, socket_for, code="LIVE01"):
    """A phone: HTTP client that loaded the page, plus its joined socket."""
    client = app.test_client()
    sock = socket_for(client, f"/e/{code}")
    ack = sock.emit("join", {"event": code}, callback=True)
    assert ack["ok"], ack
    return sock, ack


def test_connect_without_csrf_token_is_refused(app, socket_for, event):
    client = app.test_client()
    sock = socket_for(client, "/e/LIVE01", csrf="not-a-token")
    assert not sock.is_connected()


def test_join_returns_snapshot_with_open_poll(app, socket_for, poll):
    _, ack = participant(app, socket_for)
    assert ack["event"]["code"] == "LIVE01"
    assert [p["id"] for p in ack["polls"]] == [poll.id]
    assert ack["display_poll_id"] == poll.id
    assert ack["results"][str(poll.id)]["total"] == 0


@pytest.mark.parametrize(
    "payload", [None, "LIVE01", {}, {"event": 5}, {"event": "LIVE01", "role": "king"}]
)
def test_bad_join_payload_gets_error_ack(app, socket_for, event, payload):
    sock = socket_for(app.test_client(), "/e/LIVE01")
    ack = sock.emit("join", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "invalid_payload"


def test_join_unknown_event(app, socket_for, event):
    sock = socket_for(app.test_client(), "/e/LIVE01")
    ack = sock.emit("join", {"event": "NOPE99"}, callback=True)
    assert ack == {"ok": False, "error": "unknown_event", "message": ack["message"]}


def test_participant_may_not_join_console(app, socket_for, event):
    sock = socket_for(app.test_client(), "/e/LIVE01")
    ack = sock.emit("join", {"event": "LIVE01", "role": "console"}, callback=True)
    assert ack["error"] == "forbidden"


def test_cast_vote_acks_receipt_and_retry_gets_same(app, socket_for, poll):
    sock, _ = participant(app, socket_for)
    vote = {"poll_id": poll.id, "choices": [poll.options[1].id], "vote_id": "abcdefgh1234"}
    ack = sock.emit("cast_vote", vote, callback=True)
    assert ack["ok"] is True
    again = sock.emit("cast_vote", vote, callback=True)
    assert again["receipt"] == ack["receipt"]
    assert service.ballot_count(poll.id) == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, "invalid_payload"),
        ([1, 2], "invalid_payload"),
        ({"poll_id": "x", "choices": [1], "vote_id": "abcdefgh"}, "invalid_ballot"),
        ({"poll_id": 99999, "choices": [1], "vote_id": "abcdefgh"}, "unknown_poll"),
        ({"choices": [1], "vote_id": "abcdefgh"}, "invalid_ballot"),
        ({"poll_id": 1, "choices": "all", "vote_id": "abcdefgh"}, "invalid_ballot"),
        ({"poll_id": 1, "choices": [1], "vote_id": "x" * 1000}, "invalid_vote_id"),
    ],
)
def test_bad_votes_get_error_ack_and_change_nothing(app, socket_for, poll, payload, code):
    sock, _ = participant(app, socket_for)
    ack = sock.emit("cast_vote", payload, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == code
    assert ack["message"]
    assert service.ballot_count(poll.id) == 0


def test_vote_before_join_is_refused(app, socket_for, poll):
    sock = socket_for(app.test_client(), "/e/LIVE01")
    ack = sock.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "abcdefgh"},
        callback=True,
    )
    assert ack["error"] == "not_joined"


def test_display_cannot_vote(app, socket_for, poll):
    sock = socket_for(app.test_client(), "/e/LIVE01/display")
    sock.emit("join", {"event": "LIVE01", "role": "display"}, callback=True)
    ack = sock.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "abcdefgh"},
        callback=True,
    )
    assert ack["error"] == "not_joined"


def test_display_receives_results_with_sequence(app, socket_for, poll):
    display = socket_for(app.test_client(), "/e/LIVE01/display")
    display.emit("join", {"event": "LIVE01", "role": "display"}, callback=True)
    display.get_received()
    phone, _ = participant(app, socket_for)
    phone.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "vote-one-1"},
        callback=True,
    )
    other, _ = participant(app, socket_for)
    other.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "vote-two-2"},
        callback=True,
    )
    results = events_named(display, "results")
    assert results[-1]["total"] == 2
    assert results[-1]["options"][0]["count"] == 2
    seqs = [r["seq"] for r in results]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


def test_hidden_tally_never_reaches_phones_or_display(app, socket_for, event, make_poll):
    poll = make_poll(event, visibility="hidden")
    service.open_poll(poll)
    display = socket_for(app.test_client(), "/e/LIVE01/display")
    snapshot = display.emit("join", {"event": "LIVE01", "role": "display"}, callback=True)
    assert "options" not in snapshot["results"][str(poll.id)]
    phone, _ = participant(app, socket_for)
    phone.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "hidden-vote"},
        callback=True,
    )
    for sock in (display, phone):
        for message in events_named(sock, "results"):
            assert message["visible"] is False
            assert "options" not in message
            assert message["total"] == 1


def test_console_gets_full_tally_and_presence(app, socket_for, make_user, login, event, make_poll):
    poll = make_poll(event, visibility="hidden")
    service.open_poll(poll)
    staff = login(app.test_client(), make_user("moderator", events=[event]))
    console = socket_for(staff, "/manage/LIVE01/polls")
    snap = console.emit("join", {"event": "LIVE01", "role": "console"}, callback=True)
    assert snap["ok"]
    console.get_received()
    phone, _ = participant(app, socket_for)
    phone.emit(
        "cast_vote",
        {"poll_id": poll.id, "choices": [poll.options[2].id], "vote_id": "console-vote"},
        callback=True,
    )
    received = console.get_received()
    presence = [m["args"][0] for m in received if m["name"] == "presence"]
    results = [m["args"][0] for m in received if m["name"] == "results"]
    assert presence[-1]["connected"] == 1
    assert results[-1]["options"][2]["count"] == 1


def test_moderator_of_other_event_cannot_join_console(
    app, socket_for, make_user, make_event, login, event
):
    other = make_event()
    staff = login(app.test_client(), make_user("moderator", events=[other]))
    sock = socket_for(staff, "/")
    ack = sock.emit("join", {"event": "LIVE01", "role": "console"}, callback=True)
    assert ack["error"] == "forbidden"


def test_poll_opened_and_closed_are_announced(app, socket_for, event, make_poll):
    phone, _ = participant(app, socket_for)
    poll = make_poll(event)
    assert events_named(phone, "poll") == []  # drafts stay on the console
    service.open_poll(poll)
    service.close_poll(poll)
    actions = [m["action"] for m in events_named(phone, "poll")]
    assert actions == ["opened", "closed"]


def test_registration_required_event_refuses_anonymous(app, socket_for, make_event, make_poll):
    make_event("CLOSED1", allow_anonymous=False)
    sock = socket_for(app.test_client(), "/e/CLOSED1")
    ack = sock.emit("join", {"event": "CLOSED1"}, callback=True)
    assert ack["error"] == "registration_required"


@pytest.mark.expects_socket_failure
def test_a_vote_whose_handling_fails_unexpectedly_gets_an_error_ack(
    app, socket_for, poll, monkeypatch, caplog
):
    """A failure nobody foresaw is logged and answered (server_error), storing nothing."""
    sock, _ = participant(app, socket_for)

    def broken_batch(*_args):
        raise RuntimeError("the vote store went away")

    monkeypatch.setattr(service, "cast_vote", broken_batch)
    vote = {"poll_id": poll.id, "choices": [poll.options[0].id], "vote_id": "abcdefgh5678"}
    ack = sock.emit("cast_vote", vote, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "server_error"
    assert ack["message"] == "Something went wrong on the server. Please try again."
    assert "socket event failed" in caplog.text
    assert service.ballot_count(poll.id) == 0


@pytest.mark.expects_socket_failure
def test_a_join_that_fails_unexpectedly_gets_an_error_ack(
    app, socket_for, event, monkeypatch, caplog
):
    """Events handled through Flask-SocketIO are answered too when their handler fails."""
    sock = socket_for(app.test_client(), "/e/LIVE01")

    def broken_snapshot(*_args, **_kwargs):
        raise RuntimeError("no snapshot today")

    monkeypatch.setattr(service, "public_snapshot", broken_snapshot)
    ack = sock.emit("join", {"event": "LIVE01"}, callback=True)
    assert ack["error"] == "server_error"
    assert "no snapshot today" in caplog.text


@pytest.mark.expects_socket_failure
def test_a_connect_that_fails_unexpectedly_is_refused(app, socket_for, event, monkeypatch):
    """A connect handler's failure refuses the connection rather than accepting it."""
    from voting.polls import sockets

    def broken_csrf(_token):
        raise RuntimeError("no secret key")

    monkeypatch.setattr(sockets, "validate_csrf", broken_csrf)
    sock = socket_for(app.test_client(), "/e/LIVE01")
    assert not sock.is_connected()
