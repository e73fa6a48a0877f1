"""Rate limits per person (participant, registrant, staff account), not per IP address.

A venue puts hundreds of phones behind one address, so limiting by IP would lock a
whole room out while letting one person script thousands of requests from a mobile
network. Limits here are keyed by who acts: the participant id of a phone, the email
of a registration or a sign-in. The same check serves Socket.IO events and HTTP forms,
so sending the same thing over the other transport does not double a person's quota.
Counters live in the storage of RATELIMIT_STORAGE_URI (memory by default, shared
through Redis when several processes run).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
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
}


class RateLimited(VotingError):
    """One person sent too much in too short a time; try again later."""

    code = "rate_limited"
    status = 429


@dataclass(frozen=True)
class PersonLimits:
    """An app's per-person limits: the parsed rates and the counter strategy."""

    rates: dict[str, list[RateLimitItem]]
    strategy: FixedWindowRateLimiter


def init_app(app) -> None:
    """Parse the app's PERSON_RATE_LIMITS over the defaults and open the counter storage."""
    configured = {**DEFAULT_LIMITS, **app.config.get("PERSON_RATE_LIMITS", {})}
    rates = {action: parse_many(rate) for action, rate in configured.items()}
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["person_rate_limits"] = PersonLimits(rates, FixedWindowRateLimiter(storage))


def check(action: str, person: str | int | None) -> None:
    """Count one `action` of `person`; raise RateLimited when a limit is exceeded."""
    limits = _limits_for(person)
    if limits is None:
        return
    # Every window counts the attempt, so a person held back by the minute limit
    # does not also get a fresh hour.
    exceeded = [
        rate for rate in limits.rates[action] if not limits.strategy.hit(rate, action, str(person))
    ]
    if exceeded:
        raise RateLimited(_message(action), "rate_limited")


def refuse_if_spent(action: str, person: str | int | None) -> None:
    """Raise RateLimited if `person` has no `action` left, without counting this one."""
    limits = _limits_for(person)
    if limits is None:
        return
    if not all(limits.strategy.test(rate, action, str(person)) for rate in limits.rates[action]):
        raise RateLimited(_message(action), "rate_limited")


def spend(action: str, person: str | int | None) -> None:
    """Count one `action` of `person` after the fact (e.g. a failed sign-in)."""
    limits = _limits_for(person)
    if limits is not None:
        for rate in limits.rates[action]:
            limits.strategy.hit(rate, action, str(person))


def _limits_for(person: str | int | None) -> PersonLimits | None:
    """Return the app's limits, or None when limiting is off or there is nobody to count."""
    if person is None or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    return current_app.extensions["person_rate_limits"]


def _message(action: str) -> str:
    """Return the person-facing refusal for an action sent too often."""
    messages = {
        "vote": _("Too many votes in a short time. Wait a moment and vote again."),
        "question": _("You have sent many questions. Wait a few minutes before the next."),
        "proposal": _("You have proposed many themes. Wait a few minutes before the next."),
        "upvote": _("Too many upvotes in a short time. Wait a moment and try again."),
        "register": _("Too many registrations for this email address. Try again later."),
        "login": _("Too many failed sign-ins for this account. Wait 15 minutes and try again."),
    }
    return messages[action]
