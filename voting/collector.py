"""Garbage collection at quiet moments, for `voting serve`.

CPython collects when allocations pass a threshold, whatever the server is doing. With
thousands of phones connected, each connection replaces a few dozen objects with every
message it sends (the packet read last, the timer of the next read), and they live until
its next message. During a vote every young collection therefore found over 100,000 live
young objects and stopped every socket for 80 to 120 ms, every five seconds; every eleventh
was a middle one of about 200 ms, and full ones took up to 0.7 s. Collecting found little
garbage: nearly all of it is freed by reference counting the moment it is dropped.

So `voting serve` turns automatic collection off and collects when the process has been
quiet (below a quarter of a core over the last half second). A quiet collection is at
least a middle one: what a busy spell promoted (a join storm's connections) moves on to
the old generation then, instead of being walked by a middle collection during the next
vote (370 ms once). While it stays busy it collects only once `busy_limit` net new
objects (allocated and not yet freed, gc.get_count()'s first value) have accumulated, so
that memory stays bounded under endless load, with CPython's cascade of generations; a
full collection (0.3 to 0.7 s with thousands of phones) then waits for ten times as many
middle ones as CPython's would.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

# CPython's cascade: a middle collection once more than 10 young ones ran since the last,
# a full one once more than 10 middle ones did (gc.get_threshold()'s defaults).
YOUNG_PER_MIDDLE = 10
MIDDLE_PER_FULL = 10
# While busy, a full collection waits this many times longer: it stops every socket.
BUSY_FULL_FACTOR = 10
# If a step fails, CPython collects again by itself at this young threshold, the one that
# served best before this collector (docs/benchmarks.md), not its default of 700.
FALLBACK_YOUNG_THRESHOLD = 20_000

log = logging.getLogger(__name__)


class QuietCollector:
    """Decides, every `tick` seconds, whether to collect and which generation."""

    def __init__(
        self,
        busy_limit: int,
        *,
        quiet_share: float = 0.25,
        quiet_minimum: int = 1_000,
        tick: float = 0.5,
        cpu: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[int], object] = gc.collect,
        counts: Callable[[], tuple[int, int, int]] = gc.get_count,
    ) -> None:
        self.busy_limit = busy_limit
        self.quiet_share = quiet_share
        # Fewer net new objects than this are not worth even a quiet collection.
        self.quiet_minimum = quiet_minimum
        self.tick = tick
        self._cpu, self._clock, self._collect, self._counts = cpu, clock, collect, counts
        self._last_cpu, self._last_at = cpu(), clock()

    def generation_due(self, busy_share: float, counts: tuple[int, int, int]) -> int | None:
        """Return the generation to collect now (0, 1 or 2), or None.

        `counts` is gc.get_count(): net new objects since the last collection, young
        collections since the last middle one, middle ones since the last full one.
        """
        young, young_collections, middle_collections = counts
        if busy_share < self.quiet_share:
            if young < self.quiet_minimum and young_collections == 0:
                return None
            return 2 if middle_collections > MIDDLE_PER_FULL else 1
        if young < self.busy_limit:
            return None
        if young_collections <= YOUNG_PER_MIDDLE:
            return 0
        return 2 if middle_collections > MIDDLE_PER_FULL * BUSY_FULL_FACTOR else 1

    def step(self) -> int | None:
        """Measure how busy the process was since the last step; collect if due."""
        now, cpu = self._clock(), self._cpu()
        elapsed = now - self._last_at
        share = (cpu - self._last_cpu) / elapsed if elapsed > 0 else 1.0
        self._last_at, self._last_cpu = now, cpu
        generation = self.generation_due(share, self._counts())
        if generation is not None:
            self._collect(generation)
            # The collection's own CPU must not make the next step look busy.
            self._last_at, self._last_cpu = self._clock(), self._cpu()
        return generation

    def run(self, sleep: Callable[[float], object]) -> None:
        """Step forever, `tick` seconds apart (a background task of `voting serve`)."""
        while True:
            sleep(self.tick)
            try:
                self.step()
            except Exception:
                # Never leave the process without a collector: CPython's own takes over.
                log.exception("garbage collection step failed; CPython collects again")
                _, middle, oldest = gc.get_threshold()
                gc.set_threshold(FALLBACK_YOUNG_THRESHOLD, middle, oldest)
                gc.enable()
                return


def collect_when_quiet(busy_limit: int) -> QuietCollector:
    """Turn automatic collection off and return the collector to run as a task.

    What start-up built is collected once and frozen: it lives as long as the process,
    and no later collection needs to look at it.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    return QuietCollector(busy_limit)
