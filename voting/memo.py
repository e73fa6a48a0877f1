"""Short-lived values kept in this process, each built once however many callers ask.

A join storm asks for the same event and the same join snapshot thousands of times a
second, a stage graphic the same results. Kept for a second or two, each is built about
once per lifetime instead of once per caller. Building it once also when it is missing
matters under gevent on PostgreSQL: each query of a build yields to other greenlets at
its round trip, so every join arriving meanwhile found the entry missing and built its
own; in a join storm on PostgreSQL those parallel builds were 15 % of a join.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class _Build(Generic[Value]):
    """One build under way: the callers who asked meanwhile wait for its outcome."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Value | None = None
        self.error: BaseException | None = None

    def outcome(self) -> Value:
        """Wait for the build; return its value or raise its error."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class Memo(Generic[Value]):
    """Values by key, each fresh for its lifetime, built by one caller at a time."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, Value]] = {}
        # Builds under way by key (only those: keys may come from anyone, as event
        # codes do). Under gevent's monkey patching, the lock and events cooperate.
        self._builds: dict[Hashable, _Build[Value]] = {}
        self._lock = threading.Lock()  # held for bookkeeping only, never during a build
        # Bumped by forget() and clear(): a build that started before may have read what
        # changed, so its value is not kept.
        self._generation = 0

    def get(self, key: Hashable) -> Value | None:
        """Return the key's value if it is still fresh, else None."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def get_or_build(self, key: Hashable, build: Callable[[], Value], lifetime: float) -> Value:
        """Return the key's fresh value, or build it: one caller builds, the others wait.

        The waiting callers get the builder's value, or its error: a failing database
        answers each of them at once rather than one after another. A lifetime of 0 or
        less keeps nothing (every caller builds; tests use it).
        """
        value = self.get(key)
        if value is not None or lifetime <= 0:
            return value if value is not None else build()
        with self._lock:
            value = self.get(key)
            if value is not None:
                return value
            running = self._builds.get(key)
            builder = running is None
            if builder:
                running = self._builds[key] = _Build()
            generation = self._generation
        if builder:  # outside the lock: a build takes queries, and others may forget meanwhile
            return self._run(key, build, lifetime, running, generation)
        return running.outcome()

    def _run(
        self, key: Hashable, build: Callable[[], Value], lifetime: float, running, generation
    ) -> Value:
        """Build for everyone waiting; keep the value unless a change came meanwhile."""
        try:
            running.value = build()
        except Exception as error:
            running.error = error
            raise
        finally:
            if running.value is None and running.error is None:  # the builder was killed
                running.error = RuntimeError("the value was not built")
            with self._lock:
                if self._builds.get(key) is running:
                    del self._builds[key]
                if running.error is None and generation == self._generation:
                    self._entries[key] = (time.monotonic() + lifetime, running.value)
            running.done.set()
        return running.value

    def put(self, key: Hashable, value: Value, lifetime: float) -> None:
        """Keep a value computed elsewhere for its lifetime (nothing if lifetime <= 0)."""
        if lifetime > 0:
            with self._lock:
                self._entries[key] = (time.monotonic() + lifetime, value)

    def replace(self, key: Hashable, change: Callable[[Value], Value]) -> None:
        """Replace a key's fresh value by change(value), keeping its expiry; else nothing."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > time.monotonic():
                self._entries[key] = (entry[0], change(entry[1]))

    def forget(self, key: Hashable) -> None:
        """Drop one key's value; a build under way is neither kept nor shared any more."""
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)
            self._builds.pop(key, None)

    def clear(self) -> None:
        """Drop every value; builds under way are neither kept nor shared any more."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._builds.clear()
