"""Configuration defaults; the environment is read in voting.app.build_app."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "WTF_CSRF_TIME_LIMIT": None,
    # Flask-WTF would read WTForms' message catalogue from disk on every request; our
    # forms show our own (translatable) messages, so WTForms' built-in ones stay English.
    "WTF_I18N_ENABLED": False,  # a phone page may stay open for a whole conference day
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
    # voting.ratelimits.SweptMemoryStorage: limits' "memory://" without a timer per hit.
    "RATELIMIT_STORAGE_URI": "swept-memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # A limit whose storage fails counts in this process's memory until the storage is
    # back, never a 500 (voting.ratelimits does the same for the per-person limits).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    # Seconds between two tally pushes for one poll: a burst of votes gives at most
    # 1/TALLY_INTERVAL pushes a second; 0 pushes after every vote (used by tests).
    "TALLY_INTERVAL": 0.1,
    # Group commit of votes: at most this many per transaction, and at most this many
    # waiting before new votes are refused with the retryable error "busy".
    "VOTE_BATCH_SIZE": 200,
    "VOTE_MAX_PENDING": 5000,
    # Batches start at most once per this many seconds while votes keep coming: fewer,
    # bigger transactions (each costs a dozen statements and a commit). 20 ms took the
    # server's CPU per vote at 1,000 votes/s from 0.98 to 0.90 ms (benchmarks/probe.py).
    "VOTE_BATCH_WINDOW": 0.02,
    "SQLITE_BUSY_TIMEOUT_MS": 10_000,
    "SOCKETIO_ASYNC_MODE": None,  # auto: gevent under `voting serve`
    "REDIS_URL": None,
    "DEMO_ON_FIRST_START": True,
    # `voting serve` erases personal data of events past their retention period this often.
    "RETENTION_CHECK_INTERVAL": 6 * 3600,
}
