"""The benchmark's rates: votes sent over the gaps between them, acks as a steady rate,
and a generator whose sending window is the one its rate asks for."""

from __future__ import annotations

import asyncio
import math

import pytest

from benchmarks import probe, run
from benchmarks.run import VoteLog, per_second, steady_rate


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


def test_a_backlog_lowers_the_processed_rate():
    # Sent at 1,000/s, acknowledged at 500/s: the server fell behind.
    assert steady_rate([2.0 * t for t in range(1_001)]) == pytest.approx(500)


def test_a_steady_rate_needs_two_moments():
    assert math.isnan(steady_rate([]))
    assert math.isnan(steady_rate([5.0]))
    assert math.isnan(steady_rate([5.0, 5.0, 5.0]))


def test_the_generator_offers_the_rate_it_is_asked_for(monkeypatch):
    async def instant_cast(person, poll_id, option, log):
        log.sent += 1

    monkeypatch.setattr(run, "cast", instant_cast)
    log = VoteLog()
    asyncio.run(run.vote_at_rate([object()], 1, [1], rate=2_000, total=4_000, log=log))
    assert log.sent == 4_000
    # Within 10 ms of the 1,999.5 ms asked for: the sleep before the last vote ends when
    # that vote is due, whatever the tick.
    assert log.offered_per_s() == pytest.approx(2_000, rel=0.005)


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
