"""Poll timers and sequences: a poll closes itself when time is up; "next" runs a sequence."""

from __future__ import annotations

import datetime as dt

import pytest

from voting.errors import Conflict, InvalidInput
from voting.extensions import db
from voting.models import PollStatus
from voting.polls import audit, service


@pytest.fixture
def event(make_event):
    return make_event("TIMER1")


def expire(poll):
    """Move a poll's deadline into the past, as if its time had run out."""
    poll.closes_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.session.commit()


def test_opening_a_timed_poll_sets_when_it_closes(event, make_poll):
    poll = make_poll(event, duration=60)
    before = dt.datetime.now(dt.UTC)
    service.open_poll(poll)
    closes = service._utc(poll.closes_at)
    assert before + dt.timedelta(seconds=59) < closes < before + dt.timedelta(seconds=62)
    payload = service.poll_payload(poll)
    assert payload["duration"] == 60
    assert 59_000 < payload["closes_at"] - payload["server_time"] <= 60_000


def test_no_vote_is_taken_once_time_is_up_even_before_the_close(event, make_poll):
    poll = make_poll(event, duration=30)
    service.open_poll(poll)
    service.cast_vote(event, poll.id, "early", [poll.options[0].id], "timer-early-1")
    expire(poll)
    with pytest.raises(Conflict) as error:
        service.cast_vote(event, poll.id, "late", [poll.options[0].id], "timer-late-01")
    assert error.value.code == "poll_closed"
    assert service.ballot_count(poll.id) == 1


def test_the_sweep_closes_overdue_polls_only(event, make_poll):
    due, running = make_poll(event, duration=30), make_poll(event, duration=30)
    untimed = make_poll(event)
    for poll in (due, running, untimed):
        service.open_poll(poll)
    expire(due)
    assert service.close_overdue_polls() == 1
    assert due.status == PollStatus.closed
    assert due.closes_at is None
    assert running.status == PollStatus.open
    assert untimed.status == PollStatus.open
    assert service.close_overdue_polls() == 0  # nothing left; a second sweeper finds nothing
    assert audit.entries(event.id)[-1].action == "closed"
    assert audit.entries(event.id)[-1].actor == "system"


def test_reopening_restarts_the_timer(event, make_poll):
    poll = make_poll(event, duration=30)
    service.open_poll(poll)
    expire(poll)
    service.close_overdue_polls()
    service.open_poll(poll)
    assert service._utc(poll.closes_at) > dt.datetime.now(dt.UTC)


@pytest.mark.parametrize("duration", [0, 4, 86_401, -5, True, "60"])
def test_timer_out_of_range_is_refused(event, make_poll, duration):
    with pytest.raises(InvalidInput) as error:
        make_poll(event, duration=duration)
    assert error.value.code == "invalid_duration"


def test_next_closes_the_shown_poll_and_opens_the_next_prepared_one(event, make_poll):
    first, second, third = (make_poll(event, title=f"Q{i}") for i in range(1, 4))
    assert service.open_next(event) == first
    service.cast_vote(event, first.id, "p1", [first.options[0].id], "seq-vote-01")
    assert service.open_next(event) == second
    assert first.status == PollStatus.closed
    assert event.display_poll_id == second.id
    assert service.open_next(event) == third
    with pytest.raises(Conflict) as error:
        service.open_next(event)
    assert error.value.code == "no_next_poll"


def test_next_through_the_console_and_the_api(
    client, login, make_user, event, make_poll, page_token
):
    from voting.accounts.service import create_token

    first, second = make_poll(event, title="First"), make_poll(event, title="Second")
    login(client, make_user("moderator", events=[event]))
    token = page_token(client, "/manage/TIMER1/polls")
    assert client.post("/manage/TIMER1/polls/next", data={"csrf_token": token}).status_code == 302
    assert first.status == PollStatus.open
    assert client.post("/manage/TIMER1/polls/next").status_code == 400  # no CSRF token
    api_token = create_token(make_user("moderator", events=[event]))
    response = client.post(
        "/api/v1/events/TIMER1/polls/next", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert response.status_code == 200
    assert response.get_json()["id"] == second.id
    again = client.post(
        "/api/v1/events/TIMER1/polls/next", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert again.status_code == 409
