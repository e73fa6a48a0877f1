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


class Memo(Generic[Value]):
    """Values by key, each fresh for its lifetime, built by one caller at a time."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, Value]] = {}
        # A lock per key with a build under way (not per key ever asked: keys may come
        # from anyone, as event codes do). Cooperative locks under gevent's patching.
        self._builds: dict[Hashable, threading.Lock] = {}
        # Bumped by forget(): a build that started before it may have read what changed.
        self._generation = 0

    def get(self, key: Hashable) -> Value | None:
        """Return the key's value if it is still fresh, else None."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def get_or_build(self, key: Hashable, build: Callable[[], Value], lifetime: float) -> Value:
        """Return the key's fresh value, or build it: one caller builds, the others wait.

        A lifetime of 0 or less keeps nothing (every caller builds; tests use it).
        """
        value = self.get(key)
        if value is not None or lifetime <= 0:
            return value if value is not None else build()
        with self._builds.setdefault(key, threading.Lock()):
            value = self.get(key)  # built by the caller we waited for
            if value is not None:
                return value
            generation = self._generation
            try:
                value = build()
                if generation == self._generation:  # else a change came during the build
                    self._entries[key] = (time.monotonic() + lifetime, value)
            finally:
                # Callers already waiting on this lock then find the value (after a
                # failed build, each tries in turn); later ones need no lock.
                self._builds.pop(key, None)
            return value

    def put(self, key: Hashable, value: Value, lifetime: float) -> None:
        """Keep a value computed elsewhere for its lifetime (nothing if lifetime <= 0)."""
        if lifetime > 0:
            self._entries[key] = (time.monotonic() + lifetime, value)

    def replace(self, key: Hashable, change: Callable[[Value], Value]) -> None:
        """Replace a key's fresh value by change(value), keeping its expiry; else nothing."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self._entries[key] = (entry[0], change(entry[1]))

    def forget(self, key: Hashable) -> None:
        """Drop one key's value; a build under way is not kept."""
        self._generation += 1
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Drop every value; builds under way are not kept."""
        self._generation += 1
        self._entries.clear()
