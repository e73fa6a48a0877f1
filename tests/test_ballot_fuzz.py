"""Hypothesis: any cast_vote payload gets a known answer, and a refused one changes nothing."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.test_sockets import participant
from voting.extensions import db
from voting.models import Ballot, BallotChoice, Vote
from voting.polls import service

EVENT_NUMBERS = itertools.count(1)
KNOWN_CODES = {
    "invalid_payload",
    "invalid_ballot",
    "wrong_ballot_form",
    "invalid_points",
    "points_sum",
    "incomplete_ranking",
    "invalid_rating",
    "invalid_text",
    "blocked_word",
    "invalid_option",
    "too_many_choices",
    "invalid_vote_id",
    "vote_id_conflict",
    "already_voted",
    "unknown_poll",
    "poll_closed",
    "poll_not_open",
}
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def stored() -> tuple:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Ballot, BallotChoice, Vote)
    )


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    form=st.sampled_from(["choices", "points", "ranking", "rating", "text", "junk"]),
    value=JSONISH,
    vote_id=st.one_of(st.text(max_size=70), st.integers(), st.none()),
    kind=st.sampled_from(["single", "points", "ranking", "rating", "text"]),
)
def test_any_ballot_gets_a_known_answer(
    app, socket_for, make_event, make_poll, form, value, vote_id, kind
):
    event = make_event(f"FZ{next(EVENT_NUMBERS):06d}")  # a fresh event per example
    options = [] if kind in ("rating", "text") else ["A", "B", "C"]
    poll = make_poll(event, kind=kind, options=options)
    service.open_poll(poll)
    sock, _ = participant(app, socket_for, event.code)
    before = stored()
    ack = sock.emit(
        "cast_vote", {"poll_id": poll.id, "vote_id": vote_id, form: value}, callback=True
    )
    assert isinstance(ack, dict)
    if ack.get("ok"):
        assert stored() != before
    else:
        assert ack["error"] in KNOWN_CODES, ack
        assert ack["message"]
        assert stored() == before
