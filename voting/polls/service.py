"""Polls: preparing them, opening and closing, casting votes, tallies and what may be seen."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from voting import realtime
from voting.database import lock_row
from voting.errors import Conflict, InvalidInput, NotFound
from voting.events.service import get_or_create_participant
from voting.extensions import db
from voting.models import (
    Ballot,
    BallotChoice,
    Event,
    Option,
    Participant,
    Poll,
    PollKind,
    PollStatus,
    Visibility,
    Vote,
    utcnow,
)

VOTE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_OPTIONS = 30
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# --- preparing polls -------------------------------------------------------------


@dataclass
class PollData:
    """The editable fields of a poll."""

    title: str
    options: list[str]
    kind: str = PollKind.single
    max_choices: int = 1
    visibility: str = Visibility.live
    allow_change: bool = True
    description: str = ""
    option_ids: list[int | None] = field(default_factory=list)


def validate_poll_data(data: PollData) -> PollData:
    """Check and normalise poll fields, raising InvalidInput on the first problem."""
    data.title = (data.title or "").strip()
    if not data.title or len(data.title) > 300:
        raise InvalidInput("The question needs 1 to 300 characters.", "invalid_title")
    try:
        data.kind = PollKind(data.kind)
        data.visibility = Visibility(data.visibility)
    except ValueError:
        raise InvalidInput("Unknown poll type or results visibility.", "invalid_kind") from None
    labels = [(label or "").strip() for label in data.options]
    if not data.option_ids:
        data.option_ids = [None] * len(labels)
    pairs = [(oid, label) for oid, label in zip(data.option_ids, labels, strict=False) if label]
    if len(pairs) < 2 or len(pairs) > MAX_OPTIONS:
        raise InvalidInput(f"A poll needs 2 to {MAX_OPTIONS} options.", "invalid_options")
    if any(len(label) > 200 for _, label in pairs):
        raise InvalidInput("An option can have at most 200 characters.", "invalid_options")
    if len({label.casefold() for _, label in pairs}) != len(pairs):
        raise InvalidInput("Two options have the same text.", "invalid_options")
    data.option_ids = [oid for oid, _ in pairs]
    data.options = [label for _, label in pairs]
    if data.kind == PollKind.single:
        data.max_choices = 1
    elif not isinstance(data.max_choices, int) or not 1 <= data.max_choices <= len(pairs):
        raise InvalidInput(
            f"The maximum number of choices must be between 1 and {len(pairs)}.",
            "invalid_max_choices",
        )
    data.description = (data.description or "").strip()[:2000]
    return data


def create_poll(event: Event, data: PollData) -> Poll:
    """Add a prepared (draft) poll at the end of the event's list."""
    data = validate_poll_data(data)
    position = db.session.scalar(
        select(func.coalesce(func.max(Poll.position), 0)).where(Poll.event_id == event.id)
    )
    poll = Poll(
        event_id=event.id,
        title=data.title,
        description=data.description,
        kind=data.kind,
        max_choices=data.max_choices,
        visibility=data.visibility,
        allow_change=data.allow_change,
        position=position + 1,
        options=[Option(label=label, position=i) for i, label in enumerate(data.options)],
    )
    db.session.add(poll)
    db.session.commit()
    _announce(poll, "created")
    return poll


def update_poll(poll: Poll, data: PollData) -> Poll:
    """Change a poll's question, settings and options.

    Options keep their ids (and so their votes) when only their text changes; once a
    poll has votes, options can no longer be added or removed.
    """
    data = validate_poll_data(data)
    has_votes = ballot_count(poll.id) > 0
    existing = {option.id: option for option in poll.options}
    kept_ids = [oid for oid in data.option_ids if oid is not None]
    if any(oid not in existing for oid in kept_ids):
        raise InvalidInput("An option does not belong to this poll.", "invalid_options")
    if has_votes and (set(kept_ids) != set(existing) or None in data.option_ids):
        raise Conflict(
            "This poll has votes: reset it before adding or removing options.", "poll_has_votes"
        )
    if has_votes and data.kind != poll.kind:
        raise Conflict("This poll has votes: reset it before changing its type.", "poll_has_votes")
    poll.title = data.title
    poll.description = data.description
    poll.kind = data.kind
    poll.max_choices = data.max_choices
    poll.visibility = data.visibility
    poll.allow_change = data.allow_change
    options = []
    for position, (oid, label) in enumerate(zip(data.option_ids, data.options, strict=True)):
        option = existing[oid] if oid is not None else Option(label=label)
        option.label = label
        option.position = position
        options.append(option)
    poll.options = options
    db.session.commit()
    _announce(poll, "updated")
    _push_tally(poll.id)
    return poll


def duplicate_poll(poll: Poll) -> Poll:
    """Create a draft copy of a poll, without its votes."""
    return create_poll(
        poll.event,
        PollData(
            title=f"{poll.title} (copy)"[:300],
            options=[option.label for option in poll.options],
            kind=poll.kind,
            max_choices=poll.max_choices,
            visibility=poll.visibility,
            allow_change=poll.allow_change,
            description=poll.description,
        ),
    )


def delete_poll(poll: Poll) -> None:
    """Delete a poll with its votes."""
    event = poll.event
    poll_id = poll.id
    if event.display_poll_id == poll_id:
        event.display_poll_id = None
    db.session.delete(poll)
    db.session.commit()
    payload = {"action": "deleted", "poll_id": poll_id, "display_poll_id": event.display_poll_id}
    realtime.emit("poll", payload, realtime.event_room(event.id))
    realtime.emit("poll", payload, realtime.console_room(event.id))


def find_poll(event: Event, poll_id) -> Poll:
    """Return the event's poll with this id or raise NotFound."""
    poll = db.session.get(Poll, _as_id(poll_id)) if _as_id(poll_id) else None
    if poll is None or poll.event_id != event.id:
        raise NotFound("This poll does not exist in this event.", "unknown_poll")
    return poll


# --- running polls ---------------------------------------------------------------


def open_poll(poll: Poll) -> Poll:
    """Open a draft or closed poll for votes and put it on the display."""
    poll = _locked(poll, shared=False)
    if poll.status == PollStatus.open:
        raise Conflict("This poll is open already.", "poll_open")
    poll.status = PollStatus.open
    poll.opened_at = utcnow()
    poll.closed_at = None
    poll.event.display_poll_id = poll.id
    db.session.commit()
    _announce(poll, "opened")
    _push_tally(poll.id)
    return poll


def close_poll(poll: Poll) -> Poll:
    """Close an open poll; the write lock makes it atomic with respect to votes."""
    poll = _locked(poll, shared=False)
    if poll.status != PollStatus.open:
        raise Conflict("This poll is not open.", "poll_not_open")
    poll.status = PollStatus.closed
    poll.closed_at = utcnow()
    db.session.commit()
    _announce(poll, "closed")
    _push_tally(poll.id)
    return poll


def reset_poll(poll: Poll) -> Poll:
    """Delete all votes of a poll and hide its results again; status stays as it is."""
    poll = _locked(poll, shared=False)
    db.session.execute(delete(Vote).where(Vote.poll_id == poll.id))
    ballot_ids = select(Ballot.id).where(Ballot.poll_id == poll.id)
    db.session.execute(delete(BallotChoice).where(BallotChoice.ballot_id.in_(ballot_ids)))
    db.session.execute(delete(Ballot).where(Ballot.poll_id == poll.id))
    poll.revealed = False
    db.session.commit()
    _announce(poll, "reset")
    _push_tally(poll.id)
    return poll


def reveal_results(poll: Poll, revealed: bool = True) -> Poll:
    """Reveal (or hide again) the results of a poll whose results are hidden."""
    poll.revealed = revealed
    db.session.commit()
    _announce(poll, "updated")
    _push_tally(poll.id)
    return poll


def show_on_display(event: Event, poll: Poll | None) -> None:
    """Choose which poll the display shows (None: the join screen)."""
    if poll is not None and poll.event_id != event.id:
        raise NotFound("This poll does not exist in this event.", "unknown_poll")
    event.display_poll_id = poll.id if poll else None
    db.session.commit()
    payload = {
        "action": "shown",
        "poll": poll_payload(poll) if poll else None,
        "display_poll_id": event.display_poll_id,
    }
    realtime.emit("poll", payload, realtime.event_room(event.id))
    realtime.emit("poll", payload, realtime.console_room(event.id))
    if poll is not None:
        _push_tally(poll.id)


def _locked(poll: Poll, *, shared: bool) -> Poll:
    """Reload a poll under the write lock."""
    locked = lock_row(Poll, poll.id, shared=shared)
    if locked is None:
        db.session.rollback()
        raise NotFound("This poll does not exist.", "unknown_poll")
    return locked


# --- votes -----------------------------------------------------------------------


@dataclass
class VoteResult:
    """What a recorded vote answers: its receipt and whether it was a retry."""

    receipt: str
    poll_id: int
    choices: list[int]
    duplicate: bool = False


def cast_vote(event: Event, poll_id, participant_key: str, choices, vote_id) -> VoteResult:
    """Record a participant's ballot; acknowledge only after the commit.

    The same vote_id again returns the first answer's receipt; the unique constraints on
    (poll, participant) and vote_id make the database the final judge of duplicates.
    """
    vote_id = _valid_vote_id(vote_id)
    choice_ids = _valid_choices(choices)
    poll_key = _as_id(poll_id)
    if poll_key is None:
        raise InvalidInput("poll_id must be a poll number.", "invalid_ballot")
    try:
        result = _record_vote(event.id, poll_key, participant_key, choice_ids, vote_id)
    except IntegrityError:
        # Another request with the same vote id or participant won the race.
        db.session.rollback()
        result = _replay(vote_id, poll_key, participant_key)
        if result is None:
            raise Conflict("Your vote was recorded already.", "already_voted") from None
        return result
    except Exception:
        db.session.rollback()
        raise
    if not result.duplicate:
        _schedule_tally(poll_key)
    return result


def _record_vote(
    event_id: int, poll_id: int, participant_key: str, choices: list[int], vote_id: str
) -> VoteResult:
    """Check the ballot under the poll lock, store it and commit."""
    poll = lock_row(Poll, poll_id, shared=True)
    replay = _replay(vote_id, poll_id, participant_key)
    if replay is not None:
        db.session.rollback()
        return replay
    if poll is None or poll.event_id != event_id:
        raise NotFound("This poll does not exist in this event.", "unknown_poll")
    if poll.status != PollStatus.open:
        code = "poll_closed" if poll.status == PollStatus.closed else "poll_not_open"
        raise Conflict("This poll is not open for votes.", code)
    _check_choices(poll, choices)
    participant = get_or_create_participant(event_id, participant_key)
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.poll_id == poll.id, Ballot.participant_id == participant.id)
    )
    if ballot is None:
        ballot = Ballot(poll_id=poll.id, participant_id=participant.id)
        db.session.add(ballot)
    elif not poll.allow_change:
        raise Conflict("You have voted already; this poll does not allow changes.", "already_voted")
    else:
        ballot.updated_at = utcnow()
    ballot.choices = [BallotChoice(option_id=option_id) for option_id in choices]
    receipt = _new_receipt()
    db.session.add(
        Vote(
            vote_id=vote_id,
            poll_id=poll.id,
            participant_id=participant.id,
            receipt=receipt,
            choices=choices,
        )
    )
    db.session.commit()
    return VoteResult(receipt=receipt, poll_id=poll.id, choices=choices)


def _replay(vote_id: str, poll_id: int, participant_key: str) -> VoteResult | None:
    """Return the stored answer to an earlier submission of the same vote id."""
    row = db.session.execute(
        select(Vote, Participant.public_id)
        .join(Participant, Participant.id == Vote.participant_id)
        .where(Vote.vote_id == vote_id)
    ).first()
    if row is None:
        return None
    vote, owner = row
    if owner != participant_key or vote.poll_id != poll_id:
        raise Conflict("This vote id was used for another vote.", "vote_id_conflict")
    return VoteResult(
        receipt=vote.receipt, poll_id=vote.poll_id, choices=list(vote.choices), duplicate=True
    )


def _check_choices(poll: Poll, choices: list[int]) -> None:
    """Refuse options of another poll and too few or too many choices."""
    valid = {option.id for option in poll.options}
    if not set(choices) <= valid:
        raise InvalidInput("A chosen option is not part of this poll.", "invalid_option")
    if len(choices) > poll.max_choices:
        raise InvalidInput(f"Choose at most {poll.max_choices} options.", "too_many_choices")


def _valid_vote_id(vote_id) -> str:
    """Return the vote id if it is a string of 8-64 URL-safe characters."""
    if not isinstance(vote_id, str) or not VOTE_ID_RE.match(vote_id):
        raise InvalidInput(
            "vote_id must be 8 to 64 letters, digits, '-' or '_'.", "invalid_vote_id"
        )
    return vote_id


def _valid_choices(choices) -> list[int]:
    """Return the chosen option ids if they form a non-empty list of distinct integers."""
    if not isinstance(choices, list) or not choices or len(choices) > MAX_OPTIONS:
        raise InvalidInput("Choose at least one option.", "invalid_ballot")
    ids = [_as_id(choice) for choice in choices]
    if None in ids or len(set(ids)) != len(ids):
        raise InvalidInput("The choices must be distinct option numbers.", "invalid_ballot")
    return ids


def _as_id(value) -> int | None:
    """Return value as a positive database id, or None (accepts digit strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**62 else None
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value) or None
    return None


def _new_receipt() -> str:
    """Return a short receipt code a participant can read out, e.g. K7QM-2XPA."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def my_choices(poll_ids: list[int], participant_key: str | None) -> dict[int, list[int]]:
    """Return the options a participant marked, per poll."""
    if not participant_key or not poll_ids:
        return {}
    rows = db.session.execute(
        select(Ballot.poll_id, BallotChoice.option_id)
        .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .join(Participant, Participant.id == Ballot.participant_id)
        .where(Participant.public_id == participant_key, Ballot.poll_id.in_(poll_ids))
    )
    mine: dict[int, list[int]] = {}
    for poll_id, option_id in rows:
        mine.setdefault(poll_id, []).append(option_id)
    return mine


# --- tallies and payloads ----------------------------------------------------------


def ballot_count(poll_id: int) -> int:
    """Return how many participants have a ballot in the poll."""
    return db.session.scalar(select(func.count()).where(Ballot.poll_id == poll_id)) or 0


def tally(poll: Poll) -> dict[int, int]:
    """Count stored ballots per option (zero for options nobody chose)."""
    counts = dict.fromkeys((option.id for option in poll.options), 0)
    rows = db.session.execute(
        select(BallotChoice.option_id, func.count())
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.poll_id == poll.id)
        .group_by(BallotChoice.option_id)
    )
    for option_id, count in rows:
        counts[option_id] = count
    return counts


def poll_payload(poll: Poll) -> dict:
    """Describe a poll for any client (no results)."""
    return {
        "id": poll.id,
        "title": poll.title,
        "description": poll.description,
        "kind": str(poll.kind),
        "max_choices": poll.max_choices,
        "status": str(poll.status),
        "visibility": str(poll.visibility),
        "results_public": poll.results_public,
        "allow_change": poll.allow_change,
        "options": [{"id": option.id, "label": option.label} for option in poll.options],
    }


def results_payload(poll: Poll, *, staff: bool) -> dict:
    """Return the full tally for staff or when public, else only how many voted."""
    total = ballot_count(poll.id)
    payload = {
        "poll_id": poll.id,
        "status": str(poll.status),
        "seq": realtime.next_seq(),
        "total": total,
        "visible": staff or poll.results_public,
    }
    if payload["visible"]:
        counts = tally(poll)
        payload["options"] = [
            {
                "id": option.id,
                "label": option.label,
                "count": counts[option.id],
                "percent": round(100 * counts[option.id] / total) if total else 0,
            }
            for option in poll.options
        ]
    return payload


def push_results(poll_id: int, *, participants: bool) -> None:
    """Compute a poll's tally from stored ballots and push it to who may see it.

    Consoles get the full tally, displays the public one. Phones get it only with staff
    actions (open, close, reveal, ...), not with every vote: thousands of phones do not
    need a tally many times a second, the projector does.
    """
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        return
    staff = results_payload(poll, staff=True)
    realtime.emit("results", staff, realtime.console_room(poll.event_id))
    public = (
        staff
        if poll.results_public
        else {key: staff[key] for key in ("poll_id", "status", "seq", "total")} | {"visible": False}
    )
    room = realtime.event_room if participants else realtime.display_room
    realtime.emit("results", public, room(poll.event_id))
    db.session.rollback()  # end the read transaction; the worker's session is reused


def _schedule_tally(poll_id: int) -> None:
    """Push the poll's tally to consoles and displays soon, coalescing bursts of votes."""
    realtime.coalesce(f"tally:{poll_id}", lambda: push_results(poll_id, participants=False))


def _push_tally(poll_id: int) -> None:
    """Push the poll's tally to everyone now (after staff actions, which are rare)."""
    push_results(poll_id, participants=True)


def _announce(poll: Poll, action: str) -> None:
    """Tell clients that a poll changed; participants hear only of open or shown polls."""
    event = poll.event
    payload = {
        "action": action,
        "poll": poll_payload(poll),
        "display_poll_id": event.display_poll_id,
    }
    realtime.emit("poll", payload, realtime.console_room(event.id))
    if poll.status != PollStatus.draft or event.display_poll_id == poll.id:
        realtime.emit("poll", payload, realtime.event_room(event.id))


def public_polls(event: Event) -> list[Poll]:
    """Return the polls participants may see: open ones and closed ones, newest first."""
    return [poll for poll in reversed(event.polls) if poll.status != PollStatus.draft]


def open_polls(event: Event) -> list[Poll]:
    """Return the event's open polls, in console order."""
    return [poll for poll in event.polls if poll.status == PollStatus.open]


def voter_counts(event: Event) -> dict[int, int]:
    """Return the number of ballots per poll of an event."""
    rows = db.session.execute(
        select(Ballot.poll_id, func.count())
        .join(Poll, Poll.id == Ballot.poll_id)
        .where(Poll.event_id == event.id)
        .group_by(Ballot.poll_id)
    )
    return dict(rows.all())


def snapshot(event: Event, *, staff: bool, participant_key: str | None = None) -> dict:
    """Return everything a client may see of an event right now (join ack, reconnects)."""
    polls = event.polls if staff else public_polls(event)
    display_poll = db.session.get(Poll, event.display_poll_id) if event.display_poll_id else None
    if display_poll is not None and display_poll not in polls:
        polls = [*polls, display_poll]
    return {
        "ok": True,
        "event": {"code": event.code, "name": event.name},
        "display_poll_id": event.display_poll_id,
        "polls": [poll_payload(poll) for poll in polls],
        "results": {str(poll.id): results_payload(poll, staff=staff) for poll in polls},
        "mine": {str(k): v for k, v in my_choices([p.id for p in polls], participant_key).items()},
        "connected": realtime.connected_count(event.id) if staff else None,
    }
