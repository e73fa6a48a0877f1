"""The group committer: batching, leadership hand-off, bounded backlog, vote batches."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from voting.errors import InvalidInput, Unavailable
from voting.extensions import db
from voting.groupcommit import GroupCommitter
from voting.polls import service


def test_concurrent_submissions_share_batches():
    batches = []

    def write(tickets):
        time.sleep(0.01)  # a commit takes time; meanwhile others queue up
        batches.append(len(tickets))
        for ticket in tickets:
            ticket.result = ticket.item * 2

    committer = GroupCommitter(write, max_batch=50, yield_to_others=lambda: time.sleep(0.001))
    results = {}

    def submit(n):
        results[n] = committer.submit(n)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == {n: n * 2 for n in range(200)}
    assert sum(batches) == 200
    assert max(batches) <= 50
    assert len(batches) < 200  # votes really were grouped
    assert committer.pending() == 0


def test_writer_failure_reaches_every_waiter():
    def write(tickets):
        raise RuntimeError("disk on fire")

    committer = GroupCommitter(write)
    with pytest.raises(RuntimeError):
        committer.submit(1)
    # The committer recovers: the next caller leads a new batch.
    committer._write = lambda tickets: [setattr(t, "result", "ok") for t in tickets]
    assert committer.submit(2) == "ok"


def test_backlog_is_bounded():
    release = threading.Event()

    def write(tickets):
        release.wait(5)
        for ticket in tickets:
            ticket.result = True

    committer = GroupCommitter(write, max_batch=1, max_pending=3)
    threads = [threading.Thread(target=committer.submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while committer.pending() < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(Unavailable) as error:
        committer.submit(99)
    assert error.value.code == "busy"
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert committer.pending() == 0


@pytest.fixture
def open_poll(make_event, make_poll):
    event = make_event()
    poll = make_poll(event)
    service.open_poll(poll)
    return event, poll


def test_locked_database_gives_retryable_error_and_stores_nothing(app, open_poll):
    """Another process holds the write lock: a retryable error, nothing half-written."""
    event, poll = open_poll
    option = poll.options[0].id
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 100
    db.session.commit()
    db.engine.dispose()  # new connections pick up the short busy timeout
    blocker = sqlite3.connect(db.engine.url.database, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(Unavailable) as error:
            service.cast_vote(event, poll.id, "locked-out", [option], "locked-vote-1")
        assert error.value.code == "unavailable"
    finally:
        blocker.rollback()
        blocker.close()
    assert service.ballot_count(poll.id) == 0
    # Service resumes by itself once the lock is gone; the same vote id is accepted.
    result = service.cast_vote(event, poll.id, "locked-out", [option], "locked-vote-1")
    assert result.duplicate is False
    assert service.ballot_count(poll.id) == 1


def test_a_commit_that_fails_unexpectedly_acknowledges_no_vote(app, open_poll, monkeypatch):
    """The batch's results are made before its commit: a failed commit must not ack them."""
    event, poll = open_poll
    option = poll.options[0].id

    def failing_commit():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(db.session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        service.cast_vote(event, poll.id, "unlucky", [option], "failed-commit-1")
    monkeypatch.undo()
    assert service.ballot_count(poll.id) == 0
    result = service.cast_vote(event, poll.id, "unlucky", [option], "failed-commit-1")
    assert result.duplicate is False


def test_sent_at_is_echoed_to_displays(app, open_poll, socket_for):
    event, poll = open_poll
    display = socket_for(app.test_client(), f"/e/{event.code}/display")
    display.emit("join", {"event": event.code, "role": "display"}, callback=True)
    display.get_received()
    service.cast_vote(event, poll.id, "echo-voter", [poll.options[0].id], "echo-vote-1", 1234.5)
    pushes = [m["args"][0] for m in display.get_received() if m["name"] == "results"]
    assert pushes[-1]["echo"] == [1234.5]


@pytest.mark.parametrize("sent_at", ["yesterday", True, float("nan"), [1]])
def test_bad_sent_at_is_refused(open_poll, sent_at):
    event, poll = open_poll
    with pytest.raises(InvalidInput) as error:
        service.cast_vote(event, poll.id, "someone", [poll.options[0].id], "vote-sent-at", sent_at)
    assert error.value.code == "invalid_payload"


def test_batches_start_at_most_once_per_window():
    """While items keep coming, the leader waits out the window, so they share a batch."""
    batches, pauses = [], []

    def write(tickets):
        batches.append([t.item for t in tickets])
        for ticket in tickets:
            ticket.result = ticket.item

    committer = GroupCommitter(write, window=0.05, pause=pauses.append)
    assert committer.submit(1) == 1
    assert pauses == []  # the first item after a quiet spell does not wait
    assert committer.submit(2) == 2
    # Right behind the previous batch: it waited out (nearly) the whole window.
    assert len(pauses) == 1
    assert 0.03 < pauses[0] <= 0.05
    assert batches == [[1], [2]]


def test_a_full_batch_does_not_wait_for_the_window():
    pauses = []
    committer = GroupCommitter(lambda tickets: None, max_batch=1, window=10, pause=pauses.append)
    committer.submit(1)
    committer._queue.append(object())  # a second item already waiting: a full batch
    committer._wait_for_window()
    assert pauses == []
