"""Who may vote in a poll: registered, checked-in attendees, or one vote per organisation.

An attendee is a participant row tied to a registration (the personal link puts that
row's public id into the session). The vote path asks this module only for polls whose
eligibility is not `anyone`, with one set-based query per batch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import bindparam, func, select

from voting.errors import Forbidden
from voting.extensions import db
from voting.models import (
    Ballot,
    Eligibility,
    Participant,
    Registration,
    RegistrationStatus,
    Vote,
)

PARTICIPANTS, REGISTRATIONS = Participant.__table__, Registration.__table__
BALLOTS, VOTES = Ballot.__table__, Vote.__table__
NOT_REGISTERED = ""  # the country key of ballots cast without a registration

# Lazy: refusals are made inside the vote batch, in the request that leads it, and are
# read in each voter's own language (voting.errors.VotingError.message).
ASK_LINK = _l("Open your personal link from the confirmation email to vote.")
REQUIRED = {
    Eligibility.registered: _l("Only registered attendees can vote in this poll."),
    Eligibility.checked_in: _l("Only checked-in attendees can vote in this poll."),
    Eligibility.organisation: _l(
        "This poll takes one vote per organisation, from registered attendees."
    ),
}
# Why a registration that is not confirmed cannot vote: a whole sentence per status, so
# that each language words each one right (a status word put into one shared sentence
# cannot agree with it: French "annulée(s)" in "Votre inscription est %(status)s").
NOT_CONFIRMED = {
    RegistrationStatus.pending: _l("Your registration is pending, not confirmed."),
    RegistrationStatus.waiting: _l("Your registration is on the waiting list, not confirmed."),
    RegistrationStatus.cancelled: _l("Your registration is cancelled, not confirmed."),
    RegistrationStatus.rejected: _l("Your registration is rejected, not confirmed."),
}
# A status the list above lacks (none today; confirmed ones never get here).
NOT_CONFIRMED_OTHERWISE = _l("Your registration is not confirmed.")


def _sentences(*parts) -> LazyString:
    """Return sentences joined by spaces, each translated when the whole is read."""
    return LazyString(lambda: " ".join(str(part) for part in parts))


MEMBERS = "__breakout_members__"  # key of the batch's (participant, breakout) member pairs


def NOT_MEMBER() -> Forbidden:  # noqa: N802 - reads as the error it makes
    """Return the refusal of a vote in a breakout poll by a non-member."""
    return Forbidden(
        _sentences(_l("Only members of this breakout session vote in its polls."), ASK_LINK),
        "not_member",
    )


@dataclass(frozen=True)
class Voter:
    """What eligibility needs to know of a participant: their registration, if any."""

    event_id: int | None = None  # the registration's event; None: not an attendee
    status: str | None = None
    checked_in: bool = False
    organisation: str = ""
    erased: bool = False

    @property
    def confirmed(self) -> bool:
        """Say whether the participant holds a confirmed, not erased, registration."""
        return self.status == RegistrationStatus.confirmed and not self.erased

    @property
    def registered(self) -> bool:
        """Say whether the participant is tied to a registration at all."""
        return self.status is not None and not self.erased


ANONYMOUS = Voter()


def normalise_organisation(name: str | None) -> str:
    """Return an organisation name as compared: spaces collapsed, case folded."""
    return " ".join((name or "").split()).casefold()


def organisation_key(event_id: int, organisation: str) -> str:
    """Return the public id of an organisation's shared participant row in an event.

    Derived, not random: every process computes the same id, so the unique constraints
    on participants.public_id and ballots(poll_id, participant_id) keep one ballot per
    organisation and poll even when two processes store colleagues' votes at once.
    """
    digest = hashlib.sha256(normalise_organisation(organisation).encode()).hexdigest()
    return f"org-{event_id}-{digest[:40]}"


def refusal(eligibility, voter: Voter, event_id: int) -> Forbidden | None:
    """Return why this voter may not vote in a poll of this eligibility, or None."""
    if eligibility == Eligibility.anyone:
        return None
    required = REQUIRED[Eligibility(eligibility)]
    if not voter.registered or voter.event_id != event_id:
        return Forbidden(_sentences(required, ASK_LINK), "not_eligible")
    if not voter.confirmed:
        why = NOT_CONFIRMED.get(voter.status, NOT_CONFIRMED_OTHERWISE)
        return Forbidden(_sentences(required, why), "not_eligible")
    if eligibility == Eligibility.checked_in and not voter.checked_in:
        return Forbidden(
            _sentences(required, _l("Check in at the entrance first.")), "not_eligible"
        )
    if eligibility == Eligibility.organisation and not normalise_organisation(voter.organisation):
        return Forbidden(
            _sentences(required, _l("Your registration names no organisation.")), "not_eligible"
        )
    return None


_VOTER_ROWS = (
    select(
        PARTICIPANTS.c.public_id,
        REGISTRATIONS.c.event_id,
        REGISTRATIONS.c.status,
        REGISTRATIONS.c.checked_in_at,
        REGISTRATIONS.c.organisation,
        REGISTRATIONS.c.erased_at,
    )
    .join(REGISTRATIONS, REGISTRATIONS.c.id == PARTICIPANTS.c.registration_id)
    .where(PARTICIPANTS.c.public_id.in_(bindparam("ids", expanding=True)))
)


def voters(keys: set[str]) -> dict[str, Voter]:
    """Return participant key -> Voter for the keys tied to a registration (one query)."""
    if not keys:
        return {}
    rows = db.session.connection().execute(_VOTER_ROWS, {"ids": list(keys)})
    return {
        key: Voter(
            event_id=event_id,
            status=str(status),
            checked_in=checked_in_at is not None,
            organisation=organisation or "",
            erased=erased_at is not None,
        )
        for key, event_id, status, checked_in_at, organisation, erased_at in rows
    }


def voter(key: str | None) -> Voter:
    """Return the Voter of one participant key (ANONYMOUS when not an attendee)."""
    return voters({key}).get(key, ANONYMOUS) if key else ANONYMOUS


# --- turnout -------------------------------------------------------------------------


def _eligible_registrations(event_id: int):
    """Return the condition for confirmed, not erased registrations of an event."""
    return (
        (Registration.event_id == event_id)
        & (Registration.status == RegistrationStatus.confirmed)
        & Registration.erased_at.is_(None)
    )


def eligible_count(poll) -> int | None:
    """Return how many may vote in the poll; None for `anyone` (no fixed electorate)."""
    where = _eligible_registrations(poll.event_id)
    if poll.eligibility == Eligibility.registered:
        return db.session.scalar(select(func.count()).where(where))
    if poll.eligibility == Eligibility.checked_in:
        return db.session.scalar(
            select(func.count()).where(where, Registration.checked_in_at.is_not(None))
        )
    if poll.eligibility == Eligibility.organisation:
        # Counted in Python: SQL lower() folds only ASCII, and names differ in case and spaces.
        names = db.session.scalars(select(Registration.organisation).distinct().where(where))
        return len({normalise_organisation(name) for name in names} - {""})
    return None


def country_turnout(poll) -> dict[str, int]:
    """Return country code -> ballots of the poll; anonymous ballots under NOT_REGISTERED."""
    if poll.eligibility == Eligibility.organisation:
        return _organisation_countries(poll.id)
    rows = db.session.execute(
        select(REGISTRATIONS.c.country, func.count())
        .select_from(BALLOTS)
        .join(PARTICIPANTS, PARTICIPANTS.c.id == BALLOTS.c.participant_id)
        .outerjoin(REGISTRATIONS, REGISTRATIONS.c.id == PARTICIPANTS.c.registration_id)
        .where(BALLOTS.c.poll_id == poll.id)
        .group_by(REGISTRATIONS.c.country)
    )
    counts: dict[str, int] = {}
    for country, count in rows:
        key = country or NOT_REGISTERED
        counts[key] = counts.get(key, 0) + count
    return counts


def _organisation_countries(poll_id: int) -> dict[str, int]:
    """Count each organisation's ballot under the country of the colleague who cast it last.

    An organisation's ballot belongs to its shared participant row, which has no country;
    the vote log says which attendee submitted each vote.
    """
    rows = db.session.execute(
        select(REGISTRATIONS.c.organisation, REGISTRATIONS.c.country)
        .select_from(VOTES)
        .join(PARTICIPANTS, PARTICIPANTS.c.id == VOTES.c.participant_id)
        .join(REGISTRATIONS, REGISTRATIONS.c.id == PARTICIPANTS.c.registration_id)
        .where(VOTES.c.poll_id == poll_id)
        .order_by(VOTES.c.id)
    )
    last = {normalise_organisation(org): country or NOT_REGISTERED for org, country in rows}
    counts: dict[str, int] = {}
    for country in last.values():
        counts[country] = counts.get(country, 0) + 1
    return counts


def voter_payload(voter: Voter, event_id: int) -> dict:
    """Describe a phone's eligibility for the snapshot: what it meets and why not the rest."""
    reasons = {}
    for level in Eligibility:
        error = refusal(level, voter, event_id)
        if error is not None:
            reasons[str(level)] = error.message
    return {
        "eligible": [str(level) for level in Eligibility if str(level) not in reasons],
        "reasons": reasons,
        "registered": voter.registered,
        "organisation": voter.organisation if voter.confirmed else "",
    }


# --- breakout polls ----------------------------------------------------------------


def breakout_members(pairs: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Return which (participant key, breakout id) pairs are members: a confirmed seat or
    the facilitator's role (one query for the whole batch)."""
    from voting.models import Breakout, BreakoutSeat, SeatStatus

    keys = {key for key, _ in pairs}
    breakout_ids = {breakout for _, breakout in pairs}
    seated = (
        select(PARTICIPANTS.c.public_id, BreakoutSeat.breakout_id)
        .join(BreakoutSeat, BreakoutSeat.registration_id == PARTICIPANTS.c.registration_id)
        .where(
            PARTICIPANTS.c.public_id.in_(keys),
            BreakoutSeat.breakout_id.in_(breakout_ids),
            BreakoutSeat.status == SeatStatus.confirmed,
        )
    )
    facilitating = (
        select(PARTICIPANTS.c.public_id, Breakout.id)
        .join(Breakout, Breakout.facilitator_id == PARTICIPANTS.c.registration_id)
        .where(PARTICIPANTS.c.public_id.in_(keys), Breakout.id.in_(breakout_ids))
    )
    rows = db.session.connection().execute(seated.union(facilitating))
    return {(key, breakout_id) for key, breakout_id in rows} & pairs
