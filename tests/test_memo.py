"""voting.memo: short-lived values, each built once however many callers ask at once."""

from __future__ import annotations

import threading
import time

import pytest

from voting import memo
from voting.memo import Memo


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(memo.time, "monotonic", clock)
    return clock


def slow_build(started: threading.Event, release: threading.Event, calls: list, value):
    """A build that says it started and then waits for the test's word."""

    def build():
        calls.append(value)
        started.set()
        assert release.wait(5)
        return value

    return build


def test_callers_arriving_during_a_build_wait_for_it_instead_of_building():
    cache: Memo[str] = Memo()
    started, release, calls, answers = threading.Event(), threading.Event(), [], []

    def ask():
        answers.append(cache.get_or_build("E", slow_build(started, release, calls, "v"), 60))

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=ask) for _ in range(5)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert calls == ["v"]
    assert answers == ["v"] * 6
    assert cache._builds == {}  # no lock is left behind for the key


def test_a_value_is_kept_for_its_lifetime_then_built_again(clock):
    cache: Memo[int] = Memo()
    builds = iter(range(10))
    assert cache.get_or_build("k", lambda: next(builds), 2.0) == 0
    clock.now += 1.9
    assert cache.get_or_build("k", lambda: next(builds), 2.0) == 0
    clock.now += 0.2
    assert cache.get("k") is None
    assert cache.get_or_build("k", lambda: next(builds), 2.0) == 1


def test_no_lifetime_keeps_nothing():
    cache: Memo[int] = Memo()
    builds = iter(range(10))
    assert [cache.get_or_build("k", lambda: next(builds), 0) for _ in range(3)] == [0, 1, 2]
    cache.put("k", 7, 0)
    assert cache.get("k") is None


def test_a_build_that_started_before_a_change_is_not_kept_nor_shared_with_later_callers():
    cache: Memo[str] = Memo()
    started, release, calls, answers = threading.Event(), threading.Event(), [], []
    thread = threading.Thread(
        target=lambda: answers.append(
            cache.get_or_build("E", slow_build(started, release, calls, "old"), 60)
        )
    )
    thread.start()
    assert started.wait(5)
    cache.forget("E")  # the polls changed while the snapshot was being read
    # A caller after the change does not wait for the old build: it builds anew.
    assert cache.get_or_build("E", lambda: "new", 60) == "new"
    release.set()
    thread.join(5)
    assert answers == ["old"]  # the caller who asked before the change
    assert cache.get("E") == "new"
    assert cache._builds == {}


def test_callers_waiting_for_a_build_that_fails_get_its_error_at_once():
    """One attempt, not one per waiting caller in turn (a failing database would
    otherwise hold the last of a join storm for as many timeouts as callers)."""
    cache: Memo[str] = Memo()
    started, release, calls, errors = threading.Event(), threading.Event(), [], []

    def fail():
        calls.append(1)
        started.set()
        assert release.wait(5)
        raise LookupError("database gone")

    def ask():
        try:
            cache.get_or_build("E", fail, 60)
        except LookupError as error:
            errors.append(error)

    threads = [threading.Thread(target=ask)]
    threads[0].start()
    assert started.wait(5)
    threads += [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.3)  # the four reach the wait (a later one would find no build and try)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1
    assert len(errors) == 5


class Killed(BaseException):
    """What a killed greenlet raises in its own code (like gevent's GreenletExit)."""


def test_callers_waiting_for_a_killed_build_get_an_error_not_the_kill():
    cache: Memo[str] = Memo()
    started, release, errors = threading.Event(), threading.Event(), []

    def killed():
        started.set()
        assert release.wait(5)
        raise Killed

    def build_and_die():
        with pytest.raises(Killed):
            cache.get_or_build("E", killed, 60)

    def wait():
        try:
            cache.get_or_build("E", lambda: "unused", 60)
        except RuntimeError as error:
            errors.append(error)

    builder = threading.Thread(target=build_and_die)
    builder.start()
    assert started.wait(5)
    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)  # the waiter reaches the wait
    release.set()
    builder.join(5)
    waiter.join(5)
    assert len(errors) == 1
    assert cache.get_or_build("E", lambda: "made", 60) == "made"


def test_a_failed_build_raises_keeps_nothing_and_leaves_no_lock():
    cache: Memo[str] = Memo()

    def fail():
        raise LookupError("no such event")

    for _ in range(3):  # unknown codes from anyone: nothing may pile up
        with pytest.raises(LookupError):
            cache.get_or_build("NOPE", fail, 60)
    assert cache.get("NOPE") is None
    assert cache._builds == {}
    assert cache.get_or_build("NOPE", lambda: "made", 60) == "made"


def test_replace_changes_a_fresh_value_and_keeps_its_expiry(clock):
    cache: Memo[dict] = Memo()
    cache.put("E", {"total": 1}, 2.0)
    clock.now += 1.5
    cache.replace("E", lambda value: {**value, "total": 2})
    assert cache.get("E") == {"total": 2}
    clock.now += 0.6
    assert cache.get("E") is None
    cache.replace("E", lambda value: {**value, "total": 3})  # expired: nothing to change
    cache.replace("other", lambda value: {"total": 4})
    assert cache.get("E") is None
    assert cache.get("other") is None


def test_clear_drops_every_value():
    cache: Memo[int] = Memo()
    cache.put("a", 1, 60)
    cache.put("b", 2, 60)
    cache.clear()
    assert (cache.get("a"), cache.get("b")) == (None, None)
