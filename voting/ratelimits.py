"""Rate limits per person (participant, registrant, staff account), not per IP address.

A venue puts hundreds of phones behind one address, so limiting by IP would lock a
whole room out while letting one person script thousands of requests from a mobile
network. Limits here are keyed by who acts: the participant id of a phone, the email
of a registration or a sign-in. The same check serves Socket.IO events and HTTP forms,
so sending the same thing over the other transport does not double a person's quota.
One limit has no person behind it: reads of the public results API (a stage graphic, a
script) are counted per address.
Counters live in the storage of RATELIMIT_STORAGE_URI, as Flask-Limiter's do: this
process's memory by default (`SweptMemoryStorage`), shared through Redis when several
processes run.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field

from flask import Response, current_app, g
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from voting.errors import VotingError

# What one person may do; generous for a human, tight for a script. A phone resends its
# unacknowledged votes on reconnect, and people change their minds, hence 10 a second.
DEFAULT_LIMITS: dict[str, str] = {
    "vote": "10 per second; 120 per minute",
    "question": "5 per minute; 30 per hour",
    "proposal": "5 per minute; 30 per hour",
    "upvote": "5 per second; 120 per minute",
    "register": "5 per 10 minutes; 20 per day",
    "login": "10 per 15 minutes",  # failed sign-ins of one account
    # Reads of a poll's results by one address (a stage graphic polling, a script): no
    # person to count there, and this check costs a tenth of the request less than
    # Flask-Limiter's (docs/benchmarks.md).
    "results": "6000 per minute",
}


class RateLimited(VotingError):
    """One person sent too much in too short a time; try again in `retry_after` seconds."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def as_ack(self) -> dict:
        """Return the error acknowledgement with the seconds to wait before trying again."""
        return {**super().as_ack(), "retry_after": self.retry_after}


class SweptMemoryStorage(Storage):
    """Fixed-window counters in this process's memory, for `limits` and Flask-Limiter.

    The `limits` package's own memory storage starts a timer 10 ms after each hit that
    scans every counter for expiry; under a vote burst that ran a hundred times a
    second over two counters per phone and took a third of the server's time per vote,
    and it was 7 % of a results API request. Here an ended window is restarted when
    next hit, and ended windows are swept out at most once a second.
    """

    STORAGE_SCHEME = ["swept-memory"]
    SWEEP_EVERY = 1.0  # seconds
    # Wall-clock time, as Flask-Limiter turns expiries into reset headers; an attribute
    # so that tests can move this storage's clock alone.
    now = staticmethod(time.time)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window end, count)
        self._lock = threading.Lock()  # threaded servers; uncontended under gevent
        self._next_sweep = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        """Nothing here raises a storage error of its own."""
        return ValueError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count `amount` hits in the key's window (a new one of `expiry` s if it ended)."""
        now = self.now()
        with self._lock:
            self._sweep(now)
            ends, count = self._live(key, now)
            if not count:
                ends = now + expiry
            self._windows[key] = (ends, count + amount)
        return count + amount

    def hit_all(self, windows: list[tuple[str, float, int]]) -> bool:
        """Count one hit in each (key, expiry, limit) window; say whether all stay within.

        What FixedWindowRateLimiter.hit does per window, for all of an action's windows
        under one lock: a vote counts in two, and going through `limits` per window
        was 22 µs of a vote's 700 (`_within` below says when this path is taken).
        """
        now = self.now()
        within = True
        with self._lock:
            self._sweep(now)
            for key, expiry, limit in windows:
                ends, count = self._live(key, now)
                if not count:
                    ends = now + expiry
                self._windows[key] = (ends, count + 1)
                within = within and count + 1 <= limit
        return within

    def get(self, key: str) -> int:
        """Return the hits counted in the key's current window."""
        return self._live(key, self.now())[1]

    def get_expiry(self, key: str) -> float:
        """Return when the key's window ends (now if it has none)."""
        now = self.now()
        return self._live(key, now)[0] or now

    def check(self) -> bool:
        """Memory is always reachable."""
        return True

    def reset(self) -> int:
        """Forget every window; return how many there were."""
        with self._lock:
            count, self._windows = len(self._windows), {}
        return count

    def clear(self, key: str) -> None:
        """Forget one key's window."""
        with self._lock:
            self._windows.pop(key, None)

    def _live(self, key: str, now: float) -> tuple[float, int]:
        """Return the key's window end and count, (0, 0) if it has none or it ended."""
        ends, count = self._windows.get(key, (0.0, 0))
        return (ends, count) if ends > now else (0.0, 0)

    def _sweep(self, now: float) -> None:
        """Forget ended windows, at most once per SWEEP_EVERY."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.SWEEP_EVERY
        self._windows = {key: w for key, w in self._windows.items() if w[0] > now}


@dataclass(frozen=True)
class PersonLimits:
    """An app's per-person limits: the rates, the shared counters and this process's own."""

    rates: dict[str, list[RateLimitItem]]
    strategy: FixedWindowRateLimiter
    # Counts when the shared storage fails: limits per process rather than none, so that
    # an unreachable Redis neither refuses votes nor opens sign-in to password guessing.
    fallback: FixedWindowRateLimiter = field(
        default_factory=lambda: FixedWindowRateLimiter(SweptMemoryStorage())
    )


# With Redis, counters go through one pool of this many connections per process, shared
# by Flask-Limiter and the per-person limits. redis-py's default pool instead fails at 100
# connections: under a vote burst thousands of greenlets count at once, and each failure
# was a vote left unanswered. A count waits at most REDIS_POOL_WAIT s for a connection
# and REDIS_TIMEOUT s for Redis, then goes to the process's own counters: a vote with
# two windows stays well inside the phone's 10 s ack timeout even when Redis hangs.
REDIS_POOL_SIZE = 32
REDIS_POOL_WAIT = 1.0
REDIS_TIMEOUT = 1.0


def init_app(app) -> None:
    """Open the counter storage (its options serve Flask-Limiter too); parse the limits."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    options = {**_storage_options(uri), **app.config.get("RATELIMIT_STORAGE_OPTIONS", {})}
    app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    configured = {**DEFAULT_LIMITS, **app.config.get("PERSON_RATE_LIMITS", {})}
    rates = {action: parse_many(rate) for action, rate in configured.items()}
    strategy = FixedWindowRateLimiter(storage_from_string(uri, **options))
    app.extensions["person_rate_limits"] = PersonLimits(rates, strategy)


def _storage_options(uri: str) -> dict:
    """Storage errors wrapped as StorageError; a blocking connection pool for Redis."""
    options: dict = {"wrap_exceptions": True}
    if uri.startswith(("redis://", "rediss://")):
        import redis

        options["connection_pool"] = redis.BlockingConnectionPool.from_url(
            uri,
            max_connections=REDIS_POOL_SIZE,
            timeout=REDIS_POOL_WAIT,
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
    return options


def check(action: str, person: str | int | None) -> None:
    """Count one `action` of `person`; raise RateLimited when a limit is exceeded."""
    limits = _limits_for(person)
    if limits is not None:
        _refuse_if_over(limits, action, str(person), count=True)


def refuse_if_spent(action: str, person: str | int | None) -> None:
    """Raise RateLimited if `person` has no `action` left, without counting this one."""
    limits = _limits_for(person)
    if limits is not None:
        _refuse_if_over(limits, action, str(person), count=False)


def spend(action: str, person: str | int | None) -> None:
    """Count one `action` of `person` after the fact (e.g. a failed sign-in)."""
    limits = _limits_for(person)
    if limits is not None:
        _ask(limits, action, str(person), count=True)


def add_retry_after(response: Response) -> Response:
    """Tell a client refused by these limits (429) when to try again (Retry-After).

    Flask-Limiter's header, set on every answer of the views it counts, may already be
    there with its own per-address window: the longer wait of the two is the true one.
    """
    seconds = g.pop("retry_after", None)
    if seconds is not None and response.status_code == 429:
        given = response.headers.get("Retry-After", "")
        if given.isdigit():
            seconds = max(seconds, int(given))
        response.headers["Retry-After"] = str(seconds)
    return response


def _refuse_if_over(limits: PersonLimits, action: str, person: str, *, count: bool) -> None:
    """Raise RateLimited unless `person` is within every window of `action`."""
    within, strategy = _ask(limits, action, person, count=count)
    if not within:
        wait = _seconds_until_free(strategy, limits.rates[action], action, person)
        # Views answer refusals in many ways (an error page, a form shown again with its
        # message); noting the wait here lets one after_request hook give each the header.
        g.retry_after = wait
        raise RateLimited(_message(action), wait)


def _ask(
    limits: PersonLimits, action: str, person: str, *, count: bool
) -> tuple[bool, FixedWindowRateLimiter]:
    """Say whether `person` is within `action`'s windows, and which counters said so.

    Counts this attempt if asked. Falls back to this process's own counters when the
    shared ones fail (logged).
    """
    rates = limits.rates[action]
    try:
        return _within(limits.strategy, rates, action, person, count=count), limits.strategy
    except StorageError as error:
        _log_storage_failure(error)
        return _within(limits.fallback, rates, action, person, count=count), limits.fallback


def _within(
    strategy: FixedWindowRateLimiter,
    rates: list[RateLimitItem],
    action: str,
    person: str,
    *,
    count: bool,
) -> bool:
    """Say whether `person` is within every window of `action`, counting this one if asked."""
    if count and isinstance(strategy.storage, SweptMemoryStorage):
        # Counters in this process's memory: all windows in one call, no storage
        # errors to wrap; the same keys and counts as strategy.hit would give.
        windows = [(rate.key_for(action, person), rate.get_expiry(), rate.amount) for rate in rates]
        return strategy.storage.hit_all(windows)
    method = strategy.hit if count else strategy.test
    # Every window is asked (no short cut): each counts the attempt, so a person held
    # back by the minute limit does not also get a fresh hour.
    answers = [method(rate, action, person) for rate in rates]
    return all(answers)


def _seconds_until_free(
    strategy: FixedWindowRateLimiter, rates: list[RateLimitItem], action: str, person: str
) -> int:
    """Return the whole seconds until every full window of `action` has ended (at least 1).

    Asked only after a refusal: nothing on the way of an accepted vote. With Redis it
    reads each window's count and expiry again (two round trips per window), and a
    storage failure here (Redis gone since the count) gives the shortest window's length.
    """
    try:
        stats = [strategy.get_window_stats(rate, action, person) for rate in rates]
    except StorageError:
        return max(1, min(rate.get_expiry() for rate in rates))
    now = getattr(strategy.storage, "now", time.time)()  # the clock its windows end in
    ends = [window.reset_time for window in stats if window.remaining == 0]
    return max(1, math.ceil(max(ends, default=now) - now))


_last_failure_log = [0.0]


def _log_storage_failure(error: StorageError) -> None:
    """Log a storage failure at most once a minute (it may hit every vote of a burst)."""
    now = time.monotonic()
    if now - _last_failure_log[0] >= 60:
        _last_failure_log[0] = now
        logging.getLogger(__name__).warning(
            "rate limits counted in this process only: their storage failed (%s)", error
        )


def _limits_for(person: str | int | None) -> PersonLimits | None:
    """Return the app's limits, or None when limiting is off or there is nobody to count."""
    app = current_app._get_current_object()  # one proxy lookup: this runs on every vote
    if person is None or not app.config.get("RATELIMIT_ENABLED", True):
        return None
    return app.extensions["person_rate_limits"]


def _message(action: str) -> str:
    """Return the person-facing refusal for an action sent too often."""
    messages = {
        "vote": _("Too many votes in a short time. Wait a moment and vote again."),
        "question": _("You have sent many questions. Wait a few minutes before the next."),
        "proposal": _("You have proposed many themes. Wait a few minutes before the next."),
        "upvote": _("Too many upvotes in a short time. Wait a moment and try again."),
        "register": _("Too many registrations for this email address. Try again later."),
        "login": _("Too many failed sign-ins for this account. Wait 15 minutes and try again."),
        "results": _("Too many requests for these results. Wait a moment and try again."),
    }
    return messages[action]
