"""The benchmark's rates: votes sent over the gaps between them, acks as a steady rate,
and a generator whose sending window is the one its rate asks for."""

from __future__ import annotations

import asyncio
import concurrent.futures
import math

import pytest

from benchmarks import probe, run
from benchmarks.run import VoteLog, largest_backlog, per_second, steady_rate


def on_own_loop(make_coroutine):
    """Run a coroutine on a fresh thread's own event loop, and return its result.

    The browser tests' sync Playwright leaves a loop on the main thread, where
    asyncio.run would refuse to start.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result(timeout=60)


def test_a_rate_counts_the_gaps_between_events():
    # 60,000 votes, one every half millisecond: the last is sent 29,999.5 ms after the first.
    assert per_second(60_000, 1_000.0, 30_999.5) == pytest.approx(2_000)
    assert per_second(2, 0.0, 500.0) == pytest.approx(2)


def test_a_rate_of_fewer_than_two_events_is_unknown():
    assert math.isnan(per_second(1, 0.0, 10.0))
    assert math.isnan(per_second(0, 0.0, 0.0))
    assert math.isnan(per_second(5, 10.0, 10.0))


def test_the_processed_rate_is_the_steady_rate_of_the_acks():
    every_millisecond = [float(t) for t in range(1_001)]
    assert steady_rate(every_millisecond) == pytest.approx(1_000)
    # One slow ack at the end is a latency, not a slower server.
    assert steady_rate([*every_millisecond[:-1], 1_050.0]) == pytest.approx(1_000, rel=0.01)
    assert VoteLog(acked_at=every_millisecond[::-1]).acked_per_s() == pytest.approx(1_000)


def test_a_slower_server_lowers_the_processed_rate():
    # Sent at 1,000/s, acknowledged at 500/s.
    assert steady_rate([2.0 * t for t in range(1_001)]) == pytest.approx(500)


def test_a_stall_the_server_recovers_from_shows_as_a_backlog_not_a_rate():
    sent = [float(t) for t in range(10_000)]  # 1,000/s for 10 s
    # Nothing answered from 4 s to 6 s, then the 2,000 waiting votes all at once.
    answered = [t + 5 if not 4_000 <= t < 6_000 else 6_000.0 for t in sent]
    assert steady_rate(answered) > 950  # the throughput nearly hides it...
    assert largest_backlog(sent, answered) >= 2_000  # ...the backlog does not
    steady = [t + 5 for t in sent]
    assert largest_backlog(sent, steady) == 5  # each answered 5 ms later: five in flight


def test_a_vote_never_answered_stays_in_the_backlog():
    assert largest_backlog([0.0, 1.0, 2.0], [0.5]) == 2
    assert largest_backlog([0.0, 1.0], [1.0, 2.0]) == 1  # an answer at a send's moment first
    assert largest_backlog([], []) == 0


def test_a_steady_rate_needs_two_moments():
    assert math.isnan(steady_rate([]))
    assert math.isnan(steady_rate([5.0]))
    assert math.isnan(steady_rate([5.0, 5.0, 5.0]))


def test_the_generator_sends_each_vote_when_due_and_the_last_on_time(monkeypatch):
    clock = {"now": 100.0}  # seconds; a sleep wakes exactly when asked
    sent_at: list[float] = []

    async def fake_sleep(delay):
        clock["now"] += delay

    def cast_now(coroutine):
        sent_at.append(clock["now"])  # the task is made when the vote goes out
        coroutine.close()  # not run: no socket behind it
        return asyncio.sleep(0)

    monkeypatch.setattr(run.time, "perf_counter", lambda: clock["now"])
    monkeypatch.setattr(run.asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(run.asyncio, "create_task", cast_now)
    log = VoteLog()
    on_own_loop(lambda: run.vote_at_rate([object()], 1, [1], rate=2_000, total=4_000, log=log))

    assert len(sent_at) == 4_000
    due = [100.0 + index / 2_000 for index in range(4_000)]
    # None early, none more than a 10 ms tick late, and the last exactly when due.
    assert all(0 <= at - when < 0.010 + 1e-9 for at, when in zip(sent_at, due, strict=True))
    assert sent_at[-1] == pytest.approx(due[-1])
    assert (log.last_sent - log.first_sent) == pytest.approx(1_999.5)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf", ""])
def test_the_commands_refuse_a_scale_or_count_that_is_not_above_zero(value, capsys):
    for parse, option in (
        (run.parse_args, "--scale"),
        (run.parse_args, "--participants"),
        (probe.parse_args, "--rate"),
        (probe.parse_args, "--participants"),
    ):
        with pytest.raises(SystemExit) as stopped:
            parse([option, value])
        assert stopped.value.code == 2
        assert f"argument {option}:" in capsys.readouterr().err


def test_the_commands_take_sensible_numbers():
    assert run.parse_args(["--scale", "0.02", "--participants", "40"]).participants == 40
    assert probe.parse_args(["--rate", "1800"]).rate == 1800.0
