"""The poll kinds over Socket.IO: ballots in each wire form, and what phones never see."""

from __future__ import annotations

import pytest

from tests.conftest import events_named
from tests.test_sockets import participant
from voting.polls import service


@pytest.fixture
def event(make_event):
    return make_event("LIVE01")


def opened(make_poll, event, kind, options=("A", "B", "C"), **fields):
    poll = make_poll(event, kind=kind, options=list(options), **fields)
    service.open_poll(poll)
    return poll


def test_points_ballot_is_acked_with_its_wire_form(app, socket_for, event, make_poll):
    poll = opened(make_poll, event, "points", budget=10)
    a, b, _ = (o.id for o in poll.options)
    sock, _ = participant(app, socket_for)
    ack = sock.emit(
        "cast_vote",
        {"poll_id": poll.id, "vote_id": "points-0001", "points": {str(a): 7, str(b): 3}},
        callback=True,
    )
    assert ack["ok"] is True
    assert ack["ballot"] == {"points": {str(a): 7, str(b): 3}}
    _, snapshot = participant(app, socket_for)  # another phone: its own (empty) ballot
    assert snapshot["mine"] == {}
    rejoin = sock.emit("join", {"event": "LIVE01"}, callback=True)
    assert rejoin["mine"][str(poll.id)] == {"points": {str(a): 7, str(b): 3}}


@pytest.mark.parametrize(
    ("kind", "ballot", "code"),
    [
        ("points", {"points": {"1": 1}}, "points_sum"),
        ("points", {"choices": [1]}, "wrong_ballot_form"),
        ("ranking", {"ranking": []}, "invalid_ballot"),
        ("ranking", {"ranking": "abc"}, "invalid_ballot"),
        ("rating", {"rating": 99}, "invalid_rating"),
        ("rating", {"rating": {"x": 1}}, "invalid_rating"),
        ("text", {"text": "y" * 500}, "invalid_text"),
        ("text", {"text": None, "choices": None}, "invalid_ballot"),
    ],
)
def test_bad_ballots_of_each_kind_get_error_acks(
    app, socket_for, event, make_poll, kind, ballot, code
):
    options = () if kind in ("rating", "text") else ("A", "B", "C")
    fields = {"scale": 5} if kind == "rating" else {}
    poll = opened(make_poll, event, kind, options, **fields)
    if kind == "points":  # make the option ids real where the test names option 1
        ballot = {
            key: ({str(poll.options[0].id): 1} if key == "points" else value)
            for key, value in ballot.items()
        }
    sock, _ = participant(app, socket_for)
    ack = sock.emit(
        "cast_vote", {"poll_id": poll.id, "vote_id": "bad-ballot-1", **ballot}, callback=True
    )
    assert ack["ok"] is False
    assert ack["error"] == code
    assert ack["message"]
    assert service.ballot_count(poll.id) == 0


def test_open_text_answers_reach_display_only_when_shown(
    app, socket_for, event, make_poll, make_user, login
):
    poll = opened(make_poll, event, "text", (), moderate_answers=True)
    display = socket_for(app.test_client(), "/e/LIVE01/display")
    display.emit("join", {"event": "LIVE01", "role": "display"}, callback=True)
    phone, _ = participant(app, socket_for)
    ack = phone.emit(
        "cast_vote",
        {"poll_id": poll.id, "vote_id": "text-0001", "text": "SME scaling-up"},
        callback=True,
    )
    assert ack["ok"] is True
    for message in events_named(display, "results") + events_named(phone, "results"):
        assert message["cloud"] == []
        assert all("id" not in answer for answer in message["answers"])
    staff = service.results_payload(poll, staff=True)
    service.moderate_answer(poll, staff["answers"][0]["id"], "shown")
    pushed = events_named(display, "results")
    assert pushed[-1]["cloud"] == [{"text": "SME scaling-up", "count": 1}]
    assert "pending" not in pushed[-1]


def test_quiz_answer_is_not_pushed_to_phones_before_close(app, socket_for, event, make_poll):
    poll = opened(make_poll, event, "quiz", ("Lisbon", "Porto"), correct=[1])
    display = socket_for(app.test_client(), "/e/LIVE01/display")
    display.emit("join", {"event": "LIVE01", "role": "display"}, callback=True)
    phone, snapshot = participant(app, socket_for)
    assert all("correct" not in option for option in snapshot["polls"][0]["options"])
    phone.emit(
        "cast_vote",
        {"poll_id": poll.id, "vote_id": "quiz-0001", "choices": [poll.options[0].id]},
        callback=True,
    )
    received = phone.get_received() + display.get_received()
    assert "results" in {message["name"] for message in received}
    assert all("correct" not in str(message["args"]) for message in received)
    service.close_poll(poll)
    closing = [m for m in events_named(phone, "poll") if m["action"] == "closed"][-1]
    assert [o["correct"] for o in closing["poll"]["options"]] == [False, True]
