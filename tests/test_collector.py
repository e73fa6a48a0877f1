"""Garbage collection at quiet moments (voting.collector), as `voting serve` runs it."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

from voting.collector import QuietCollector, collect_when_quiet


class Clocks:
    """A wall clock and a CPU clock the test moves by hand."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 10.0

    def spend(self, seconds: float, busy_share: float) -> None:
        """Let `seconds` pass with the process busy for `busy_share` of them."""
        self.wall += seconds
        self.cpu += seconds * busy_share


def collector(clocks: Clocks, counts=(0, 0, 0), **options) -> tuple[QuietCollector, list[int]]:
    """Return a collector on the test's clocks and counts, and the generations it collects."""
    collected: list[int] = []
    made = QuietCollector(
        100_000,
        cpu=lambda: clocks.cpu,
        clock=lambda: clocks.wall,
        collect=collected.append,
        counts=lambda: counts,
        **options,
    )
    return made, collected


@pytest.fixture
def automatic_collection_restored():
    """Give back CPython's automatic collection, its thresholds and unfreeze."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    gc.enable()


def test_a_quiet_process_makes_a_middle_collection_once_worth_it():
    """Below a quarter of a core, a thousand net new objects are enough; fewer are not."""
    made, _ = collector(Clocks())
    assert made.generation_due(0.1, (999, 0, 0)) is None
    assert made.generation_due(0.1, (1_000, 0, 0)) == 1


def test_a_quiet_moment_moves_on_what_a_busy_spell_promoted():
    """After busy young collections, the first quiet step is a middle collection, however
    few objects are new: the survivors must not wait for a middle collection mid-vote."""
    made, _ = collector(Clocks())
    assert made.generation_due(0.1, (10, 3, 0)) == 1
    assert made.generation_due(0.1, (10, 3, 11)) == 2


def test_a_busy_process_waits_for_the_busy_limit():
    """While busy nothing is collected until the young generation reaches the limit."""
    made, _ = collector(Clocks())
    assert made.generation_due(0.9, (99_999, 0, 0)) is None
    assert made.generation_due(0.25, (99_999, 5, 0)) is None  # a quarter is busy already
    assert made.generation_due(0.9, (100_000, 0, 0)) == 0


def test_busy_collections_cascade_to_older_generations_as_cpython_does():
    """A middle collection once more than 10 young ones ran; quiet, a full one after 10."""
    made, _ = collector(Clocks())
    assert made.generation_due(0.9, (100_000, 10, 10)) == 0
    assert made.generation_due(0.9, (100_000, 11, 10)) == 1
    assert made.generation_due(0.0, (5_000, 0, 10)) == 1
    assert made.generation_due(0.0, (5_000, 0, 11)) == 2


def test_a_busy_process_puts_off_full_collections_ten_times_longer():
    """A full collection stops every socket: while busy it waits for 100 middle ones."""
    made, _ = collector(Clocks())
    assert made.generation_due(0.9, (100_000, 11, 11)) == 1
    assert made.generation_due(0.9, (100_000, 11, 100)) == 1
    assert made.generation_due(0.9, (100_000, 11, 101)) == 2


def test_quiet_steps_cascade_with_the_real_collector(automatic_collection_restored):
    """With CPython's own counts, quiet steps are middle collections; the twelfth is full."""
    collect_when_quiet(100_000)
    clocks = Clocks()
    made = QuietCollector(100_000, cpu=lambda: clocks.cpu, clock=lambda: clocks.wall)
    done = []
    for _ in range(12):
        kept = [[] for _ in range(2_000)]  # net new objects, enough for a quiet collection
        clocks.spend(0.5, busy_share=0.0)
        done.append(made.step())
        del kept
    assert done == [1] * 11 + [2]


def test_a_step_measures_the_share_of_a_core_since_the_last_step():
    """The same count is collected after a quiet half second, not after a busy one."""
    clocks = Clocks()
    made, collected = collector(clocks, counts=(50_000, 0, 0))
    clocks.spend(0.5, busy_share=0.9)
    assert made.step() is None
    clocks.spend(0.5, busy_share=0.1)
    assert made.step() == 1
    assert collected == [1]


def test_a_collections_own_work_does_not_make_the_next_step_busy():
    """The CPU a collection spends is not counted against the following half second."""
    clocks = Clocks()
    collected: list[int] = []

    def slow_collect(generation: int) -> None:
        collected.append(generation)
        clocks.spend(0.3, busy_share=1.0)  # a long full collection

    made = QuietCollector(
        100_000,
        cpu=lambda: clocks.cpu,
        clock=lambda: clocks.wall,
        collect=slow_collect,
        counts=lambda: (5_000, 0, 0),
    )
    clocks.spend(0.5, busy_share=0.0)
    assert made.step() == 1
    clocks.spend(0.5, busy_share=0.1)
    assert made.step() == 1
    assert collected == [1, 1]


def test_the_task_steps_a_tick_apart():
    """run() sleeps a tick, steps, and goes on (here until the sleep is told to stop)."""
    clocks = Clocks()
    made, collected = collector(clocks, counts=(5_000, 0, 0), tick=0.25)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        if len(slept) == 3:
            raise KeyboardInterrupt
        slept.append(seconds)
        clocks.spend(seconds, busy_share=0.0)

    with pytest.raises(KeyboardInterrupt):
        made.run(sleep)
    assert slept == [0.25, 0.25, 0.25]
    assert collected == [1, 1, 1]


def test_a_failing_step_hands_collection_back_to_cpython(automatic_collection_restored, caplog):
    """The task logs the failure, turns automatic collection on again (at 20,000, not
    CPython's 700) and ends."""

    def broken_counts() -> tuple[int, int, int]:
        raise RuntimeError("no counts")

    def sleep(_seconds: float) -> None:
        if len(naps) == 3:  # a task that went on stepping fails here, not by hanging
            raise AssertionError("the task did not end after its step failed")
        naps.append(_seconds)

    naps: list[float] = []
    gc.disable()
    made = QuietCollector(100_000, counts=broken_counts)
    with caplog.at_level(logging.ERROR, logger="voting.collector"):
        made.run(sleep)
    assert len(naps) == 1
    assert gc.isenabled()
    assert gc.get_threshold()[0] == 20_000
    assert "garbage collection step failed" in caplog.text


def test_serving_turns_automatic_collection_off_and_freezes_start_up(
    automatic_collection_restored,
):
    """What start-up built is frozen out of sight; CPython no longer collects by itself."""
    made = collect_when_quiet(30_000)
    assert made.busy_limit == 30_000
    assert not gc.isenabled()
    assert gc.get_freeze_count() > 0


class Node:
    """An object in a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def test_a_quiet_step_frees_cyclic_garbage_with_the_real_collector(
    automatic_collection_restored,
):
    """With automatic collection off, a cycle survives until a quiet step collects it.

    (With it on, CPython could have collected or promoted the nodes before the step.)
    """
    collect_when_quiet(100_000)
    clocks = Clocks()
    made = QuietCollector(100_000, cpu=lambda: clocks.cpu, clock=lambda: clocks.wall)
    cycles = [Node() for _ in range(2_000)]
    watched = weakref.ref(cycles[0])
    del cycles
    assert watched() is not None  # reference counting alone cannot free a cycle
    clocks.spend(0.5, busy_share=0.0)
    assert made.step() is not None
    assert watched() is None
