"""Group commit: many concurrent writers share one transaction and one commit.

A commit per vote tops out at a few thousand per second on a disk (each commit is a
WAL append and, in PostgreSQL, a flush). Callers hand their item to the committer and
wait; whoever finds no writer active becomes the leader, gathers what is queued, writes
it in one transaction and wakes each waiter with its own result. When the leader's own
item is done it hands leadership to the next waiter, so nobody waits behind an endless
stream of other people's batches. While items keep coming, batches start at most once
per `window` seconds, so each carries more of them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from voting.errors import Unavailable


@dataclass
class Ticket:
    """One caller's item, its outcome and the event it waits on."""

    item: object
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: object = None
    error: BaseException | None = None


class GroupCommitter:
    """Batches items from concurrent callers into calls of `write(items)`."""

    def __init__(
        self,
        write: Callable[[list[Ticket]], None],
        *,
        max_batch: int = 200,
        max_pending: int = 5000,
        yield_to_others: Callable[[], None] = lambda: None,
        window: float = 0.0,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._yield = yield_to_others
        self._lock = threading.Lock()
        self._queue: deque[Ticket] = deque()
        self._writing = False
        self._window = window
        self._pause = pause
        self._last_start = 0.0

    def submit(self, item) -> object:
        """Queue an item, wait until its batch is committed and return its result."""
        ticket = Ticket(item)
        with self._lock:
            if len(self._queue) >= self._max_pending:
                # A bounded backlog: refuse now rather than queue without limit.
                # In the caller's own request: its language.
                raise Unavailable(_("The server is busy; try again in a moment."), "busy")
            self._queue.append(ticket)
            lead = not self._writing
            self._writing = True
        if not lead:
            ticket.done.wait()
            if ticket.lead:
                ticket.done.clear()
                ticket.lead = False
                lead = True
        if lead:
            self._lead(ticket)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _lead(self, own: Ticket) -> None:
        """Write batches until our own ticket is done, then pass the lead on."""
        while not own.done.is_set():
            self._wait_for_window()
            self._gather()
            with self._lock:
                batch = [
                    self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))
                ]
            if batch:
                self._run(batch)
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.done.set()
            else:
                self._writing = False

    def _gather(self) -> None:
        """Yield to other callers until the queue stops growing (or a batch is full).

        Under gevent the write itself blocks the whole process, so votes that arrive
        meanwhile cannot queue up; a few yields before each batch let every vote already
        received reach the queue, which is what makes batches large under load. With
        nobody else ready, the queue does not grow and the first check ends the wait.
        """
        last = -1
        for _attempt in range(self.MAX_YIELDS):
            size = self.pending()
            if size >= self._max_batch or size == last:
                return
            last = size
            self._yield()

    MAX_YIELDS = 20

    def _wait_for_window(self) -> None:
        """Start batches at most once per window, so that a steady flow makes big batches.

        A vote after a quiet spell starts its batch at once; only votes close behind the
        previous batch wait, for at most the window, and a full batch never waits.
        """
        wait = self._last_start + self._window - time.monotonic()
        if wait > 0 and self.pending() < self._max_batch:
            self._pause(wait)
        self._last_start = time.monotonic()

    def _run(self, batch: list[Ticket]) -> None:
        """Call the writer; any failure becomes every ticket's error. Always wake them."""
        try:
            self._write(batch)
        except BaseException as error:  # noqa: BLE001 - handed to each waiting caller
            for ticket in batch:
                if ticket.result is None and ticket.error is None:
                    ticket.error = error
        finally:
            for ticket in batch:
                ticket.done.set()

    def pending(self) -> int:
        """Return how many items wait for a batch."""
        with self._lock:
            return len(self._queue)
